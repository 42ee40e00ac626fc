package org.soupofexperts.data.finetune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.config.DomainWeights;
import org.soupofexperts.core.config.ExpertInit;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.config.RouterConfig;
import org.soupofexperts.data.tokenize.ByteTokenizer;

/** The compass search over domain weights, on losses whose minimum is known, and on a soup. */
class DomainWeightFitTest {

    private static final long SEED = 20261207;

    @Test
    void theSearchFindsTheMinimumOfAQuadraticOnTheSimplex() {
        double[] target = {0.6, 0.3, 0.1, 0.0};
        ToDoubleFunction<double[]> loss = h -> {
            double s = 0;
            for (int i = 0; i < h.length; i++) {
                s += (h[i] - target[i]) * (h[i] - target[i]);
            }
            return s;
        };
        DomainWeightFit.Result r = DomainWeightFit.search(loss, DomainWeights.uniform(4), 0.25, 1.0 / 256, 1000);
        for (int i = 0; i < 4; i++) {
            assertEquals(target[i], r.h()[i], 0.02, Arrays.toString(r.h()));
        }
        assertTrue(r.loss() < r.startLoss(), r.toString());
        assertArrayEquals(DomainWeights.uniform(4), r.start(), 0);
    }

    @Test
    void theSearchStopsAtItsBudgetAndNeverLeavesABetterStart() {
        double[] start = {0.2, 0.5, 0.3};
        AtomicInteger calls = new AtomicInteger();
        ToDoubleFunction<double[]> distance = h -> {
            calls.incrementAndGet();
            double s = 0;
            for (int i = 0; i < h.length; i++) {
                s += Math.abs(h[i] - start[i]);
            }
            return s;
        };
        DomainWeightFit.Result r = DomainWeightFit.search(distance, start, 0.25, 1.0 / 64, 7);
        assertEquals(7, r.evaluations());
        assertEquals(7, calls.get());
        assertArrayEquals(start, r.h(), 0);
        assertEquals(0.0, r.loss(), 0);
    }

    @Test
    void afterAKeptMoveTheSearchGoesOnWithTheNextDomain() {
        // Only more mass on domain 0 helps. After raising domain 0 the next try is domain 1's
        // raise, not the cut of domain 0 (which would take back what was just moved) and not a
        // restart at domain 0, so with many domains every domain gets its turn.
        List<double[]> tried = new ArrayList<>();
        ToDoubleFunction<double[]> loss = h -> {
            tried.add(h.clone());
            return -h[0];
        };
        double[] start = DomainWeights.uniform(3);
        DomainWeightFit.search(loss, start, 0.25, 1.0 / 64, 4);
        double[] raised0 = DomainWeightFit.move(start, 0, 0.25, true);
        assertArrayEquals(start, tried.get(0), 0);
        assertArrayEquals(raised0, tried.get(1), 0);
        assertArrayEquals(DomainWeightFit.move(raised0, 1, 0.25, true), tried.get(2), 0);
        assertArrayEquals(DomainWeightFit.move(raised0, 1, 0.25, false), tried.get(3), 0);
    }

    @Test
    void theDefaultBudgetGrowsWithTheDomainsSoEachGetsTwoRounds() {
        assertEquals(120, DomainWeightFit.defaultEvaluations(10));
        assertEquals(4 * 64 + 1, DomainWeightFit.defaultEvaluations(64));
    }

    @Test
    void aLossThatIsNotFiniteAtTheStartIsRefusedNotReturnedAsAFit() {
        IllegalStateException e = assertThrows(
                IllegalStateException.class,
                () -> DomainWeightFit.search(h -> Double.NaN, DomainWeights.uniform(3), 0.25, 1.0 / 64, 50));
        assertTrue(e.getMessage().contains("NaN"), e.getMessage());
    }

    @Test
    void everyMoveStaysOnTheSimplexAndMovesMassTheWayItSays() {
        SplittableRandom rng = new SplittableRandom(SEED);
        for (int trial = 0; trial < 200; trial++) {
            double[] h = new double[1 + rng.nextInt(6)];
            for (int i = 0; i < h.length; i++) {
                h[i] = rng.nextInt(3) == 0 ? 0 : rng.nextDouble();
            }
            if (Arrays.stream(h).sum() == 0) {
                h[0] = 1;
            }
            double sum = Arrays.stream(h).sum();
            for (int j = 0; j < h.length; j++) {
                h[j] /= sum;
            }
            int i = rng.nextInt(h.length);
            double t = rng.nextDouble();
            for (boolean raise : new boolean[] {true, false}) {
                double[] c = DomainWeightFit.move(h, i, t, raise);
                String why = Arrays.toString(h) + " i=" + i + " t=" + t + " raise=" + raise + " (seed " + SEED + ")";
                if (c == null) {
                    assertTrue(raise ? h[i] >= 1 : h[i] <= 0 || h[i] >= 1, why);
                    continue;
                }
                assertEquals(1.0, Arrays.stream(c).sum(), 1e-12, why);
                assertTrue(Arrays.stream(c).allMatch(v -> v >= 0), why);
                assertEquals(raise ? h[i] + t * (1 - h[i]) : h[i] * (1 - t), c[i], 1e-12, why);
            }
        }
        assertNull(DomainWeightFit.move(new double[] {1, 0}, 0, 0.5, true));
        assertNull(DomainWeightFit.move(new double[] {1, 0}, 1, 0.5, false));
    }

    @Test
    void withExpertsAtZeroEveryHIsTheSameModelSoTheFitKeepsItsStart() {
        try (SoupOfExperts soup = tinySoup()) {
            DomainWeightFit fit = DomainWeightFit.builder()
                    .soup(soup)
                    .tokenizer(new ByteTokenizer())
                    .windows(4)
                    .maxEvaluations(30)
                    .build();
            double[] start = {0.1, 0.2, 0.7};
            DomainWeightFit.Result r = fit.fit(List.of("the same text, again and again, ".repeat(8)), start);
            assertArrayEquals(start, r.h(), 1e-12);
            assertEquals(r.startLoss(), r.loss(), 0);
            assertEquals(30, r.evaluations());
            assertTrue(r.loss() > 0 && Double.isFinite(r.loss()), r.toString());
        }
    }

    @Test
    void tuningAlphaAfterHLowersTheLossStaysOnTheSimplexAndIsWhatSpecializeInstantiates() {
        List<String> docs = List.of("abcabcabd ".repeat(12), "the cat sat on the mat; ".repeat(6));
        try (SoupOfExperts soup = noisySoup(4)) {
            DomainWeightFit.Builder b = DomainWeightFit.builder()
                    .soup(soup)
                    .tokenizer(new ByteTokenizer())
                    .windows(8)
                    .maxEvaluations(25);
            DomainWeightFit hOnly = b.build();
            DomainWeightFit withAlpha = b.alphaEvaluations(40).build();
            double[] start = {0.6, 0.3, 0.1};
            DomainWeightFit.Result h = hOnly.fit(docs, start);
            DomainWeightFit.Result a = withAlpha.fit(docs, start);
            String seed = " (seed " + SEED + ")";
            // Without the second search alpha is the router's at the fitted h; with it the h part is the same.
            assertArrayEquals(soup.alpha(h.h()), h.alpha(), 1e-12, seed);
            assertEquals(h.loss(), h.alphaLoss(), 0, seed);
            assertArrayEquals(h.h(), a.h(), 1e-12, seed);
            assertEquals(h.loss(), a.loss(), 0, seed);
            assertTrue(a.alphaLoss() < a.loss(), "tuned alpha " + a.alphaLoss() + " vs fitted h " + a.loss() + seed);
            assertTrue(a.evaluations() > h.evaluations() && a.evaluations() <= h.evaluations() + 40, a.toString());
            double sum = 0;
            for (double x : a.alpha()) {
                assertTrue(x >= 0, Arrays.toString(a.alpha()) + seed);
                sum += x;
            }
            // float32 softmax sums to 1 within ~1e-7; the moves keep that sum.
            assertEquals(1, sum, 1e-6, "a softmax router's alpha stays on the simplex" + seed);
            try (var s = b.build().specialize(docs)) {
                assertArrayEquals(
                        withAlpha.fit(docs).alpha(), s.alpha(), 1e-6, "specialize instantiates the tuned alpha" + seed);
            }
            try (var s = hOnly.specialize(docs)) {
                assertArrayEquals(soup.alpha(hOnly.fit(docs).h()), s.alpha(), 1e-6, seed);
            }
        }
    }

    @Test
    void layerWiseAlphaStartsAtTheTunedAlphaLowersTheLossKeepsEveryRowOnTheSimplexAndIsInstantiated() {
        List<String> docs = List.of("abcabcabd ".repeat(12), "the cat sat on the mat; ".repeat(6));
        try (SoupOfExperts soup = noisySoup(4)) {
            DomainWeightFit.Builder b = DomainWeightFit.builder()
                    .soup(soup)
                    .tokenizer(new ByteTokenizer())
                    .windows(8)
                    .maxEvaluations(25)
                    .alphaEvaluations(20);
            DomainWeightFit.Result a = b.build().fit(docs);
            DomainWeightFit layered = b.layerSteps(15).layerRate(0.2).build();
            DomainWeightFit.Result r = layered.fit(docs);
            String seed = " (seed " + SEED + ")";
            assertEquals(0, a.layerAlpha().length, "no layer steps, no rows" + seed);
            assertEquals(a.alphaLoss(), a.layerLoss(), 0, seed);
            assertArrayEquals(a.alpha(), r.alpha(), 1e-12, "the searches before it are unchanged" + seed);
            assertTrue(
                    r.layerLoss() < r.alphaLoss(), "layer-wise " + r.layerLoss() + " vs tuned " + r.alphaLoss() + seed);
            double[][] rows = r.layerAlpha();
            assertEquals(soup.layerGroups(), rows.length);
            boolean apart = false;
            for (double[] row : rows) {
                assertEquals(1, Arrays.stream(row).sum(), 1e-9, Arrays.toString(row) + seed);
                assertTrue(Arrays.stream(row).allMatch(x -> x > 0), Arrays.toString(row) + seed);
                apart |= !Arrays.equals(row, rows[0]);
            }
            assertTrue(apart, "the layer groups part ways" + seed);
            try (var s = layered.specialize(docs)) {
                double[][] got = s.provenance().layerAlpha();
                for (int g = 0; g < rows.length; g++) {
                    assertArrayEquals(rows[g], got[g], 1e-12, "specialize instantiates the layer rows" + seed);
                }
            }
            // As an assigner the fit gives h alone, whatever comes after it.
            assertArrayEquals(a.h(), layered.domainWeights(docs), 1e-12, seed);
        }
    }

    @Test
    void aDescentFromAStartOnTheSimplexBeginsExactlyThere() {
        double[] start = {0.5, 0.25, 0.25};
        double[][] z = {{Math.log(0.5), Math.log(0.25), Math.log(0.25)}};
        assertArrayEquals(start, LayerAlphaDescent.softmaxRows(z)[0], 1e-12);
        // Softmax's gradient: a_j (g_j - sum_k a_k g_k); a gradient equal on every coefficient moves nothing.
        double[][] flat = LayerAlphaDescent.logitGradient(new double[][] {start}, new double[][] {{2, 2, 2}});
        assertArrayEquals(new double[] {0, 0, 0}, flat[0], 1e-12);
        double[][] g = LayerAlphaDescent.logitGradient(new double[][] {start}, new double[][] {{1, 0, 0}});
        assertArrayEquals(new double[] {0.25, -0.125, -0.125}, g[0], 1e-12);
    }

    @Test
    void badSettingsAndTooFewTokensAreRefusedByName() {
        try (SoupOfExperts soup = tinySoup()) {
            DomainWeightFit fit = DomainWeightFit.builder()
                    .soup(soup)
                    .tokenizer(new ByteTokenizer())
                    .build();
            assertFalse(fit.canFit(List.of("short")));
            // As an assigner, documents too short to fit on get the start's h (here uniform), not an error.
            assertArrayEquals(DomainWeights.uniform(3), fit.domainWeights(List.of("short")), 1e-12);
            // The cost a server counts: 120 losses x 64 windows x 17 positions; absurd settings saturate.
            assertEquals(120L * 64 * 17, fit.maxTokenPositions());
            // Documents too short to fit cost only what the start assigner reads: none without one.
            assertEquals(0, fit.maxStartPositions());
            assertEquals(
                    Long.MAX_VALUE,
                    DomainWeightFit.builder()
                            .soup(soup)
                            .tokenizer(new ByteTokenizer())
                            .windows(Integer.MAX_VALUE)
                            .maxEvaluations(Integer.MAX_VALUE)
                            .build()
                            .maxTokenPositions());
            assertFalse(fit.canFit(List.of()));
            assertTrue(fit.canFit(List.of("x".repeat(16), "y"))); // 16 + 2 + 1 tokens: one window of 17
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> fit.fit(List.of("short")));
            assertTrue(e.getMessage().contains("fewer than one window"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> fit.fit(List.of()));
            assertTrue(e.getMessage().contains("empty"), e.getMessage());
            e = assertThrows(
                    IllegalArgumentException.class,
                    () -> DomainWeightFit.builder()
                            .soup(soup)
                            .tokenizer(new ByteTokenizer())
                            .minStep(0.5)
                            .build());
            assertTrue(e.getMessage().contains("minStep"), e.getMessage());
            e = assertThrows(
                    IllegalArgumentException.class,
                    () -> DomainWeightFit.builder()
                            .soup(soup)
                            .tokenizer(new ByteTokenizer())
                            .windows(0)
                            .build());
            assertTrue(e.getMessage().contains("windows"), e.getMessage());
            e = assertThrows(
                    IllegalArgumentException.class,
                    () -> DomainWeightFit.builder()
                            .soup(soup)
                            .tokenizer(new ByteTokenizer())
                            .alphaEvaluations(-1)
                            .build());
            assertTrue(e.getMessage().contains("alphaEvaluations"), e.getMessage());
            for (double rate : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
                e = assertThrows(
                        IllegalArgumentException.class,
                        () -> DomainWeightFit.builder()
                                .soup(soup)
                                .tokenizer(new ByteTokenizer())
                                .layerSteps(3)
                                .layerRate(rate)
                                .build());
                assertTrue(e.getMessage().contains("layerRate"), e.getMessage());
            }
            try (SoupOfExperts raw = soup().experts(2)
                    .router(RouterConfig.of(8, 1, RouterConfig.Output.RAW))
                    .build()) {
                e = assertThrows(
                        IllegalArgumentException.class,
                        () -> DomainWeightFit.builder()
                                .soup(raw)
                                .tokenizer(new ByteTokenizer())
                                .alphaEvaluations(10)
                                .build());
                assertTrue(e.getMessage().contains("softmax router"), e.getMessage());
                e = assertThrows(
                        IllegalArgumentException.class,
                        () -> DomainWeightFit.builder()
                                .soup(raw)
                                .tokenizer(new ByteTokenizer())
                                .layerSteps(5)
                                .build());
                assertTrue(e.getMessage().contains("softmax router"), e.getMessage());
            }
            e = assertThrows(IllegalArgumentException.class, () -> fit.fit(List.of("x".repeat(100)), new double[2]));
            assertTrue(e.getMessage().contains("3"), e.getMessage());
        }
    }

    /** A soup whose experts hold seeded noise, so alpha changes the model. */
    private static SoupOfExperts noisySoup(int experts) {
        return soup().experts(experts).expertInit(ExpertInit.SCALED_NOISE).build();
    }

    /** A soup whose two experts are zero: every h is the same model. */
    private static SoupOfExperts tinySoup() {
        return soup().experts(2).build();
    }

    /** The tiny soup's settings over 3 domains, to finish with its experts. */
    private static SoupOfExperts.Builder soup() {
        return SoupOfExperts.builder()
                .model(ModelConfig.builder()
                        .vocabSize(256)
                        .layers(1)
                        .dModel(16)
                        .heads(2)
                        .contextLength(16)
                        .build())
                .domains(3)
                .seed(SEED);
    }
}
