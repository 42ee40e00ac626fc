package org.soupofexperts.data.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.soupofexperts.core.config.Seeds;
import org.soupofexperts.core.internal.Djl;

class KMeansTest {

    private static final long SEED = 2024;

    @TempDir
    Path tmp;

    @Test
    void recoversPlantedClustersInThousandsOfPoints() {
        int k = 8;
        int d = 32;
        int n = 4000;
        SplittableRandom rng = new SplittableRandom(SEED);
        float[][] centers = new float[k][d];
        for (float[] c : centers) {
            for (int j = 0; j < d; j++) {
                c[j] = (float) (Seeds.gaussian(rng) * 3);
            }
        }
        float[][] x = new float[n][d];
        int[] truth = new int[n];
        for (int i = 0; i < n; i++) {
            truth[i] = i % k;
            for (int j = 0; j < d; j++) {
                x[i][j] = centers[truth[i]][j] + (float) (Seeds.gaussian(rng) * 0.5);
            }
        }
        Centroids c = KMeans.fit(x, k, SEED, 50, "test");
        int[] found = c.nearest(x);
        // Every planted cluster maps to exactly one found cluster and vice versa.
        Map<Integer, Integer> map = new HashMap<>();
        for (int i = 0; i < n; i++) {
            Integer prev = map.putIfAbsent(truth[i], found[i]);
            assertTrue(prev == null || prev == found[i], "planted cluster " + truth[i] + " split (seed " + SEED + ")");
        }
        assertEquals(k, new HashSet<>(map.values()).size(), "two planted clusters merged (seed " + SEED + ")");
    }

    @Test
    void centroidsAreTheMeansOfTheirPoints() {
        // Two far-apart pairs: whatever the seeding, Lloyd ends with each pair's mean.
        float[][] x = {{0, 0}, {2, 0}, {10, 10}, {12, 11}};
        Centroids c = KMeans.fit(x, 2, SEED, 10, "t");
        int low = c.get(0)[0] < c.get(1)[0] ? 0 : 1;
        assertArrayEquals(new float[] {1, 0}, c.get(low), 0f);
        assertArrayEquals(new float[] {11, 10.5f}, c.get(1 - low), 0f);
    }

    @Test
    void assignmentInChunksOfRowsEqualsAssignmentInOne() {
        SplittableRandom rng = new SplittableRandom(SEED);
        float[][] x = new float[103][5];
        float[][] c = new float[7][5];
        for (float[][] rows : new float[][][] {x, c}) {
            for (float[] r : rows) {
                for (int j = 0; j < r.length; j++) {
                    r[j] = (float) Seeds.gaussian(rng);
                }
            }
        }
        try (NDManager m = Djl.engine().newBaseManager()) {
            NDArray xs = m.create(Centroids.flatten(x), new Shape(103, 5));
            NDArray cs = m.create(Centroids.flatten(c), new Shape(7, 5));
            int[] whole = KMeans.assign(xs, cs, Integer.MAX_VALUE);
            // 2 rows per chunk, and 1 (a budget below one row's k distances) with a last chunk of 1.
            assertArrayEquals(whole, KMeans.assign(xs, cs, 14), "seed " + SEED);
            assertArrayEquals(whole, KMeans.assign(xs, cs, 3), "seed " + SEED);
            Centroids plain = new Centroids(c, "t");
            int[] oneByOne = Arrays.stream(x).mapToInt(plain::nearest).toArray();
            assertArrayEquals(oneByOne, whole, "seed " + SEED);
            assertTrue(new HashSet<>(Arrays.stream(whole).boxed().toList()).size() > 3, "seed " + SEED);
        }
    }

    @Test
    void moreClustersThanDocumentsIsRejected() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> KMeans.fit(new float[][] {{1f}, {2f}}, 3, 1, 10, "t"));
        assertTrue(e.getMessage().contains("needs at least k=3 documents, got 2"), e.getMessage());
    }

    @Test
    void centroidsRoundTripThroughAFile() throws Exception {
        Centroids c = new Centroids(new float[][] {{1, 2}, {3, 4.5f}}, "emb");
        Path f = tmp.resolve("centroids.json");
        c.save(f);
        Centroids back = Centroids.load(f);
        assertEquals("emb", back.embedderId());
        assertEquals(4.5f, back.get(1)[1]);
        assertEquals(1, back.nearest(new float[][] {{3, 4}})[0]);
    }
}
