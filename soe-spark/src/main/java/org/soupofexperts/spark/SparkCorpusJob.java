package org.soupofexperts.spark;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.data.cluster.Centroids;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The corpus job for {@code spark-submit} (or {@code main} with {@code --master local[*]}): reads
 * a corpus, embeds it, forms domains (k-means clusters, or one per label with {@code --labels}),
 * assigns every document, and writes {@code <out>/centroids.json} (soe-data's format, which the
 * soup's assigner reads), {@code <out>/assignments} (Parquet: id, domain, cluster), with
 * {@code --tokens} {@code <out>/tokens} (a token store in shards that soe-data's {@code
 * TokenStore.open} reads as one store, domains in centroid order), and {@code <out>/summary.json}
 * (documents, domains, embedder, purity against the labels, seconds). Not thread-safe (one run
 * per instance).
 */
@Command(
        name = "soe-spark-corpus",
        mixinStandardHelpOptions = true,
        description = "Embed, cluster and assign a corpus on Spark.")
public final class SparkCorpusJob implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(SparkCorpusJob.class);

    @Option(names = "--input", required = true, description = "JSONL (.jsonl, .jsonl.gz, .jsonl.zst) or Parquet path")
    String input;

    @Option(
            names = "--out",
            required = true,
            description = "output folder: a local path (on a cluster, one the driver and every executor mount) or a"
                    + " Hadoop URI (hdfs://, s3a://)")
    String out;

    @Option(names = "--k", defaultValue = "64", description = "clusters (default ${DEFAULT-VALUE})")
    int k;

    @Option(names = "--labels", description = "one domain per label of --domain-field instead of k-means")
    boolean labels;

    @Option(names = "--text-field", defaultValue = "text", description = "default ${DEFAULT-VALUE}")
    String textField;

    @Option(
            names = "--domain-field",
            defaultValue = "meta.pile_set_name",
            description = "the label's field, or - for an unlabelled corpus (default ${DEFAULT-VALUE})")
    String domainField;

    @Option(names = "--seed", defaultValue = "0", description = "k-means seed (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--max-iter", defaultValue = "20", description = "k-means iterations (default ${DEFAULT-VALUE})")
    int maxIter;

    @Option(names = "--master", description = "Spark master when not run by spark-submit, e.g. local[*]")
    String master;

    @Option(
            names = "--embedder",
            defaultValue = "hashed",
            description = "hashed, minilm or minilm:<characters> (default ${DEFAULT-VALUE})")
    String embedder;

    @Option(
            names = "--tokens",
            description = "also write <out>/tokens: a token store in shards (one per cluster and partition)")
    boolean tokens;

    @Option(
            names = "--tokenizer",
            defaultValue = "bytes",
            description = "bytes, or the path of a tokenizer.json (default ${DEFAULT-VALUE})")
    String tokenizer;

    @Option(
            names = "--valid-fraction",
            defaultValue = "0.05",
            description = "documents held out by the token store (default ${DEFAULT-VALUE})")
    double validFraction;

    @Option(
            names = "--embed-partitions",
            defaultValue = "-1",
            description = "spread the documents over this many tasks before embedding (a .gz file is read"
                    + " by one task); -1: Spark's default parallelism, 0: as read")
    int embedPartitions;

    @Option(
            names = "--partitions",
            defaultValue = "0",
            description = "token-store tasks, and so shards per large cluster (default: Spark's parallelism)")
    int partitions;

    @Override
    public Integer call() throws Exception {
        checkOptions();
        String outDir = out.endsWith("/") ? out.substring(0, out.length() - 1) : out;
        if (tokens) {
            // Before any work: not after an hour of embedding.
            HadoopFiles.checkStoreFolder(outDir + "/tokens");
        }
        EmbedderSpec emb = EmbedderSpec.parse(embedder);
        TokenizerSpec tok = tokens ? TokenizerSpec.parse(tokenizer) : null;
        SparkSession.Builder b = SparkSession.builder().appName("soe-spark-corpus");
        if (master != null) {
            b.master(master);
        }
        boolean ours = SparkSession.getDefaultSession().isEmpty();
        SparkSession spark = b.getOrCreate();
        long t0 = System.nanoTime();
        Dataset<Row> read = SparkCorpusPipeline.read(spark, input, textField, labelField());
        int spread = embedPartitions < 0 ? spark.sparkContext().defaultParallelism() : embedPartitions;
        Dataset<Row> docs = (spread > 0 ? read.repartition(spread) : read).cache();
        if (labels) {
            checkLabels(docs);
        }
        Dataset<Row> embedded = SparkCorpusPipeline.embed(docs, emb).cache();
        long unreadable = docs.count() - embedded.count();
        if (unreadable > 0) {
            LOG.warn("{} documents are left out: blank, or blank in what the embedder {} reads", unreadable, emb.id());
        }
        Centroids centroids = domains(docs, embedded, emb);
        List<String> names = centroids.names();
        Dataset<Row> assigned = SparkCorpusPipeline.assignEmbedded(embedded, centroids)
                .drop("features")
                .cache();
        HadoopFiles.writeString(outDir + "/centroids.json", centroids.toJson());
        assigned.select("id", "domain", "cluster").write().mode("overwrite").parquet(out + "/assignments");
        JsonObject summary = new JsonObject();
        summary.addProperty("input", input);
        summary.addProperty("documents", assigned.count());
        summary.addProperty("unreadableDocuments", unreadable);
        summary.addProperty("domains", centroids.k());
        summary.addProperty("mode", summaryMode());
        summary.addProperty("embedder", centroids.embedderId());
        summary.addProperty("seed", seed);
        double purity = purity(assigned);
        // JSON has no NaN: without labels there is no purity.
        summary.add("purity", Double.isNaN(purity) ? JsonNull.INSTANCE : new JsonPrimitive(purity));
        summary.addProperty("seconds", (System.nanoTime() - t0) / 1e9);
        if (tokens) {
            long t1 = System.nanoTime();
            int shards = writeTokens(spark, assigned, centroids, names, outDir + "/tokens", tok);
            summary.addProperty("tokenShards", shards);
            summary.addProperty("tokenSeconds", (System.nanoTime() - t1) / 1e9);
        }
        writeSummary(outDir, summary);
        if (ours && master != null) {
            spark.stop();
        }
        return 0;
    }

    /**
     * The domains' centroids: one per label, or k-means clusters, named (the labels in order, or
     * cluster-00, ...) so that a soup checks an h against its domains' order.
     */
    private Centroids domains(Dataset<Row> docs, Dataset<Row> embedded, EmbedderSpec emb) {
        if (labels) {
            List<String> names = docs.select("domain")
                    .distinct()
                    .orderBy("domain")
                    .as(Encoders.STRING())
                    .collectAsList();
            return SparkCorpusPipeline.ofLabels(embedded, names, emb.id()).withNames(names);
        }
        Centroids c = SparkCorpusPipeline.cluster(embedded, k, seed, maxIter, emb.id());
        return c.withNames(clusterNames(c.k()));
    }

    /** Writes the sharded token store; returns the number of shard files it lists. */
    private int writeTokens(
            SparkSession spark,
            Dataset<Row> assigned,
            Centroids centroids,
            List<String> names,
            String dir,
            TokenizerSpec tok)
            throws IOException {
        HadoopFiles.prepareStoreFolder(dir);
        SparkTokenStore.Result r = SparkTokenStore.write(
                assigned,
                dir,
                tok,
                names,
                validFraction,
                seed,
                partitions > 0 ? partitions : spark.sparkContext().defaultParallelism(),
                "spark(" + input + ", " + centroids.embedderId() + ", " + summaryMode() + ", k=" + centroids.k()
                        + ", seed=" + seed + ")");
        return r.shards();
    }

    private static void writeSummary(String outDir, JsonObject summary) throws IOException {
        HadoopFiles.writeString(
                outDir + "/summary.json",
                new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(summary));
    }

    /**
     * Refuses documents without a label in {@code --labels} mode, before any embedding: they would
     * otherwise become a domain of their own (null sorts first), or fail the token store at its end.
     */
    private void checkLabels(Dataset<Row> docs) {
        // The distinct labels are few; checked in Java, blank as Centroids.withNames means it
        // (Spark's trim strips spaces only, not tabs or line breaks).
        List<String> blank = docs.select("domain").distinct().as(Encoders.STRING()).collectAsList().stream()
                .filter(l -> l != null && l.isBlank())
                .toList();
        Column none = functions.col("domain").isNull();
        for (String b : blank) {
            none = none.or(functions.col("domain").equalTo(b));
        }
        Dataset<Row> unlabelled = docs.where(none);
        long n = unlabelled.count();
        if (n > 0) {
            long first = unlabelled.agg(functions.min("id")).first().getLong(0);
            throw new IllegalArgumentException(n + " documents have no label in field '" + domainField
                    + "' (the first has id " + first + "); --labels needs one on every document");
        }
    }

    /** The options' ranges, checked before any work (not after an hour of embedding). */
    private void checkOptions() {
        if (labels && labelField() == null) {
            throw new IllegalArgumentException("--labels needs a --domain-field, not -");
        }
        if (k < 1) {
            throw new IllegalArgumentException("--k must be >= 1, got " + k);
        }
        if (!(validFraction >= 0 && validFraction < 1)) {
            throw new IllegalArgumentException("--valid-fraction must be in [0, 1), got " + validFraction);
        }
        if (partitions < 0 || embedPartitions < -1) {
            throw new IllegalArgumentException("--partitions must be >= 0 and --embed-partitions >= -1, got "
                    + partitions + " and " + embedPartitions);
        }
    }

    /** The label's field, or null for an unlabelled corpus ({@code --domain-field -}). */
    private String labelField() {
        return "-".equals(domainField) ? null : domainField;
    }

    private String summaryMode() {
        return labels ? "labels" : "k-means";
    }

    /** Domain names of k clusters, in centroid order: cluster-00, cluster-01, ... */
    static List<String> clusterNames(int k) {
        int width = String.valueOf(k - 1).length();
        List<String> names = new ArrayList<>(k);
        for (int i = 0; i < k; i++) {
            names.add(String.format("cluster-%0" + Math.max(2, width) + "d", i));
        }
        return names;
    }

    /** The share of labelled documents in their cluster's majority label (NaN without labels). */
    static double purity(Dataset<Row> assigned) {
        Dataset<Row> labelled = assigned.where(functions.col("domain").isNotNull());
        long total = labelled.count();
        if (total == 0) {
            return Double.NaN;
        }
        long majority = labelled.groupBy("cluster", "domain")
                .count()
                .groupBy("cluster")
                .agg(functions.max("count").as("m"))
                .agg(functions.sum("m"))
                .first()
                .getLong(0);
        return (double) majority / total;
    }

    /** Runs the job; {@code --help} lists the options. */
    public static void main(String[] args) {
        System.exit(new CommandLine(new SparkCorpusJob()).execute(args));
    }
}
