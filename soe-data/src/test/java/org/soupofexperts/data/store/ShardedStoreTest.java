package org.soupofexperts.data.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.io.SoupFormatException;
import org.soupofexperts.data.corpus.JsonlCorpus;
import org.soupofexperts.data.tokenize.ByteTokenizer;

/**
 * A store written in shards (as a Spark job writes it) reads as the concatenation of each
 * split's shards: the same documents as a single-folder store, windows across shard boundaries,
 * and windows drawn from every shard in proportion to its size.
 */
class ShardedStoreTest {

    private static final ByteTokenizer TOK = new ByteTokenizer();
    /** Chi-square critical values at p = 0.001 by degrees of freedom (index = df). */
    private static final double[] CHI2_999 = {0, 10.83, 13.82, 16.27, 18.47, 20.52, 22.46, 24.32};

    @TempDir
    Path tmp;

    /** Documents of one letter (so a window's letter says which shard it came from), seeded lengths. */
    private static List<String> docs(char letter, int count, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(String.valueOf(letter).repeat(20 + r.nextInt(40)));
        }
        return out;
    }

    private static TokenShard shard(Path dir, String name, List<String> docs) throws IOException {
        try (ShardWriter w = ShardWriter.inFolder(dir, name, TOK)) {
            for (String d : docs) {
                w.add(d);
            }
            return w.finish();
        }
    }

    /** Domain d's training shards: letters 2d and 2d+1, with an empty shard between them. */
    private record Fixture(TokenStore store, List<List<List<String>>> trainDocs) {}

    private Fixture sharded(Path dir) throws IOException {
        Files.createDirectories(dir);
        ShardedStore.Builder b = ShardedStore.builder(TOK).validation(0.1, 7).fingerprint("test");
        List<List<List<String>>> all = new ArrayList<>();
        for (int d = 0; d < 3; d++) {
            List<String> first = docs((char) ('a' + 2 * d), 30 + 20 * d, d);
            List<String> second = docs((char) ('a' + 2 * d + 1), 10 + 15 * d, 100 + d);
            List<TokenShard> train = List.of(
                    shard(dir, "train-" + d + "-0", first),
                    shard(dir, "train-" + d + "-1", List.of()),
                    shard(dir, "train-" + d + "-2", second));
            List<TokenShard> valid = List.of(shard(dir, "valid-" + d + "-0", docs('z', 3, d)));
            b.domain("d" + d, train, valid);
            all.add(List.of(first, second));
        }
        return new Fixture(b.write(dir), all);
    }

    @Test
    void aShardedStoreReadsItsDocumentsInShardOrderAcrossAnEmptyShard() throws IOException {
        Fixture f = sharded(tmp.resolve("store"));
        TokenStore s = TokenStore.open(tmp.resolve("store"));
        assertEquals(List.of("d0", "d1", "d2"), s.domains().names());
        for (int d = 0; d < 3; d++) {
            List<String> expected = new ArrayList<>(f.trainDocs().get(d).get(0));
            expected.addAll(f.trainDocs().get(d).get(1));
            assertEquals(expected.size(), s.trainDocuments(d));
            for (int i = 0; i < expected.size(); i++) {
                assertEquals(expected.get(i), TOK.decode(s.document(d, false, i)), "domain " + d + " document " + i);
            }
            long letters = expected.stream().mapToLong(String::length).sum();
            // Each shard separates its own documents; shards are joined without a separator.
            long separators = 2L
                    * (f.trainDocs().get(d).get(0).size()
                            - 1
                            + f.trainDocs().get(d).get(1).size()
                            - 1);
            assertEquals(letters + separators, s.trainTokens(d));
            assertEquals(letters + separators, s.trainBytes(d));
        }
    }

    @Test
    void aReadAcrossAShardBoundaryJoinsTheShards() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("store"));
        TokenShard a = shard(dir, "v-0", List.of("abc"));
        TokenShard empty = shard(dir, "v-1", List.of());
        TokenShard c = shard(dir, "v-2", List.of("def", "gh"));
        TokenShard t = shard(dir, "t-0", List.of("xyz"));
        TokenStore s = ShardedStore.builder(TOK)
                .domain("only", List.of(t), List.of(a, empty, c))
                .write(dir);
        assertEquals("abcdef\n\ngh", TOK.decode(s.readValid(0, 0, (int) s.validTokens(0))));
        assertEquals("cde", TOK.decode(s.readValid(0, 2, 3)));
        assertEquals("gh", TOK.decode(s.document(0, true, 2)));
        assertThrows(IndexOutOfBoundsException.class, () -> s.readValid(0, 9, 3));
    }

    /**
     * Windows come from domain d with probability h_d, and inside a domain from each shard in
     * proportion to the window starts it holds: a chi-square test over (domain, shard) cells at
     * p = 0.001, for the sharded store and for a single-folder store of the same documents.
     */
    @Test
    void windowsAreDrawnFromEveryShardInProportionToItsSize() throws IOException {
        long seed = 20261130L;
        Fixture f = sharded(tmp.resolve("store"));
        double[] h = {0.5, 0.3, 0.2};
        int length = 8;
        int n = 30_000;
        TokenBatch batch = f.store().trainSampler().sample(h, n, length, new SplittableRandom(seed));
        double[] expected = new double[6];
        for (int d = 0; d < 3; d++) {
            long total = f.store().trainTokens(d);
            long first = tokens(f.trainDocs().get(d).get(0));
            long starts = total - length + 1;
            expected[2 * d] = n * h[d] * first / starts;
            expected[2 * d + 1] = n * h[d] * (starts - first) / starts;
        }
        long[] observed = new long[6];
        for (int i = 0; i < n; i++) {
            observed[firstLetter(batch.row(i)) - 'a']++;
        }
        double chi2 = chiSquare(observed, expected);
        assertTrue(chi2 < CHI2_999[5], "sharded store: chi2 " + chi2 + " over 5 df (seed " + seed + ")");

        // The same documents in one folder: the same domain shares.
        StringBuilder jsonl = new StringBuilder();
        for (int d = 0; d < 3; d++) {
            for (List<String> shard : f.trainDocs().get(d)) {
                for (String text : shard) {
                    jsonl.append("{\"text\": \"").append(text).append("\", \"meta\": {\"pile_set_name\": \"d");
                    jsonl.append(d).append("\"}}\n");
                }
            }
        }
        Path src = Files.writeString(tmp.resolve("corpus.jsonl"), jsonl.toString(), StandardCharsets.UTF_8);
        TokenStore single = TokenStore.openOrBuild(
                tmp.resolve("single"),
                JsonlCorpus.builder().file(src).build(),
                TOK,
                TokenStore.Options.defaults().withValidation(0, 0));
        TokenBatch other = single.trainSampler().sample(h, n, length, new SplittableRandom(seed + 1));
        long[] byDomain = new long[3];
        long[] shardedByDomain = new long[3];
        for (int i = 0; i < n; i++) {
            byDomain[(firstLetter(other.row(i)) - 'a') / 2]++;
            shardedByDomain[(firstLetter(batch.row(i)) - 'a') / 2]++;
        }
        double[] e = {n * h[0], n * h[1], n * h[2]};
        assertTrue(chiSquare(byDomain, e) < CHI2_999[2], "single-folder store (seed " + (seed + 1) + ")");
        double twoSample = 0;
        for (int d = 0; d < 3; d++) {
            double pooled = (byDomain[d] + shardedByDomain[d]) / 2.0;
            twoSample += sq(byDomain[d] - pooled) / pooled + sq(shardedByDomain[d] - pooled) / pooled;
        }
        assertTrue(twoSample < CHI2_999[2], "the two stores' domain shares differ: chi2 " + twoSample);
    }

    private static long tokens(List<String> docs) {
        return docs.stream().mapToLong(String::length).sum() + 2L * (docs.size() - 1);
    }

    private static int firstLetter(int[] row) {
        for (int t : row) {
            if (t != '\n') {
                return t;
            }
        }
        throw new AssertionError("a window of separators only");
    }

    private static double chiSquare(long[] observed, double[] expected) {
        double c = 0;
        for (int i = 0; i < observed.length; i++) {
            c += sq(observed[i] - expected[i]) / expected[i];
        }
        return c;
    }

    private static double sq(double x) {
        return x * x;
    }

    @Test
    void forgedShardedManifestsAreRefusedByName() throws IOException {
        Path dir = tmp.resolve("store");
        sharded(dir);
        Path m = dir.resolve("manifest.json");
        String good = Files.readString(m);

        JsonObject escape = JsonParser.parseString(good).getAsJsonObject();
        shardOf(escape).addProperty("file", "../outside.tok");
        Files.writeString(m, escape.toString());
        assertTrue(assertThrows(SoupFormatException.class, () -> TokenStore.open(dir))
                .getMessage()
                .contains("not a file inside the store"));

        JsonObject oldFormat = JsonParser.parseString(good).getAsJsonObject();
        oldFormat.addProperty("format", "soupofexperts-tokens/2");
        Files.writeString(m, oldFormat.toString());
        assertTrue(assertThrows(SoupFormatException.class, () -> TokenStore.open(dir))
                .getMessage()
                .contains("does not allow"));

        JsonObject lying = JsonParser.parseString(good).getAsJsonObject();
        shardOf(lying).addProperty("tokens", shardOf(lying).get("tokens").getAsLong() + 1);
        Files.writeString(m, lying.toString());
        assertTrue(assertThrows(SoupFormatException.class, () -> TokenStore.open(dir))
                .getMessage()
                .contains("truncated or damaged"));

        JsonObject twice = JsonParser.parseString(good).getAsJsonObject();
        twice.getAsJsonArray("domains").get(1).getAsJsonObject().addProperty("name", "d0");
        Files.writeString(m, twice.toString());
        assertTrue(assertThrows(SoupFormatException.class, () -> TokenStore.open(dir))
                .getMessage()
                .contains("listed twice"));

        // One file in two splits: validation data would leak into training, or a domain's size
        // (and so the natural mixture) would be multiplied.
        JsonObject leak = JsonParser.parseString(good).getAsJsonObject();
        JsonObject d1 = leak.getAsJsonArray("domains").get(1).getAsJsonObject();
        shards(d1, "train").add(shards(d1, "valid").get(0).deepCopy());
        assertRefused(dir, leak, "valid-1-0.tok twice (in d1/train and in d1/valid)");
        JsonObject across = JsonParser.parseString(good).getAsJsonObject();
        JsonObject d0 = across.getAsJsonArray("domains").get(0).getAsJsonObject();
        shards(across.getAsJsonArray("domains").get(2).getAsJsonObject(), "train")
                .add(shards(d0, "train").get(0).deepCopy());
        assertRefused(dir, across, "train-0-0.tok twice (in d0/train and in d2/train)");
        JsonObject repeated = JsonParser.parseString(good).getAsJsonObject();
        JsonObject r1 = repeated.getAsJsonArray("domains").get(1).getAsJsonObject();
        shards(r1, "train").add(shards(r1, "train").get(0).deepCopy());
        assertRefused(dir, repeated, "train-1-0.tok twice (both in d1/train)");

        Files.writeString(m, good);
        byte[] bytes = Files.readAllBytes(dir.resolve("train-1-2.tok"));
        bytes[3] ^= 1;
        Files.write(dir.resolve("train-1-2.tok"), bytes);
        assertTrue(assertThrows(SoupFormatException.class, () -> TokenStore.open(dir))
                .getMessage()
                .contains("train-1-2.tok is corrupt"));
    }

    private static JsonArray shards(JsonObject domain, String split) {
        return domain.getAsJsonObject(split).getAsJsonArray("shards");
    }

    private static void assertRefused(Path dir, JsonObject manifest, String expected) throws IOException {
        Files.writeString(dir.resolve("manifest.json"), manifest.toString());
        String message = assertThrows(SoupFormatException.class, () -> TokenStore.open(dir))
                .getMessage();
        assertTrue(message.contains(expected), message);
    }

    private static JsonObject shardOf(JsonObject manifest) {
        return manifest.getAsJsonArray("domains")
                .get(1)
                .getAsJsonObject()
                .getAsJsonObject("train")
                .getAsJsonArray("shards")
                .get(2)
                .getAsJsonObject();
    }

    @Test
    void theBuilderRefusesAFileListedTwiceAndAnEmptyStore() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("store"));
        TokenShard a = shard(dir, "a", List.of("abc"));
        ShardedStore.Builder b = ShardedStore.builder(TOK);
        assertThrows(IllegalStateException.class, b::toJson);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> b.domain("x", List.of(a), List.of(a)));
        assertTrue(e.getMessage().contains("listed twice"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> b.domain(" ", List.of(), List.of()));
    }

    @Test
    void theSingleMachineBuildAndAShardedWriterHoldOutTheSameDocuments() {
        int held = 0;
        for (int i = 0; i < 2000; i++) {
            String text = "document " + i;
            boolean out = TokenStore.heldOut(text, 0.1, 3);
            assertEquals(out, TokenStore.heldOut(text, 0.1, 3), "a pure function of text, fraction and seed");
            held += out ? 1 : 0;
        }
        assertTrue(held > 150 && held < 250, "about 10% held out: " + held);
        assertFalse(TokenStore.heldOut("x", 0, 3), "a fraction of 0 holds out nothing");
    }
}
