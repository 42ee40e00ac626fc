package org.soupofexperts.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.soupofexperts.data.cluster.Centroids;
import org.soupofexperts.data.cluster.NearestCentroidAssigner;
import org.soupofexperts.data.embed.HashedNgramEmbedder;
import org.soupofexperts.data.synth.SyntheticCorpus;
import picocli.CommandLine;

/** The Spark pipeline in local mode gives the single-machine answers on a corpus made here. */
class SparkCorpusPipelineTest {

    private static final int K = 3;
    private static final int PER_DOMAIN = 60;
    private static final SyntheticCorpus SYNTH = new SyntheticCorpus(K, 400, 5);

    @TempDir
    static Path dir;

    private static SparkSession spark;
    private static Path corpus;

    @BeforeAll
    static void start() throws IOException {
        spark = SparkFixtures.session();
        corpus = SparkFixtures.corpus(dir.resolve("train.jsonl.gz"), SYNTH, PER_DOMAIN);
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static List<Row> byId(Dataset<Row> d) {
        return d.orderBy("id").collectAsList();
    }

    @Test
    void sparkAssignmentsFromTextOrEmbeddingsEqualTheSingleMachineAssignerAndClustersFindTheDomains() {
        EmbedderSpec emb = EmbedderSpec.hashed(HashedNgramEmbedder.defaults());
        Dataset<Row> docs = SparkCorpusPipeline.read(spark, corpus.toString(), "text", "meta.pile_set_name")
                .repartition(3);
        assertEquals(K * PER_DOMAIN, docs.count());
        Centroids centroids = SparkCorpusPipeline.cluster(SparkCorpusPipeline.embed(docs, emb), K, 7, 20, emb.id());
        List<Row> assigned = byId(SparkCorpusPipeline.assign(docs, emb, centroids));
        List<Row> fromEmbeddings =
                byId(SparkCorpusPipeline.assignEmbedded(SparkCorpusPipeline.embed(docs, emb), centroids));

        List<String> texts = new ArrayList<>();
        for (Row r : assigned) {
            texts.add(r.getString(1));
        }
        int[] single = new NearestCentroidAssigner(emb.create(), centroids, 0).assign(texts);
        Map<String, Map<Integer, Integer>> counts = new HashMap<>();
        for (int i = 0; i < assigned.size(); i++) {
            assertEquals(
                    single[i],
                    assigned.get(i).getInt(3),
                    "document " + assigned.get(i).getLong(0));
            assertEquals(
                    single[i],
                    fromEmbeddings.get(i).getInt(4),
                    "document " + assigned.get(i).getLong(0) + ", assigned from its embedding");
            counts.computeIfAbsent(assigned.get(i).getString(2), x -> new HashMap<>())
                    .merge(assigned.get(i).getInt(3), 1, Integer::sum);
        }
        // Purity against the labels: each domain's documents fall mostly in one cluster.
        int majority = 0;
        for (Map<Integer, Integer> c : counts.values()) {
            majority += c.values().stream().mapToInt(Integer::intValue).max().orElse(0);
        }
        double purity = (double) majority / assigned.size();
        assertTrue(purity > 0.9, "k-means should recover the " + K + " domains, purity " + purity);
    }

    @Test
    void labelCentroidsAndTheHistogramMatchTheSingleMachineOnes() {
        EmbedderSpec emb = EmbedderSpec.hashed(HashedNgramEmbedder.defaults());
        Dataset<Row> docs = SparkCorpusPipeline.read(spark, corpus.toString(), "text", "meta.pile_set_name");
        Centroids fromSpark =
                SparkCorpusPipeline.ofLabels(SparkCorpusPipeline.embed(docs, emb), SYNTH.domainNames(), emb.id());
        List<List<String>> perDomain = new ArrayList<>();
        for (int d = 0; d < K; d++) {
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < PER_DOMAIN; i++) {
                texts.add(SYNTH.document(d, i, 60));
            }
            perDomain.add(texts);
        }
        Centroids single = Centroids.ofDomains(emb.create(), perDomain);
        for (int d = 0; d < K; d++) {
            assertArrayEquals(
                    single.get(d),
                    fromSpark.get(d),
                    1e-5f,
                    "centroid of " + SYNTH.domainNames().get(d));
        }
        Dataset<Row> specialist = SparkCorpusPipeline.read(spark, corpus.toString(), "text", "meta.pile_set_name")
                .where("domain = '" + SYNTH.domainNames().get(1) + "'");
        double[] h = SparkCorpusPipeline.histogram(specialist, emb, fromSpark, 0.5);
        double[] expected = new NearestCentroidAssigner(emb.create(), fromSpark, 0.5).domainWeights(perDomain.get(1));
        assertArrayEquals(expected, h, 1e-12);
        assertTrue(h[1] > 0.9, "the specialist set is domain 1's: h = " + Arrays.toString(h));
    }

    @Test
    void theJobWritesCentroidsTheAssignerReadsAssignmentsAndASummary() throws IOException {
        for (String mode : List.of("k-means", "labels")) {
            Path out = dir.resolve("job-" + mode);
            List<String> args = new ArrayList<>(List.of(
                    "--input",
                    corpus.toString(),
                    "--out",
                    out.toString(),
                    "--k",
                    "3",
                    "--seed",
                    "1",
                    "--master",
                    "local[2]"));
            if (mode.equals("labels")) {
                args.add("--labels");
            }
            int code = new CommandLine(new SparkCorpusJob()).execute(args.toArray(String[]::new));
            assertEquals(0, code, mode);
            Centroids c = Centroids.load(out.resolve("centroids.json"));
            assertEquals(K, c.k(), mode);
            assertEquals(
                    K * PER_DOMAIN,
                    spark.read().parquet(out.resolve("assignments").toString()).count());
            JsonObject summary = JsonParser.parseString(Files.readString(out.resolve("summary.json")))
                    .getAsJsonObject();
            assertEquals(mode, summary.get("mode").getAsString());
            assertTrue(summary.get("purity").getAsDouble() > 0.9, mode + ": " + summary);
        }
    }

    /**
     * MiniLM refuses an empty list and a text blank in its opening: a partition with no documents
     * is skipped, and such documents are left out of the embeddings, get cluster -1, and are left
     * out of the histogram, as the single-machine assigner leaves them out.
     */
    @Test
    void miniLmSkipsEmptyPartitionsAndLeavesOutDocumentsItCannotRead() throws IOException {
        EmbedderSpec emb = EmbedderSpec.miniLm(64);
        List<String> texts = List.of(
                "the cat sat on the mat and purred",
                "   \n\t ",
                " ".repeat(100) + "text past the opening the embedder reads",
                "stock prices fell sharply in early trading",
                "a dog chased the cat around the garden",
                "bond yields rose as markets slid");
        Path file = dir.resolve("blank.jsonl");
        StringBuilder lines = new StringBuilder();
        for (String t : texts) {
            JsonObject o = new JsonObject();
            o.addProperty("text", t);
            lines.append(o).append('\n');
        }
        Files.writeString(file, lines.toString());
        // Far more partitions than documents: most are empty.
        Dataset<Row> docs =
                SparkCorpusPipeline.read(spark, file.toString(), "text", null).repartition(16);
        assertEquals(4, SparkCorpusPipeline.embed(docs, emb).count(), "the two unreadable documents are left out");
        Centroids centroids = Centroids.ofDomains(
                emb.create(), List.of(List.of(texts.get(0), texts.get(4)), List.of(texts.get(3), texts.get(5))));
        List<Row> assigned = byId(SparkCorpusPipeline.assign(docs, emb, centroids));
        NearestCentroidAssigner single = new NearestCentroidAssigner(emb.create(), centroids, 0.5);
        for (Row r : assigned) {
            String text = r.getString(1);
            int expected = text.equals(texts.get(1)) || text.equals(texts.get(2))
                    ? SparkCorpusPipeline.UNREADABLE
                    : single.assign(List.of(text))[0];
            assertEquals(expected, r.getInt(3), "document " + r.getLong(0));
        }
        assertArrayEquals(single.domainWeights(texts), SparkCorpusPipeline.histogram(docs, emb, centroids, 0.5), 1e-12);
        Dataset<Row> blank = docs.where(functions.col("id").isin(1L, 2L));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> SparkCorpusPipeline.histogram(blank, emb, centroids, 0.5));
        assertTrue(e.getMessage().contains("all 2 of its documents are empty or blank"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> SparkCorpusPipeline.histogram(docs.limit(0), emb, centroids, 0.5));
        assertTrue(e.getMessage().contains("the specialist set is empty"), e.getMessage());
    }

    /** A partition larger than a batch is assigned in batches, in order, with nothing lost. */
    @Test
    void aPartitionOfManyBatchesIsAssignedWholeAndInOrder() {
        EmbedderSpec emb = EmbedderSpec.hashed(HashedNgramEmbedder.defaults());
        Dataset<Row> one = SparkCorpusPipeline.read(spark, corpus.toString(), "text", "meta.pile_set_name")
                .coalesce(1);
        Dataset<Row> many =
                one.union(one).union(one).union(one).union(one).union(one).coalesce(1);
        long n = many.count();
        assertTrue(n > 1 + SparkCorpusPipeline.BATCH, "more rows than a batch: " + n);
        Centroids centroids =
                SparkCorpusPipeline.ofLabels(SparkCorpusPipeline.embed(one, emb), SYNTH.domainNames(), emb.id());
        List<Row> rows = SparkCorpusPipeline.assignEmbedded(SparkCorpusPipeline.embed(many, emb), centroids)
                .collectAsList();
        assertEquals(n, rows.size());
        List<String> texts = rows.stream().map(r -> r.getString(1)).toList();
        int[] single = new NearestCentroidAssigner(emb.create(), centroids, 0).assign(texts);
        for (int i = 0; i < rows.size(); i++) {
            assertEquals(single[i], rows.get(i).getInt(4), "row " + i);
        }
    }

    /** In --labels mode a document without a label is refused by its id before any embedding. */
    @Test
    void theJobRefusesUnlabelledDocumentsInLabelsModeAndWritesNoPurityWithoutLabels() throws IOException {
        Path file = dir.resolve("unlabelled.jsonl");
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            JsonObject o = new JsonObject();
            o.addProperty("text", SYNTH.document(i % K, i, 30));
            JsonObject meta = new JsonObject();
            // Spark's trim would see the space as blank but not the tab.
            meta.addProperty(
                    "pile_set_name",
                    i == 5 ? " " : i == 6 ? "\t" : SYNTH.domainNames().get(i % K));
            o.add("meta", meta);
            lines.append(o).append('\n');
        }
        Files.writeString(file, lines.toString());
        Path out = dir.resolve("job-unlabelled");
        String[] args = {"--input", file.toString(), "--out", out.toString(), "--labels", "--master", "local[2]"};
        CommandLine cl = new CommandLine(new SparkCorpusJob());
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        assertEquals(1, cl.execute(args));
        assertTrue(
                err.toString().contains("2 documents have no label in field 'meta.pile_set_name' (the first has id 5)"),
                err.toString());
        assertFalse(Files.exists(out.resolve("centroids.json")), "refused before any work");

        String[] kmeans = {
            "--input",
            file.toString(),
            "--out",
            out.toString(),
            "--k",
            "2",
            "--domain-field",
            "-",
            "--master",
            "local[2]"
        };
        assertEquals(0, new CommandLine(new SparkCorpusJob()).execute(kmeans));
        JsonObject summary = JsonParser.parseString(Files.readString(out.resolve("summary.json")))
                .getAsJsonObject();
        assertTrue(summary.get("purity").isJsonNull(), summary.toString());
        assertEquals(
                List.of("cluster-00", "cluster-01"),
                Centroids.load(out.resolve("centroids.json")).names());
    }
}
