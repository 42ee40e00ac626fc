package org.soupofexperts.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.ZstdOutputStream;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.train.TrainingPlan;
import org.soupofexperts.core.train.TrainingReport;
import org.soupofexperts.data.cluster.Centroids;
import org.soupofexperts.data.corpus.JsonlCorpus;
import org.soupofexperts.data.embed.HashedNgramEmbedder;
import org.soupofexperts.data.sample.MetaDistributions;
import org.soupofexperts.data.store.TokenStore;
import org.soupofexperts.data.synth.SyntheticCorpus;
import org.soupofexperts.data.tokenize.ByteTokenizer;
import picocli.CommandLine;

/**
 * The token store the Spark job writes in shards opens as one store that holds, domain by domain,
 * the documents a single-machine build of the same assignment holds; it samples the same domain
 * shares; and a soup trains from it.
 */
class SparkTokenStoreTest {

    private static final int K = 3;
    private static final int PER_DOMAIN = 60;
    private static final SyntheticCorpus SYNTH = new SyntheticCorpus(K, 400, 11);
    private static final ByteTokenizer TOK = new ByteTokenizer();

    @TempDir
    static Path dir;

    private static SparkSession spark;
    private static Path corpus;
    private static TokenStore sharded;
    private static TokenStore single;

    /** Label centroids, a Spark assignment, its sharded store (3 tasks) and a single-folder store of the same. */
    @BeforeAll
    static void start() throws IOException {
        spark = SparkFixtures.session();
        corpus = SparkFixtures.corpus(dir.resolve("train.jsonl.gz"), SYNTH, PER_DOMAIN);
        EmbedderSpec emb = EmbedderSpec.hashed(HashedNgramEmbedder.defaults());
        Dataset<Row> docs = SparkCorpusPipeline.read(spark, corpus.toString(), "text", "meta.pile_set_name");
        Centroids c = SparkCorpusPipeline.ofLabels(SparkCorpusPipeline.embed(docs, emb), SYNTH.domainNames(), emb.id());
        Dataset<Row> assigned = SparkCorpusPipeline.assign(docs, emb, c).cache();
        Path storeDir = dir.resolve("sharded");
        SparkTokenStore.Result r = SparkTokenStore.write(
                assigned, storeDir.toString(), TokenizerSpec.bytes(), SYNTH.domainNames(), 0.1, 3, 3, "test");
        assertTrue(r.shards() >= 2 * K, "a train and a valid shard per cluster at least: " + r.shards());
        assertEquals(K * PER_DOMAIN, r.documents());
        sharded = TokenStore.open(storeDir);

        Map<String, Integer> clusterOf = new HashMap<>();
        for (Row row : assigned.collectAsList()) {
            clusterOf.put(row.getString(1), row.getInt(3));
        }
        single = TokenStore.openOrBuild(
                dir.resolve("single"),
                JsonlCorpus.builder().file(corpus).build(),
                TOK,
                new TokenStore.Options(
                        0.1,
                        3,
                        d -> SYNTH.domainNames().get(clusterOf.get(d.text())),
                        "spark-assignment",
                        SYNTH.domainNames()));
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    @Test
    void theShardedStoreHoldsTheSingleMachineStoresDocumentsDomainByDomainInIdOrder() {
        assertEquals(single.domains().names(), sharded.domains().names());
        for (int d = 0; d < K; d++) {
            for (boolean valid : new boolean[] {false, true}) {
                long n = valid ? single.validDocuments(d) : single.trainDocuments(d);
                assertEquals(n, valid ? sharded.validDocuments(d) : sharded.trainDocuments(d), "domain " + d);
                for (int i = 0; i < n; i++) {
                    assertEquals(
                            TOK.decode(single.document(d, valid, i)),
                            TOK.decode(sharded.document(d, valid, i)),
                            "domain " + d + (valid ? " valid" : " train") + " document " + i);
                }
            }
            assertTrue(sharded.trainDocuments(d) > 40 && sharded.validDocuments(d) > 0, "domain " + d);
        }
    }

    /**
     * Windows of each store, drawn with h, are classified by the domain whose text holds them
     * (in the other store): the shares follow h in both (chi-square at p = 0.001, 2 df).
     */
    @Test
    void bothStoresSampleTheSameDomainSharesByContent() {
        double[] h = {0.6, 0.3, 0.1};
        int n = 3000;
        int length = 24;
        long seed = 20261130L;
        List<String> singleText = domainTexts(single);
        List<String> shardedText = domainTexts(sharded);
        long[] fromSharded =
                classify(sharded.trainSampler().sample(h, n, length, new SplittableRandom(seed)), singleText);
        long[] fromSingle =
                classify(single.trainSampler().sample(h, n, length, new SplittableRandom(seed + 1)), shardedText);
        for (long[] counts : List.of(fromSharded, fromSingle)) {
            long matched = counts[0] + counts[1] + counts[2];
            assertTrue(matched > 0.98 * n, "windows found in one domain's text: " + matched + " of " + n);
            double chi2 = 0;
            for (int d = 0; d < K; d++) {
                double e = matched * h[d];
                chi2 += (counts[d] - e) * (counts[d] - e) / e;
            }
            assertTrue(chi2 < 13.82, "chi2 " + chi2 + " (seeds " + seed + ", " + (seed + 1) + ")");
        }
    }

    private static List<String> domainTexts(TokenStore s) {
        List<String> out = new ArrayList<>();
        for (int d = 0; d < K; d++) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < s.trainDocuments(d); i++) {
                sb.append(TOK.decode(s.document(d, false, i))).append("\n\n");
            }
            out.add(sb.toString());
        }
        return out;
    }

    /** Counts of windows found in exactly one domain's text (a window across a shard join is in none). */
    private static long[] classify(TokenBatch b, List<String> texts) {
        long[] counts = new long[K];
        for (int i = 0; i < b.batchSize(); i++) {
            String w = TOK.decode(b.row(i));
            int found = -1;
            for (int d = 0; d < K; d++) {
                if (texts.get(d).contains(w)) {
                    found = found == -1 ? d : -2;
                }
            }
            if (found >= 0) {
                counts[found]++;
            }
        }
        return counts;
    }

    @Test
    void aSoupTrainsFromTheShardedStore() {
        try (SoupOfExperts soup = SoupOfExperts.builder()
                .model(ModelConfig.builder()
                        .vocabSize(256)
                        .layers(1)
                        .dModel(32)
                        .heads(2)
                        .contextLength(32)
                        .build())
                .domains(K)
                .experts(2)
                .seed(5)
                .build()) {
            TrainingReport r = soup.train(TrainingPlan.builder()
                    .source(sharded.trainSampler())
                    .metaDistribution(
                            MetaDistributions.recommended(sharded.trainSampler().domains()))
                    .steps(60)
                    .batchSize(8)
                    .learningRate(3e-3)
                    .warmup(5)
                    .build());
            assertEquals(60, r.steps());
            assertTrue(
                    r.finalLoss(0.2) < Math.log(256) - 1.5,
                    "from ln 256 = 5.55 nats at the start, the loss fell only to " + r.finalLoss(0.2));
        }
    }

    @Test
    void theJobWritesATokenStoreAtAPathOrAUriWithLabelOrClusterNamesAndRefusesAUsersFolder() throws IOException {
        for (String mode : List.of("labels", "k-means")) {
            Path out = dir.resolve("job-" + mode);
            // k-means mode names its output folder by a Hadoop URI (file://), labels mode by a path.
            String outArg = mode.equals("labels") ? out.toString() : out.toUri().toString();
            List<String> args = new ArrayList<>(List.of(
                    "--input",
                    corpus.toString(),
                    "--out",
                    outArg,
                    "--k",
                    "3",
                    "--seed",
                    "1",
                    "--tokens",
                    "--partitions",
                    "2",
                    "--master",
                    "local[2]"));
            if (mode.equals("labels")) {
                args.add("--labels");
            }
            assertEquals(0, new CommandLine(new SparkCorpusJob()).execute(args.toArray(String[]::new)), mode);
            TokenStore s = TokenStore.open(out.resolve("tokens"));
            assertEquals(
                    mode.equals("labels") ? SYNTH.domainNames() : List.of("cluster-00", "cluster-01", "cluster-02"),
                    s.domains().names());
            long docs = 0;
            for (int d = 0; d < K; d++) {
                docs += s.trainDocuments(d) + s.validDocuments(d);
            }
            assertEquals(K * PER_DOMAIN, docs, mode);
            JsonObject summary = JsonParser.parseString(Files.readString(out.resolve("summary.json")))
                    .getAsJsonObject();
            assertTrue(summary.get("tokenShards").getAsInt() >= 2 * K, summary.toString());
            assertEquals(K, Centroids.load(out.resolve("centroids.json")).k(), mode);
            // A second run replaces its own store.
            assertEquals(0, new CommandLine(new SparkCorpusJob()).execute(args.toArray(String[]::new)), mode);
            assertEquals(
                    s.domains().names(),
                    TokenStore.open(out.resolve("tokens")).domains().names());
        }
        Path out = dir.resolve("job-user");
        Path tokens = out.resolve("tokens");
        Files.createDirectories(tokens);
        // What a failed run leaves (shards and a temporary file, no manifest) is this job's: replaced.
        Files.writeString(tokens.resolve("train-c0-p3.tok"), "partial");
        Files.writeString(tokens.resolve(".valid-c1-p0.idx.tmp-7"), "partial");
        String[] job = {"--input", corpus.toString(), "--out", out.toString(), "--k", "3", "--tokens"};
        assertEquals(0, new CommandLine(new SparkCorpusJob()).execute(job));
        assertFalse(Files.exists(tokens.resolve("train-c0-p3.tok")), "the failed run's shard is gone");
        assertEquals(K * PER_DOMAIN, documents(TokenStore.open(tokens)));
        // A user's file next to a store: refused before anything is deleted, the manifest included.
        Files.writeString(tokens.resolve("notes.txt"), "mine");
        StringWriter refused = new StringWriter();
        CommandLine cl = new CommandLine(new SparkCorpusJob()).setErr(new PrintWriter(refused));
        assertEquals(1, cl.execute(job));
        assertTrue(
                refused.toString().contains("notes.txt, which this job's token store never has"), refused.toString());
        assertEquals("mine", Files.readString(tokens.resolve("notes.txt")));
        assertEquals(K * PER_DOMAIN, documents(TokenStore.open(tokens)), "the store is untouched");
        // Bad options fail at once, before any Spark work, and say which option.
        StringWriter err = new StringWriter();
        CommandLine bad = new CommandLine(new SparkCorpusJob()).setErr(new PrintWriter(err));
        assertEquals(1, bad.execute("--input", corpus.toString(), "--out", out.toString(), "--valid-fraction", "1.5"));
        assertTrue(err.toString().contains("--valid-fraction must be in [0, 1)"), err.toString());
    }

    private static long documents(TokenStore s) {
        long docs = 0;
        for (int d = 0; d < s.domains().count(); d++) {
            docs += s.trainDocuments(d) + s.validDocuments(d);
        }
        return docs;
    }

    @Test
    void zstandardJsonlIsRead() throws IOException {
        Path zst = SparkFixtures.corpus(dir.resolve("train.jsonl.zst"), SYNTH, 10, ZstdOutputStream::new);
        Dataset<Row> docs = SparkCorpusPipeline.read(spark, zst.toString(), "text", "meta.pile_set_name");
        assertEquals(10 * K, docs.count());
        assertEquals(SYNTH.document(0, 0, 60), docs.orderBy("id").first().getString(1));
    }
}
