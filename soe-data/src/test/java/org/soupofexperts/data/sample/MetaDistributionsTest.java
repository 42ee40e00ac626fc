package org.soupofexperts.data.sample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.soupofexperts.core.batch.MetaDistribution;
import org.soupofexperts.core.config.Domains;

class MetaDistributionsTest {

    private static final long SEED = 77;

    private static void assertOnSimplex(double[] h) {
        double s = 0;
        for (double v : h) {
            assertTrue(v >= 0, "negative weight " + v);
            s += v;
        }
        assertEquals(1.0, s, 1e-9);
    }

    @Test
    void specsNameTheirMetaDistributionsAndSparseRangesAreClampedToK() {
        long[] sizes = {100, 300, 600, 1000, 2000};
        assertArrayEquals(
                new double[] {0.025, 0.075, 0.15, 0.25, 0.5},
                MetaDistributions.fromSpec("natural").apply(sizes).sample(new SplittableRandom(SEED)),
                1e-12);
        assertEquals(
                MetaDistributions.recommended(Domains.of(List.of("a", "b", "c", "d", "e"), sizes))
                        .describe(),
                MetaDistributions.fromSpec("recommended").apply(sizes).describe());
        assertEquals(
                MetaDistributions.oneHot(5).describe(),
                MetaDistributions.fromSpec("one-hot").apply(sizes).describe());
        // sparse:2-9 over 5 domains: a quarter of the draws natural, the rest 2 to 5 domains.
        MetaDistribution pi = MetaDistributions.fromSpec("sparse:2-9").apply(sizes);
        SplittableRandom rng = new SplittableRandom(SEED);
        double[] natural = MetaDistributions.naturalWeights(sizes);
        int naturals = 0;
        int n = 4000;
        for (int i = 0; i < n; i++) {
            double[] h = pi.sample(rng);
            assertOnSimplex(h);
            if (Arrays.equals(h, natural)) {
                naturals++;
                continue;
            }
            long support = Arrays.stream(h).filter(v -> v > 0).count();
            assertTrue(support >= 2 && support <= 5, Arrays.toString(h) + " seed " + SEED);
        }
        assertEquals(0.25, naturals / (double) n, 0.03, "seed " + SEED);
        for (String bad : List.of("sparse:0-2", "sparse:3-1", "sparse:a-b", "sparse:3", "sparse:", "dense", "")) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> MetaDistributions.fromSpec(bad), bad);
            assertTrue(
                    e.getMessage().contains("'" + bad + "'") && e.getMessage().contains("sparse:S1-S2"),
                    e.getMessage());
        }
    }

    @Test
    void sparseSamplesLieOnTheSimplexWithExactlySNonZeros() {
        MetaDistribution pi = MetaDistributions.sparse(10, 3, 0.5);
        SplittableRandom rng = new SplittableRandom(SEED);
        for (int i = 0; i < 2000; i++) {
            double[] h = pi.sample(rng);
            assertOnSimplex(h);
            int nz = 0;
            for (double v : h) {
                nz += v > 0 ? 1 : 0;
            }
            assertEquals(3, nz, "seed " + SEED);
        }
    }

    @Test
    void dirichletMomentsMatchTheirDefinition() {
        // Dirichlet(beta) over k: mean 1/k, variance (1/k)(1-1/k)/(k beta + 1)
        int k = 4;
        double beta = 2.0;
        MetaDistribution pi = MetaDistributions.dirichlet(k, beta);
        SplittableRandom rng = new SplittableRandom(SEED);
        int n = 40000;
        double sum = 0;
        double sq = 0;
        for (int i = 0; i < n; i++) {
            double[] h = pi.sample(rng);
            assertOnSimplex(h);
            sum += h[0];
            sq += h[0] * h[0];
        }
        double mean = sum / n;
        double var = sq / n - mean * mean;
        double m = 1.0 / k;
        assertEquals(m, mean, 0.005, "mean (seed " + SEED + ")");
        assertEquals(m * (1 - m) / (k * beta + 1), var, 0.002, "variance (seed " + SEED + ")");
    }

    @Test
    void gammaHasMeanAndVarianceEqualToItsShape() {
        SplittableRandom rng = new SplittableRandom(SEED);
        for (double shape : new double[] {0.3, 1.0, 5.0}) {
            int n = 50000;
            double s = 0;
            double sq = 0;
            for (int i = 0; i < n; i++) {
                double g = MetaDistributions.gamma(shape, rng);
                s += g;
                sq += g * g;
            }
            double mean = s / n;
            assertEquals(shape, mean, 0.03 * Math.max(1, shape), "mean of Gamma(" + shape + ")");
            assertEquals(shape, sq / n - mean * mean, 0.08 * Math.max(1, shape), "variance of Gamma(" + shape + ")");
        }
    }

    @Test
    void oneHotNaturalFixedAndMixtureBehave() {
        SplittableRandom rng = new SplittableRandom(SEED);
        int[] seen = new int[3];
        MetaDistribution oneHot = MetaDistributions.oneHot(3);
        for (int i = 0; i < 300; i++) {
            double[] h = oneHot.sample(rng);
            assertOnSimplex(h);
            for (int j = 0; j < 3; j++) {
                if (h[j] == 1) {
                    seen[j]++;
                }
            }
        }
        assertTrue(seen[0] > 50 && seen[1] > 50 && seen[2] > 50);
        double[] nat = MetaDistributions.natural(new long[] {1, 3}).sample(rng);
        assertEquals(0.25, nat[0], 1e-12);
        assertEquals(0.75, nat[1], 1e-12);
        MetaDistribution mix = MetaDistributions.mixture(
                MetaDistributions.fixed(new double[] {1, 0}), MetaDistributions.fixed(new double[] {0, 1}), 0.8);
        int first = 0;
        for (int i = 0; i < 5000; i++) {
            first += mix.sample(rng)[0] == 1 ? 1 : 0;
        }
        assertEquals(0.8, first / 5000.0, 0.03);

        // One-hot with a natural share: natural h (1/4, 3/4) with p = 0.3, else each domain alone.
        MetaDistribution hot = MetaDistributions.oneHotWithNatural(new long[] {1, 3}, 0.3);
        int natural = 0;
        int[] alone = new int[2];
        for (int i = 0; i < 5000; i++) {
            double[] h = hot.sample(rng);
            assertOnSimplex(h);
            if (h[0] == 0.25) {
                natural++;
            } else {
                alone[h[0] == 1 ? 0 : 1]++;
                assertTrue(h[0] == 1 || h[1] == 1, "otherwise one-hot: " + Arrays.toString(h));
            }
        }
        assertEquals(0.3, natural / 5000.0, 0.03);
        assertEquals(0.35, alone[0] / 5000.0, 0.03);
        assertEquals(0.35, alone[1] / 5000.0, 0.03);
    }

    @Test
    void badParametersAreNamed() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MetaDistributions.sparse(4, 5, 1))
                .getMessage()
                .contains("support size s must be in [1, k=4], got 5"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MetaDistributions.sparse(4, 2, 0))
                .getMessage()
                .contains("beta must be finite and > 0"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MetaDistributions.natural(new long[] {0, 0}))
                .getMessage()
                .contains("all domain sizes are 0"));
    }

    @Test
    void sparseRangeDrawsEverySupportSizeOfItsRangeEquallyOften() {
        MetaDistribution pi = MetaDistributions.sparseRange(10, 2, 5, 0.7);
        SplittableRandom rng = new SplittableRandom(SEED);
        int[] bySupport = new int[11];
        int n = 20000;
        for (int i = 0; i < n; i++) {
            double[] h = pi.sample(rng);
            assertOnSimplex(h);
            int nz = 0;
            for (double v : h) {
                nz += v > 0 ? 1 : 0;
            }
            bySupport[nz]++;
        }
        for (int s = 0; s <= 10; s++) {
            if (s >= 2 && s <= 5) {
                assertEquals(0.25, bySupport[s] / (double) n, 0.015, "share of support " + s + " (seed " + SEED + ")");
            } else {
                assertEquals(0, bySupport[s], "support " + s + " is outside the range");
            }
        }
        assertThrows(IllegalArgumentException.class, () -> MetaDistributions.sparseRange(10, 3, 2, 1));
        assertThrows(IllegalArgumentException.class, () -> MetaDistributions.sparseRange(10, 1, 11, 1));
    }

    @Test
    void towardsNaturalMovesEachDrawAUniformFractionOfTheWayToTheNaturalMixture() {
        long[] sizes = {1, 3};
        // base always (1, 0); natural (0.25, 0.75): h_0 = 1 - 0.75 lambda with lambda ~ U[0, 0.4]
        MetaDistribution pi =
                MetaDistributions.towardsNatural(MetaDistributions.fixed(new double[] {1, 0}), sizes, 0.4);
        SplittableRandom rng = new SplittableRandom(SEED);
        double sum = 0;
        double min = 1;
        int n = 20000;
        for (int i = 0; i < n; i++) {
            double[] h = pi.sample(rng);
            assertOnSimplex(h);
            sum += h[0];
            min = Math.min(min, h[0]);
        }
        assertEquals(1 - 0.75 * 0.2, sum / n, 0.003, "mean (seed " + SEED + ")");
        assertTrue(min >= 1 - 0.75 * 0.4 - 1e-12, "never beyond maxLambda: " + min);
    }

    @Test
    void temperedSharpensBelowOneAndFlattensAboveOne() {
        double[] hist = {0.6, 0.3, 0.1, 0};
        double[] sharp = MetaDistributions.tempered(List.of(hist), 0.5).sample(new SplittableRandom(SEED));
        // h^2 / sum: 0.36, 0.09, 0.01 over 0.46
        assertEquals(0.36 / 0.46, sharp[0], 1e-12);
        assertEquals(0.01 / 0.46, sharp[2], 1e-12);
        assertEquals(0, sharp[3]);
        double[] same = MetaDistributions.tempered(List.of(hist), 1).sample(new SplittableRandom(SEED));
        assertEquals(0.6, same[0], 1e-12);
        double[] flat = MetaDistributions.tempered(List.of(hist), 2).sample(new SplittableRandom(SEED));
        assertTrue(flat[0] < 0.6 && flat[2] > 0.1, Arrays.toString(flat));
        // two histograms: each drawn about half the time
        MetaDistribution two = MetaDistributions.tempered(List.of(new double[] {1, 0}, new double[] {0, 1}), 1);
        SplittableRandom rng = new SplittableRandom(SEED);
        int first = 0;
        for (int i = 0; i < 10000; i++) {
            first += two.sample(rng)[0] == 1 ? 1 : 0;
        }
        assertEquals(0.5, first / 10000.0, 0.02, "seed " + SEED);
        // A small temperature: 0.6^(1/1e-4) underflows to 0, as does every weight; in logs the top one is 1.
        double[] cold = MetaDistributions.tempered(List.of(hist), 1e-4).sample(new SplittableRandom(SEED));
        assertArrayEquals(new double[] {1, 0, 0, 0}, cold, 1e-12);
    }

    @Test
    void matchedDrawsHaveTheTargetsSpreadOutsideItsNaturalShare() {
        long[] sizes = new long[64];
        Arrays.fill(sizes, 100);
        HistogramStats target = new HistogramStats(6.0, 0.35, 20, 13);
        MetaDistribution pi = MetaDistributions.matched(sizes, target, 0.0);
        SplittableRandom rng = new SplittableRandom(SEED);
        List<double[]> draws = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            draws.add(pi.sample(rng));
        }
        HistogramStats got = HistogramStats.of(draws);
        assertEquals(0.35, got.topShare(), 0.05, got + " (seed " + SEED + ")");
        assertTrue(got.effectiveSupport() > 3 && got.effectiveSupport() < 10, got.toString());
        assertTrue(got.support() >= 3 && got.support() <= 12, "support from eff/2 to 2 eff: " + got);
    }

    @Test
    void histogramStatsOfOneHotUniformAndAMixtureAreComputedByHand() {
        HistogramStats oneHot = HistogramStats.of(new double[] {0, 1, 0, 0});
        assertEquals(1, oneHot.effectiveSupport(), 1e-12);
        assertEquals(1, oneHot.topShare(), 1e-12);
        assertEquals(1, oneHot.support(), 1e-12);
        HistogramStats uniform = HistogramStats.of(new double[] {0.25, 0.25, 0.25, 0.25});
        assertEquals(4, uniform.effectiveSupport(), 1e-12);
        assertEquals(0.25, uniform.topShare(), 1e-12);
        HistogramStats half = HistogramStats.of(new double[] {0.5, 0.5, 0, 0});
        assertEquals(2, half.effectiveSupport(), 1e-12);
        HistogramStats mean = HistogramStats.of(List.of(new double[] {0, 1, 0, 0}, new double[] {0.5, 0.5, 0, 0}));
        assertEquals(1.5, mean.effectiveSupport(), 1e-12);
        assertEquals(0.75, mean.topShare(), 1e-12);
        assertEquals(1.5, mean.support(), 1e-12);
        assertEquals(2, mean.count());
        assertThrows(IllegalArgumentException.class, () -> HistogramStats.of(new double[] {0.5, 0.6}));
        assertArrayEquals(new double[] {0.25, 0.75}, MetaDistributions.naturalWeights(new long[] {1, 3}), 1e-12);
    }
}
