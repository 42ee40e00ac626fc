package org.soupofexperts.examples;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.core.DenseModel;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.Specialist;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.config.SoupConfig;
import org.soupofexperts.core.train.TrainingReport;
import org.soupofexperts.data.cluster.Centroids;
import org.soupofexperts.data.cluster.ClusterDomains;
import org.soupofexperts.data.cluster.KMeans;
import org.soupofexperts.data.cluster.NearestCentroidAssigner;
import org.soupofexperts.data.corpus.Corpus;
import org.soupofexperts.data.corpus.Document;
import org.soupofexperts.data.embed.Embedder;
import org.soupofexperts.data.embed.HashedNgramEmbedder;
import org.soupofexperts.data.embed.MiniLmEmbedder;
import org.soupofexperts.data.eval.Evaluation;
import org.soupofexperts.data.sample.MetaDistributions;
import org.soupofexperts.data.sample.WindowSampler;
import org.soupofexperts.data.store.TokenStore;
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
        int labels = labelled.k;
        List<String> docs = new ArrayList<>();
        List<Integer> labelList = new ArrayList<>();
        for (int d = 0; d < labels; d++) {
            for (String s : Evaluation.trainingDocuments(labelled.store, labelled.tokenizer, d, Integer.MAX_VALUE)) {
                docs.add(s);
                labelList.add(d);
            }
        }
        int[] label = labelList.stream().mapToInt(Integer::intValue).toArray();
        long t0 = System.nanoTime();
        Embedder emb =
                embedder.equals("hashed") ? HashedNgramEmbedder.defaults().fitIdf(docs) : new MiniLmEmbedder(maxChars);
        float[][] x = emb.embed(docs);
        double embedSeconds = (System.nanoTime() - t0) / 1e9;
        Centroids centroids = KMeans.fit(x, clusters, seed, 100, emb.id());
        int[] cluster = centroids.nearest(x);
        double purity = ClusterCorpus.purity(cluster, label, labels);
        LOG.info(
                "{} documents embedded in {} s; {} clusters, purity against the labels {}",
                docs.size(),
                embedSeconds,
                clusters,
                purity);

        Map<String, Integer> clusterOf = new HashMap<>();
        for (int i = 0; i < docs.size(); i++) {
            clusterOf.put(docs.get(i), cluster[i]);
        }
        Corpus unlabelled = new Corpus() {
            @Override
            public void forEach(Consumer<Document> sink) {
                for (int i = 0; i < docs.size(); i++) {
                    sink.accept(new Document(docs.get(i), null, "training documents", i + 1));
                }
            }

            @Override
            public String fingerprint() {
                return "training documents: " + docs.size() + ", content hash " + docs.hashCode();
            }
        };
        TokenStore.Options options = new TokenStore.Options(
                0.0,
                seed,
                doc -> "cluster-" + clusterOf.get(doc.text()),
                "clusters(" + emb.id() + ", " + centroids.fingerprint() + ")",
                ClusterDomains.domainNames(clusters));
        TokenStore store =
                TokenStore.openOrBuild(out.resolve("cluster-store"), unlabelled, labelled.tokenizer, options);
        WindowSampler sampler = store.trainSampler();
        double[] natural = MetaDistributions.naturalWeights(sampler.sizes());
        ModelConfig model = model(labelled.tokenizer.vocabSize());
        Budget budget = new Budget(batch, context, lr, seed);

        NearestCentroidAssigner assigner = new NearestCentroidAssigner(emb, centroids, 0.0);
        double[][] hist = new double[labels][];
        for (int d = 0; d < labels; d++) {
            hist[d] = assigner.domainWeights(
                    Evaluation.trainingDocuments(labelled.store, labelled.tokenizer, d, specialistDocs));
        }

        // The generic model at each learning rate; the better one is the baseline (a soup must not
        // look better only because its weights move faster).
        double[] generic = null;
        double genericSeconds = 0;
        genericLr = lr;
        genericMeans = new LinkedHashMap<>();
        for (double glr : genericLrs == null || genericLrs.isEmpty() ? List.of(lr) : genericLrs) {
            double[] at = new double[labels];
            double secs;
            try (DenseModel g = DenseModel.create(model, seed)) {
                secs = g.train(new Budget(batch, context, glr, seed)
                                .config(sampler, MetaDistributions.fixed(natural), steps)
                                .build())
                        .seconds();
                for (int d = 0; d < labels; d++) {
                    at[d] = Evaluation.onValidation(g::loss, labelled.store, d, context, evalWindows)
                            .bitsPerByte();
                }
            }
            double mean = Arrays.stream(at).average().orElse(Double.NaN);
            genericMeans.put(glr, mean);
            LOG.info("generic model at lr {}: {} bits/byte", glr, mean);
            if (generic == null || mean < Arrays.stream(generic).average().orElse(Double.NaN)) {
                generic = at;
                genericSeconds = secs;
                genericLr = glr;
            }
        }
        double[] specialized = new double[labels];
        double[] atNatural = new double[labels];
        TrainingReport report;
        SoupConfig config = SoupConfig.builder()
                .model(model)
                .domains(clusters)
                .experts(experts)
                .seed(seed)
                .build();
        try (SoupOfExperts soup = SoupOfExperts.create(config)) {
            soup.train(budget.config(sampler, MetaDistributions.fromSpec(meta).apply(sampler.sizes()), steps)
                    .build());
            report = soup.lastReport();
            try (Specialist n = soup.instantiate(natural)) {
                for (int d = 0; d < labels; d++) {
                    atNatural[d] = Evaluation.onValidation(n::loss, labelled.store, d, context, evalWindows)
                            .bitsPerByte();
                }
            }
            for (int d = 0; d < labels; d++) {
                try (Specialist s = soup.instantiate(hist[d])) {
                    specialized[d] = Evaluation.onValidation(s::loss, labelled.store, d, context, evalWindows)
                            .bitsPerByte();
                }
            }
        }
        write(
                labelled.domains(),
                hist,
                generic,
                specialized,
                atNatural,
                genericSeconds,
                report,
                embedSeconds,
                purity,
                emb);
        return 0;
    }

    private double genericLr;
    private Map<Double, Double> genericMeans;

    private void write(
            List<String> domains,
            double[][] hist,
            double[] generic,
            double[] specialized,
            double[] atNatural,
            double genericSeconds,
            TrainingReport report,
            double embedSeconds,
            double purity,
            Embedder emb)
            throws IOException {
        StringBuilder md = new StringBuilder();
        md.append(String.format(
                "Embedder %s (%.0f s for the corpus); %d k-means clusters, purity against the %d labels %.3f."
                        + " Soup: n = %d, %d steps, meta-distribution %s; generic: the same budget on the natural"
                        + " mixture, at its better learning rate %s (mean bits/byte by learning rate: %s).%n%n",
                emb.id(),
                embedSeconds,
                clusters,
                domains.size(),
                purity,
                experts,
                steps,
                meta,
                genericLr,
                genericMeans));
        md.append(
                "| domain | clusters in h (effective) | top cluster share | generic | soup (histogram h) | soup (natural h) | h matters |\n"
                        + "|---|---:|---:|---:|---:|---:|---:|\n");
        int wins = 0;
        double g = 0;
        double s = 0;
        double n = 0;
        for (int d = 0; d < domains.size(); d++) {
            double sq = 0;
            double top = 0;
            for (double v : hist[d]) {
                sq += v * v;
                top = Math.max(top, v);
            }
            md.append(String.format(
                    "| %s | %.1f | %.2f | %.3f | %.3f | %.3f | %.3f |%n",
                    domains.get(d),
                    1 / sq,
                    top,
                    generic[d],
                    specialized[d],
                    atNatural[d],
                    atNatural[d] - specialized[d]));
            wins += specialized[d] < generic[d] ? 1 : 0;
            g += generic[d] / domains.size();
            s += specialized[d] / domains.size();
            n += atNatural[d] / domains.size();
        }
        md.append(String.format("| **average** | | | **%.3f** | **%.3f** | **%.3f** | **%.3f** |%n%n", g, s, n, n - s));
        md.append(String.format(
                "The soup's specialists beat the generic model on %d of %d labelled domains (%+.1f%%). Training: generic %.0f s,"
                        + " soup %.0f s.%n",
                wins, domains.size(), 100 * (s / g - 1), genericSeconds, report.seconds()));
        JsonObject json = new JsonObject();
        var gson = new GsonBuilder()
                .setPrettyPrinting()
                .serializeSpecialFloatingPointValues()
                .create();
        json.addProperty("embedder", emb.id());
        json.addProperty("clusters", clusters);
        json.addProperty("metaDistribution", meta);
        json.addProperty("steps", steps);
        json.addProperty("purity", purity);
        json.add("domains", gson.toJsonTree(domains));
        json.add("h", gson.toJsonTree(hist));
        json.add("genericPerDomainBitsPerByte", gson.toJsonTree(generic));
        json.addProperty("genericLearningRate", genericLr);
        JsonObject byLr = new JsonObject();
        genericMeans.forEach((k, v) -> byLr.addProperty(String.valueOf(k), v));
        json.add("genericMeanBitsPerByteByLearningRate", byLr);
        json.add("soupSpecializedBitsPerByte", gson.toJsonTree(specialized));
        json.add("soupNaturalPerDomainBitsPerByte", gson.toJsonTree(atNatural));
        json.addProperty("soupWins", wins);
        Parts.write(out.resolve("results.md"), md.toString());
        Parts.write(out.resolve("results.json"), gson.toJson(json));
        LOG.info("cluster soup:\n{}", md);
    }
}
