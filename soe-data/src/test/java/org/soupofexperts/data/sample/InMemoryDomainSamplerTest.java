package org.soupofexperts.data.sample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.soupofexperts.core.batch.TokenBatch;

class InMemoryDomainSamplerTest {

    private static final long SEED = 1234;

    /** Domain i holds only token i, so every window says where it came from. */
    private static InMemoryDomainSampler labelled(int k, int size) {
        int[][] t = new int[k][size];
        for (int i = 0; i < k; i++) {
            Arrays.fill(t[i], i);
        }
        return new InMemoryDomainSampler(
                IntStream.range(0, k).mapToObj(i -> "d" + i).toList(), t);
    }

    @Test
    void domainSharesMatchHByChiSquareAndZeroWeightDomainsNeverAppear() {
        InMemoryDomainSampler s = labelled(4, 100);
        double[] h = {0.5, 0.3, 0.2, 0.0};
        SplittableRandom rng = new SplittableRandom(SEED);
        long[] counts = new long[4];
        int n = 0;
        for (int b = 0; b < 500; b++) {
            TokenBatch batch = s.sample(h, 20, 5, rng);
            for (int i = 0; i < batch.batchSize(); i++) {
                int d = batch.domains()[i];
                assertEquals(d, batch.tokens()[i * 5], "window must come from its labelled domain");
                counts[d]++;
                n++;
            }
        }
        assertEquals(0, counts[3], "a zero-weight domain was read (seed " + SEED + ")");
        double chi2 = 0;
        for (int i = 0; i < 3; i++) {
            double e = n * h[i];
            chi2 += (counts[i] - e) * (counts[i] - e) / e;
        }
        // 2 degrees of freedom: P(chi2 > 13.8) = 0.001
        assertTrue(
                chi2 < 13.8, "chi-square " + chi2 + " for counts " + Arrays.toString(counts) + " (seed " + SEED + ")");
    }

    @Test
    void sameSeedGivesTheSameBatches() {
        int[][] t = {IntStream.range(0, 1000).toArray(), IntStream.range(0, 500).toArray()};
        InMemoryDomainSampler s = new InMemoryDomainSampler(List.of("a", "b"), t);
        TokenBatch a = s.sample(new double[] {0.5, 0.5}, 8, 16, new SplittableRandom(9));
        TokenBatch b = s.sample(new double[] {0.5, 0.5}, 8, 16, new SplittableRandom(9));
        assertArrayEquals(a.tokens(), b.tokens());
        // windows are contiguous runs of the source
        for (int i = 0; i < 8; i++) {
            int[] row = a.row(i);
            for (int j = 1; j < row.length; j++) {
                assertEquals(row[j - 1] + 1, row[j]);
            }
        }
    }

    @Test
    void aDomainShorterThanOneWindowIsReportedByName() {
        InMemoryDomainSampler s =
                new InMemoryDomainSampler(List.of("big", "tiny"), new int[][] {new int[100], new int[3]});
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> s.sample(new double[] {0, 1}, 1, 10, new SplittableRandom(1)));
        assertTrue(e.getMessage().contains("domain 'tiny' has 3 tokens, fewer than one window of 10"), e.getMessage());
        // ... but it is never read while its weight is 0
        s.sample(new double[] {1, 0}, 4, 10, new SplittableRandom(1));
        // Training checks every domain before its first step.
        IllegalArgumentException early = assertThrows(IllegalArgumentException.class, () -> s.checkLength(10));
        assertTrue(early.getMessage().contains("domain 'tiny' has 3 tokens, fewer than one training window of 10"));
    }

    @Test
    void badWeightsAndEmptyDomainsAreRejected() {
        InMemoryDomainSampler s = labelled(2, 10);
        assertThrows(
                IllegalArgumentException.class, () -> s.sample(new double[] {1, 0, 0}, 1, 2, new SplittableRandom(1)));
        assertThrows(
                IllegalArgumentException.class, () -> s.sample(new double[] {-1, 2}, 1, 2, new SplittableRandom(1)));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> new InMemoryDomainSampler(List.of("x"), new int[][] {new int[0]}));
        assertTrue(e.getMessage().contains("'x' has no tokens"));
    }

    @Test
    void aSelectionReadsTheChosenDomainsInTheGivenOrder() {
        InMemoryDomainSampler s = labelled(4, 100);
        WindowSampler picked = s.select(3, 1);
        assertEquals(List.of("d3", "d1"), picked.domains().names());
        assertArrayEquals(new long[] {100, 100}, picked.domains().sizes());
        TokenBatch b = picked.sample(new double[] {1, 0}, 3, 5, new SplittableRandom(SEED));
        for (int t : b.tokens()) {
            assertEquals(3, t, "selected domain 0 is the parent's domain 3");
        }
        assertTrue(picked.fingerprint().contains("[d3, d1]"), picked.fingerprint());
        assertThrows(IllegalArgumentException.class, () -> s.select(1, 1));
        assertThrows(IllegalArgumentException.class, () -> s.select(4));
        assertThrows(IllegalArgumentException.class, () -> s.select());
    }
}
