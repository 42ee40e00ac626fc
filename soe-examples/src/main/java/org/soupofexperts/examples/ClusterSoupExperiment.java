package org.soupofexperts.examples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.ToDoubleFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.core.DenseModel;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.Specialist;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.config.Domains;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.config.SoupConfig;
import org.soupofexperts.core.io.Version;
import org.soupofexperts.data.cluster.Centroids;
import org.soupofexperts.data.cluster.ClusterDomains;
import org.soupofexperts.data.cluster.KMeans;
import org.soupofexperts.data.cluster.NearestCentroidAssigner;
import org.soupofexperts.data.corpus.Corpus;
import org.soupofexperts.data.embed.Embedder;
import org.soupofexperts.data.embed.HashedNgramEmbedder;
import org.soupofexperts.data.embed.MiniLmEmbedder;
import org.soupofexperts.data.eval.Evaluation;
import org.soupofexperts.data.sample.MetaDistributions;
import org.soupofexperts.data.sample.WindowSampler;
import org.soupofexperts.data.store.TokenStore;
import org.soupofexperts.examples.ClusterSoupResults.Clustering;
import org.soupofexperts.examples.ClusterSoupResults.Generic;
import org.soupofexperts.examples.ClusterSoupResults.Soup;
import org.soupofexperts.examples.experiment.Budget;
import org.soupofexperts.examples.experiment.Commands;
import org.soupofexperts.examples.experiment.ExperimentCommand;
import org.soupofexperts.examples.experiment.ExperimentData;
import org.soupofexperts.examples.experiment.Parts;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The paper's own setting: the training domains are k-means clusters of the corpus with its labels
 * ignored, the soup is trained over cluster weights, and the specialists for the corpus's labelled
 * domains come from histograms of their specialist sets over the clusters (Algorithm 3). Losses
 * are measured on the labelled domains' validation documents, which the cluster store never sees
 * (it is built from the labelled store's training documents only). The generic model trains on the
 * same documents at the same budget.
 */
@Command(
        name = "cluster-soup-experiment",
        mixinStandardHelpOptions = true,
        description = "A soup over k-means clusters, specialists for the labelled domains by histogram.")
public final class ClusterSoupExperiment extends ExperimentCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterSoupExperiment.class);

    @Option(
            names = "--out",
            defaultValue = "target/cluster-soup",
            description = "output folder (default ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--steps", defaultValue = "1500")
    int steps;

    @Option(names = "--clusters", defaultValue = "64", description = "k-means clusters k (default ${DEFAULT-VALUE})")
    int clusters;

    @Option(names = "--experts", defaultValue = "16")
    int experts;

    @Option(names = "--lr", defaultValue = "3e-3")
    double lr;

    @Option(
            names = "--generic-lr",
            split = ",",
            description = "learning rates of the generic model (the better one is the baseline; default: --lr)")
    List<Double> genericLrs;

    @Option(names = "--embedder", defaultValue = "minilm", description = "minilm or hashed (default ${DEFAULT-VALUE})")
    String embedder;

    @Option(
            names = "--max-chars",
            defaultValue = "512",
            description = "characters of each document MiniLM embeds (default ${DEFAULT-VALUE})")
    int maxChars;

    @Option(
            names = "--specialist-docs",
            defaultValue = "100",
            description = "documents of a labelled domain whose histogram is its h")
    int specialistDocs;

    @Option(names = "--eval-windows", defaultValue = "32")
    int evalWindows;

    @Option(
            names = "--meta",
            defaultValue = "recommended",
            description = "the soup's meta-distribution over clusters: recommended | natural | one-hot | sparse:S1-S2")
    String meta;

    public static void main(String[] args) {
        Commands.exit(new ClusterSoupExperiment(), args);
    }

    @Override
    public Integer call() throws Exception {
        Files.createDirectories(out);
        ExperimentData labelled = ExperimentData.prepare(corpus, out, 0, 0);
        Parts parts = new Parts(out, settings());
        int labels = labelled.k;
        List<String> docs = new ArrayList<>();
        List<Integer> labelList = new ArrayList<>();
        for (int d = 0; d < labels; d++) {
            for (String s : Evaluation.trainingDocuments(labelled.store, labelled.tokenizer, d, Integer.MAX_VALUE)) {
                docs.add(s);
                labelList.add(d);
            }
        }
        long t0 = System.nanoTime();
        Embedder emb =
                embedder.equals("hashed") ? HashedNgramEmbedder.defaults().fitIdf(docs) : new MiniLmEmbedder(maxChars);
        float[][] x = emb.embed(docs);
        double embedSeconds = (System.nanoTime() - t0) / 1e9;
        Centroids centroids = KMeans.fit(x, clusters, seed, 100, emb.id());
        int[] cluster = centroids.nearest(x);
        int[] label = labelList.stream().mapToInt(Integer::intValue).toArray();
        Clustering clustering = parts.getOrRun(
                "clustering",
                Clustering.class,
                () -> new Clustering(emb.id(), embedSeconds, ClusterCorpus.purity(cluster, label, labels)));
        LOG.info("{} documents, {} clusters: {}", docs.size(), clusters, clustering);
        TokenStore store = clusterStore(docs, cluster, emb, centroids, labelled);
        WindowSampler sampler = store.trainSampler();
        NearestCentroidAssigner assigner = new NearestCentroidAssigner(emb, centroids, 0.0);
        double[][] hist = new double[labels][];
        for (int d = 0; d < labels; d++) {
            hist[d] = assigner.domainWeights(
                    Evaluation.trainingDocuments(labelled.store, labelled.tokenizer, d, specialistDocs));
        }
        ModelConfig model = model(labelled.tokenizer.vocabSize());
        // The generic model at each learning rate; the better one is the baseline (a soup must not
        // look better only because its weights move faster).
        List<Generic> generics = new ArrayList<>();
        for (double glr : genericLrs == null || genericLrs.isEmpty() ? List.of(lr) : genericLrs) {
            generics.add(
                    parts.getOrRun("generic-lr" + glr, Generic.class, () -> generic(model, glr, sampler, labelled)));
        }
        Generic generic =
                generics.stream().min(Comparator.comparingDouble(Generic::mean)).orElseThrow();
        Soup soup = parts.getOrRun("soup", Soup.class, () -> soup(model, sampler, hist, labelled));
        ClusterSoupReport.write(
                out,
                new ClusterSoupResults(
                        clustering, clusters, meta, steps, labelled.domains(), hist, generics, generic, soup),
                experts);
        return 0;
    }

    /** The store of the same training documents, each labelled by its cluster. */
    private TokenStore clusterStore(
            List<String> docs, int[] cluster, Embedder emb, Centroids centroids, ExperimentData labelled)
            throws IOException {
        Map<String, Integer> clusterOf = new HashMap<>();
        for (int i = 0; i < docs.size(); i++) {
            clusterOf.put(docs.get(i), cluster[i]);
        }
        Corpus unlabelled = Corpus.of("training documents", docs);
        TokenStore.Options options = new TokenStore.Options(
                0.0,
                seed,
                doc -> "cluster-" + clusterOf.get(doc.text()),
                "clusters(" + emb.id() + ", " + centroids.fingerprint() + ")",
                ClusterDomains.domainNames(clusters));
        return TokenStore.openOrBuild(out.resolve("cluster-store"), unlabelled, labelled.tokenizer, options);
    }

    private Generic generic(ModelConfig model, double glr, WindowSampler sampler, ExperimentData labelled) {
        double[] natural = sampler.domains().natural();
        try (DenseModel g = DenseModel.create(model, seed)) {
            double secs = g.train(new Budget(batch, context, glr, seed)
                            .config(sampler, MetaDistributions.fixed(natural), steps)
                            .build())
                    .seconds();
            Generic r = new Generic(glr, secs, onLabels(g::loss, labelled));
            LOG.info("generic model at lr {}: {} bits/byte", glr, r.mean());
            return r;
        }
    }

    private Soup soup(ModelConfig model, WindowSampler sampler, double[][] hist, ExperimentData labelled) {
        Domains domains = sampler.domains();
        SoupConfig config = SoupConfig.builder()
                .model(model)
                .domains(domains)
                .experts(experts)
                .seed(seed)
                .build();
        try (SoupOfExperts soup = SoupOfExperts.create(config)) {
            soup.train(new Budget(batch, context, lr, seed)
                    .config(sampler, MetaDistributions.fromSpec(meta).apply(domains.sizes()), steps)
                    .build());
            double[] atNatural;
            try (Specialist n = soup.instantiate(domains.natural())) {
                atNatural = onLabels(n::loss, labelled);
            }
            double[] specialized = new double[labelled.k];
            for (int d = 0; d < labelled.k; d++) {
                try (Specialist s = soup.instantiate(hist[d])) {
                    specialized[d] = Evaluation.onValidation(s::loss, labelled.store, d, context, evalWindows)
                            .bitsPerByte();
                }
            }
            return new Soup(soup.lastReport().seconds(), specialized, atNatural);
        }
    }

    private double[] onLabels(ToDoubleFunction<TokenBatch> loss, ExperimentData labelled) {
        double[] at = new double[labelled.k];
        for (int d = 0; d < labelled.k; d++) {
            at[d] = Evaluation.onValidation(loss, labelled.store, d, context, evalWindows)
                    .bitsPerByte();
        }
        return at;
    }

    private String settings() {
        return String.join(
                " ",
                baseSettings(),
                "--steps=" + steps,
                "--clusters=" + clusters,
                "--experts=" + experts,
                "--lr=" + lr,
                "--embedder=" + embedder,
                "--max-chars=" + maxChars,
                "--specialist-docs=" + specialistDocs,
                "--eval-windows=" + evalWindows,
                "--meta=" + meta,
                "(library " + Version.get() + ")");
    }
}
