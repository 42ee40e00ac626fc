package org.soupofexperts.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
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
}
