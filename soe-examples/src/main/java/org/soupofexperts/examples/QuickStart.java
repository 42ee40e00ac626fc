package org.soupofexperts.examples;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.soupofexperts.core.DenseModel;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.Specialist;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.config.DomainWeights;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.config.SoupConfig;
import org.soupofexperts.core.train.TrainingPlan;
import org.soupofexperts.data.cluster.Centroids;
import org.soupofexperts.data.cluster.NearestCentroidAssigner;
import org.soupofexperts.data.embed.HashedNgramEmbedder;
import org.soupofexperts.data.sample.InMemoryDomainSampler;
import org.soupofexperts.data.sample.MetaDistributions;
import org.soupofexperts.data.synth.SyntheticCorpus;
import org.soupofexperts.data.tokenize.ByteTokenizer;
import org.soupofexperts.examples.experiment.Commands;

/**
 * The README's main job: trains a small soup on the built-in synthetic corpus (4 domains) for
 * about a minute on CPU, instantiates two specialists and the generic model, and prints their
 * validation losses in bits per byte on each domain. Optional argument: training steps.
 */
public final class QuickStart {

    private static final int K = 4;
    private static final int CONTEXT = 64;

    private QuickStart() {}

    /** The synthetic corpus: training text per domain, held-out windows, and the documents with their labels. */
    private record Data(
            SyntheticCorpus corpus,
            InMemoryDomainSampler sampler,
            List<TokenBatch> valid,
            List<String> trainDocs,
            int[] trainLabels) {}

    /** Runs the quick start on built-in synthetic data (no arguments). */
    public static void main(String[] args) throws Exception {
        Commands.offline();
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 4000;
        ByteTokenizer tok = new ByteTokenizer();
        Data data = data(tok);
        SoupConfig config = SoupConfig.builder()
                .model(ModelConfig.builder()
                        .vocabSize(tok.vocabSize())
                        .layers(2)
                        .dModel(64)
                        .heads(4)
                        .contextLength(CONTEXT)
                        .build())
                .domains(data.sampler().domains())
                .experts(4)
                .seed(42)
                .build();
        TrainingPlan training = TrainingPlan.builder()
                .source(data.sampler())
                .metaDistribution(MetaDistributions.sparse(K, 2, 1.0))
                .steps(steps)
                .batchSize(16)
                .learningRate(2e-3)
                .logEvery(100)
                .build();

        long t0 = System.nanoTime();
        try (SoupOfExperts soup = SoupOfExperts.create(config)) {
            soup.train(training);
            double trainSeconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf(
                    "%nTrained a soup of %,d parameters (%d experts) in %.0f s; a specialist has %,d.%n",
                    soup.parameterCount(),
                    config.experts(),
                    trainSeconds,
                    config.model().parameterCount());
            System.out.printf("%nValidation loss, bits per byte (lower is better):%n");
            System.out.printf("%-26s", "model \\ domain");
            for (String n : data.corpus().domainNames()) {
                System.out.printf("%10s", n);
            }
            System.out.println();
            try (Specialist g = soup.instantiate(DomainWeights.uniform(K))) {
                row("generic (uniform h)", g, data.valid());
            }
            for (int d = 0; d < 2; d++) {
                long s0 = System.nanoTime();
                try (Specialist s = soup.instantiate(DomainWeights.oneHot(K, d))) {
                    double ms = (System.nanoTime() - s0) / 1e6;
                    row("specialist synth-" + d + String.format(" (%.0f ms)", ms), s, data.valid());
                }
            }
            fromDocuments(soup, data);
            System.out.println("\nEach specialist should beat the generic model on its own domain.");
        }
    }

    private static Data data(ByteTokenizer tok) {
        SyntheticCorpus corpus = new SyntheticCorpus(K, 400, 2025);
        int[][] train = new int[K][];
        List<TokenBatch> valid = new ArrayList<>();
        List<String> trainDocs = new ArrayList<>();
        List<Integer> trainLabels = new ArrayList<>();
        for (int d = 0; d < K; d++) {
            List<String> docs = corpus.documents(d, 0, 400, 150);
            trainDocs.addAll(docs);
            for (int i = 0; i < docs.size(); i++) {
                trainLabels.add(d);
            }
            train[d] = tok.encode(String.join("\n", docs));
            int[] heldOut = tok.encode(String.join("\n", corpus.documents(d, 1_000_000, 40, 150)));
            valid.add(windows(heldOut, 64, CONTEXT + 1, 7 + d));
        }
        return new Data(
                corpus,
                new InMemoryDomainSampler(corpus.domainNames(), train),
                valid,
                trainDocs,
                trainLabels.stream().mapToInt(Integer::intValue).toArray());
    }

    /**
     * Shipping a specialist from raw text (Algorithm 3): 30 unseen documents, 70% synth-2 and 30%
     * synth-3, matched to the domain centroids; their histogram is h.
     */
    private static void fromDocuments(SoupOfExperts soup, Data data) {
        HashedNgramEmbedder emb = HashedNgramEmbedder.defaults().fitIdf(data.trainDocs());
        Centroids centroids = Centroids.ofLabels(emb.embed(data.trainDocs()), data.trainLabels(), K, emb.id());
        List<String> specialistDocs = new ArrayList<>(data.corpus().documents(2, 2_000_000, 21, 150));
        specialistDocs.addAll(data.corpus().documents(3, 2_000_000, 9, 150));
        try (Specialist s = soup.specialize(specialistDocs, new NearestCentroidAssigner(emb, centroids, 0))) {
            row("from 30 docs (histogram)", s, data.valid());
            System.out.printf("  its h from the histogram: %s%n", Arrays.toString(s.domainWeights()));
        }
    }

    private static void row(String name, DenseModel s, List<TokenBatch> valid) {
        System.out.printf("%-26s", name);
        for (TokenBatch b : valid) {
            System.out.printf("%10.3f", s.loss(b) / Math.log(2));
        }
        System.out.println();
    }

    /** Random windows of a held-out token stream (same seed, same windows). */
    static TokenBatch windows(int[] tokens, int count, int length, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[] out = new int[count * length];
        for (int i = 0; i < count; i++) {
            System.arraycopy(tokens, rng.nextInt(tokens.length - length + 1), out, i * length, length);
        }
        return new TokenBatch(count, length, out, null);
    }
}
