package org.soupofexperts.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.io.SoupFormatException;
import org.soupofexperts.data.cluster.Centroids;
import org.soupofexperts.data.corpus.JsonlCorpus;
import org.soupofexperts.data.sample.WindowSampler;
import org.soupofexperts.data.store.TokenStore;
import org.soupofexperts.data.tokenize.ByteTokenizer;
import org.soupofexperts.testing.FaultReport;
import org.soupofexperts.testing.JsonMutator;

/**
 * Seeded damage to the data module's artefacts: token stores (hostile manifest edits, and
 * truncations, flips and forged integers in their token and index files) and centroid files.
 * Each must be refused at open with a {@link SoupFormatException} naming the file, or open into
 * something that samples and reads within its bounds; never another exception, a crash, a hang or
 * an OutOfMemoryError. A failure prints the seed and the mutation.
 */
@Tag("fault")
class DataFaultInjectionTest {

    private static final long SEED = Long.getLong("fault.seed", 20261130L);
    private static final int MUTATIONS = Integer.getInteger("fault.mutations", 150);

    @TempDir
    Path tmp;

    @Test
    void damagedAndForgedTokenStoresAreRefusedCleanlyOrStayWithinBounds() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 120; i++) {
            sb.append("{\"text\": \"document ")
                    .append(i)
                    .append(" of domain a, with some words\", \"meta\": {\"pile_set_name\": \"a\"}}\n");
            sb.append("{\"text\": \"another ").append(i).append(" from b\", \"meta\": {\"pile_set_name\": \"b\"}}\n");
        }
        Path src = tmp.resolve("c.jsonl");
        Files.writeString(src, sb.toString());
        Path dir = tmp.resolve("store");
        TokenStore.openOrBuild(
                dir,
                JsonlCorpus.builder().file(src).build(),
                new ByteTokenizer(),
                TokenStore.Options.defaults().withValidation(0.2, 1));
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        Path manifest = dir.resolve("manifest.json");
        String goodManifest = Files.readString(manifest);
        byte[][] good = new byte[files.size()][];
        for (int f = 0; f < files.size(); f++) {
            good[f] = Files.readAllBytes(files.get(f));
        }
        JsonMutator mutator = new JsonMutator(SEED);
        SplittableRandom rng = new SplittableRandom(SEED + 1);
        int refused = 0;
        int opened = 0;
        for (int i = 0; i < MUTATIONS; i++) {
            for (int f = 0; f < files.size(); f++) {
                Files.write(files.get(f), good[f]);
            }
            String what;
            if (rng.nextBoolean()) {
                Files.writeString(manifest, mutator.mutate(goodManifest));
                what = "manifest: " + mutator.last();
            } else {
                int f = rng.nextInt(files.size());
                byte[] bad = good[f].clone();
                if (bad.length < 8 || rng.nextInt(3) == 0) {
                    int len = rng.nextInt(Math.max(1, bad.length));
                    bad = Arrays.copyOf(bad, len);
                    what = files.get(f).getFileName() + " truncated to " + len;
                } else {
                    int at = rng.nextInt(bad.length - 4);
                    ByteBuffer.wrap(bad).putInt(at, rng.nextBoolean() ? Integer.MAX_VALUE : rng.nextInt());
                    what = files.get(f).getFileName() + ": int written at " + at;
                }
                Files.write(files.get(f), bad);
            }
            String mutation = what + " (seed " + SEED + ", mutation " + i + ")";
            TokenStore store;
            try {
                store = TokenStore.open(dir);
            } catch (SoupFormatException e) {
                refused++;
                assertTrue(
                        e.getMessage().contains(dir.toString()),
                        "the message must name the store: " + e.getMessage() + "; " + mutation);
                continue;
            } catch (IOException | RuntimeException | Error e) {
                fail("a " + e.getClass().getSimpleName() + " instead of a clean refusal for " + mutation + ": " + e, e);
                return;
            }
            opened++;
            try {
                WindowSampler sampler = store.trainSampler();
                int k = store.domains().count();
                double[] h = new double[k];
                Arrays.fill(h, 1.0 / k);
                TokenBatch b = sampler.sample(h, 4, 9, new SplittableRandom(i));
                assertEquals(36, b.tokens().length, mutation);
                for (int d = 0; d < k; d++) {
                    store.document(d, false, 0);
                }
            } catch (RuntimeException | Error e) {
                fail("an opened store failed with " + e.getClass().getSimpleName() + " for " + mutation + ": " + e, e);
            }
        }
        FaultReport.check(
                DataFaultInjectionTest.class, "token-store", MUTATIONS, refused, opened, "opened and sampled", SEED);
    }

    @Test
    void damagedCentroidFilesAreRefusedCleanlyOrLoadFiniteCentroids() throws IOException {
        Path file = tmp.resolve("centroids.json");
        float[][] x = new float[6][4];
        SplittableRandom r = new SplittableRandom(1);
        for (float[] row : x) {
            for (int j = 0; j < row.length; j++) {
                row[j] = (float) r.nextGaussian();
            }
        }
        Centroids.ofLabels(x, new int[] {0, 0, 1, 1, 2, 2}, 3, "test-embedder").save(file);
        String good = Files.readString(file);
        JsonMutator mutator = new JsonMutator(SEED + 2);
        int refused = 0;
        int loaded = 0;
        for (int i = 0; i < MUTATIONS; i++) {
            Files.writeString(file, mutator.mutate(good));
            String mutation = mutator.last() + " (seed " + SEED + ", mutation " + i + ")";
            try {
                Centroids c = Centroids.load(file);
                loaded++;
                for (int j = 0; j < c.k(); j++) {
                    assertEquals(c.dimension(), c.get(j).length, mutation);
                    for (float v : c.get(j)) {
                        assertTrue(Float.isFinite(v), "a non-finite centroid loaded: " + mutation);
                    }
                }
            } catch (SoupFormatException e) {
                refused++;
                assertTrue(
                        e.getMessage().contains(file.toString()),
                        "the message must name the file: " + e.getMessage() + "; " + mutation);
            } catch (IOException | RuntimeException | Error e) {
                fail("a " + e.getClass().getSimpleName() + " instead of a clean refusal for " + mutation + ": " + e, e);
            }
        }
        FaultReport.check(DataFaultInjectionTest.class, "centroids", MUTATIONS, refused, loaded, "loaded", SEED);
    }
}
