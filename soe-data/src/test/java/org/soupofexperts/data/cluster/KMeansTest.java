package org.soupofexperts.data.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.soupofexperts.core.config.Seeds;

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
