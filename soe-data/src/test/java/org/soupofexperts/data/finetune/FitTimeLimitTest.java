package org.soupofexperts.data.finetune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.config.DomainWeights;
import org.soupofexperts.core.config.ExpertInit;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.internal.Djl;
import org.soupofexperts.data.tokenize.ByteTokenizer;

/** A fit with a time limit: it stops with the best found so far, and never waits past it for the gradient lock. */
class FitTimeLimitTest {

    private static final long SEED = 20261208;
    private static final List<String> DOCS = List.of("abcabcabd ".repeat(12), "the cat sat on the mat; ".repeat(6));
    private static final double[] START = {0.6, 0.3, 0.1};

    @Test
    void theSearchStopsWhenToldAndKeepsTheBestFoundSoFar() {
        AtomicInteger losses = new AtomicInteger();
        ToDoubleFunction<double[]> loss = h -> {
            losses.incrementAndGet();
            return (h[0] - 0.1) * (h[0] - 0.1); // lower as mass leaves domain 0
        };
        DomainWeightFit.Result r = DomainWeightFit.search(loss, START, 0.25, 1.0 / 64, 100, () -> losses.get() >= 5);
        assertTrue(r.stoppedEarly());
        assertEquals(5, r.evaluations(), "the start's loss and four moves before the stop");
        assertEquals(5, losses.get());
        assertTrue(r.loss() < r.startLoss(), r.toString());
        DomainWeightFit.Result whole = DomainWeightFit.search(loss, START, 0.25, 1.0 / 64, 100);
        assertFalse(whole.stoppedEarly());
        assertTrue(whole.evaluations() > 5 && whole.loss() <= r.loss(), whole.toString());
        // The start's loss is always computed, even when the stop is due before it.
        DomainWeightFit.Result none = DomainWeightFit.search(loss, START, 0.25, 1.0 / 64, 100, () -> true);
        assertEquals(1, none.evaluations());
        assertArrayEquals(START, none.h(), 0);
    }

    @Test
    void aFitPastItsTimeLimitKeepsItsBestHAndSkipsTheAlphaSearchAndTheLayerSteps() {
        try (SoupOfExperts soup = noisySoup()) {
            // Each reading of this clock is one second after the last: the limit of 3 s passes at the
            // third check, so the h search computes the start's loss and two moves.
            AtomicLong now = new AtomicLong();
            DomainWeightFit fit = fit(soup)
                    .timeLimit(Duration.ofSeconds(3))
                    .clock(() -> now.addAndGet(1_000_000_000L))
                    .build();
            DomainWeightFit.Result r = fit.fit(DOCS, START);
            String seed = " (seed " + SEED + ")";
            assertTrue(r.stoppedEarly(), r + seed);
            assertEquals(3, r.evaluations(), r + seed);
            assertTrue(r.loss() <= r.startLoss(), r + seed);
            assertArrayEquals(soup.alpha(r.h()), r.alpha(), 1e-12, "alpha is the router's at the h found" + seed);
            assertEquals(r.loss(), r.alphaLoss(), 0, seed);
            assertEquals(0, r.layerAlpha().length, "no layer rows" + seed);
            try (var s = fit.instantiate(r)) {
                assertArrayEquals(r.alpha(), s.alpha(), 1e-6, "the specialist is the soup at that alpha" + seed);
            }
        }
    }

    @Test
    void aFitWithinItsTimeLimitIsTheFitWithoutOne() {
        try (SoupOfExperts soup = noisySoup()) {
            DomainWeightFit.Result free = fit(soup).build().fit(DOCS, START);
            // A clock that never moves: the limit never passes.
            DomainWeightFit.Result limited = fit(soup)
                    .timeLimit(Duration.ofNanos(1))
                    .clock(() -> 7)
                    .build()
                    .fit(DOCS, START);
            assertFalse(free.stoppedEarly());
            assertFalse(limited.stoppedEarly());
            assertArrayEquals(free.h(), limited.h(), 0);
            assertArrayEquals(free.alpha(), limited.alpha(), 0);
            assertEquals(free.layerAlpha().length, limited.layerAlpha().length);
            assertArrayEquals(free.layerAlpha()[0], limited.layerAlpha()[0], 0);
            assertEquals(free.layerLoss(), limited.layerLoss(), 0);
        }
    }

    @Test
    void aLayerWiseFitGivesUpWaitingForATrainingRunAtItsTimeLimit() throws Exception {
        try (SoupOfExperts soup = noisySoup()) {
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            // A training run in this JVM holds the gradient lock for the whole run.
            Thread trainer = new Thread(() -> {
                Djl.gradientLock().lock();
                try {
                    held.countDown();
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    Djl.gradientLock().unlock();
                }
            });
            trainer.start();
            try {
                held.await();
                // A clock that never moves: the searches run to their budgets whatever the machine's
                // speed, and the descent's wait for the lock is the whole limit, in real time.
                DomainWeightFit fit = fit(soup)
                        .timeLimit(Duration.ofMillis(200))
                        .clock(() -> 0)
                        .build();
                // Without the limit the fit would wait for the run's end, here never.
                DomainWeightFit.Result r = assertTimeoutPreemptively(Duration.ofSeconds(120), () -> fit.fit(DOCS));
                assertTrue(r.stoppedEarly(), r.toString());
                assertEquals(45, r.evaluations(), "both searches ran to their budgets: " + r);
                assertEquals(0, r.layerAlpha().length, "no layer step could run");
                assertEquals(r.alphaLoss(), r.layerLoss(), 0);
                assertTrue(r.alphaLoss() <= r.startLoss(), r.toString());
            } finally {
                release.countDown();
                trainer.join();
            }
        }
    }

    @Test
    void anHSearchThatEndsPastTheLimitSkipsTheAlphaSearch() {
        try (SoupOfExperts soup = noisySoup()) {
            // One clock reading when the fit starts, one before each of the h search's 24 moves
            // (elapsed 1..24 s, within 25 s), then one after it: 25 s, the limit.
            AtomicLong now = new AtomicLong();
            DomainWeightFit.Result r = fit(soup)
                    .timeLimit(Duration.ofSeconds(25))
                    .clock(() -> now.addAndGet(1_000_000_000L))
                    .build()
                    .fit(DOCS, START);
            assertTrue(r.stoppedEarly(), r.toString());
            assertEquals(25, r.evaluations(), "the h search's whole budget and no alpha loss: " + r);
            assertArrayEquals(soup.alpha(r.h()), r.alpha(), 1e-12);
        }
    }

    @Test
    void aDescentStoppedBeforeAnyStepImprovedGivesNoRowsAndOneThatImprovedGivesItsBest() {
        try (SoupOfExperts soup = noisySoup()) {
            boolean noRows = false;
            boolean rows = false;
            // Limits from about where the descent begins to past its end, on a clock that moves
            // one second per reading: every place the descent can stop at.
            for (int limit = 40; limit <= 75; limit++) {
                AtomicLong now = new AtomicLong();
                DomainWeightFit.Result r = fit(soup)
                        .timeLimit(Duration.ofSeconds(limit))
                        .clock(() -> now.addAndGet(1_000_000_000L))
                        .build()
                        .fit(DOCS, START);
                String at = "limit " + limit + " s: " + r + " (seed " + SEED + ")";
                if (r.layerAlpha().length == 0) {
                    assertEquals(r.alphaLoss(), r.layerLoss(), 0, at);
                    noRows |= r.stoppedEarly() && r.evaluations() == 45;
                } else {
                    // Rows are given only when a step lowered the loss below the tuned alpha's.
                    assertTrue(r.layerLoss() < r.alphaLoss(), at);
                    rows |= r.stoppedEarly();
                }
            }
            assertTrue(noRows, "some limit stops the descent before a step improved on its start");
            assertTrue(rows, "some limit stops the descent after a step improved on its start");
        }
    }

    @Test
    void anInterruptedFitStopsLikeOneOutOfTime() {
        try (SoupOfExperts soup = noisySoup()) {
            Thread.currentThread().interrupt();
            DomainWeightFit.Result r;
            try {
                r = fit(soup).build().fit(DOCS, START);
            } finally {
                assertTrue(Thread.interrupted(), "the interrupt flag is kept");
            }
            assertTrue(r.stoppedEarly());
            assertEquals(1, r.evaluations(), "the start's loss alone");
            assertArrayEquals(START, r.h(), 1e-12);
        }
    }

    @Test
    void aTimeLimitThatIsNotPositiveIsRefusedAndAHugeOneIsNone() {
        try (SoupOfExperts soup = noisySoup()) {
            for (Duration bad : new Duration[] {Duration.ZERO, Duration.ofMillis(-5)}) {
                var e = assertThrows(
                        IllegalArgumentException.class,
                        () -> fit(soup).timeLimit(bad).build());
                assertTrue(e.getMessage().contains("time limit must be positive"), e.getMessage());
            }
            DomainWeightFit.Result r = fit(soup)
                    .timeLimit(Duration.ofSeconds(Long.MAX_VALUE))
                    .build()
                    .fit(DOCS, DomainWeights.uniform(3));
            assertFalse(r.stoppedEarly());
        }
    }

    /** h, then alpha, then a layer-wise alpha, on 8 windows in batches of 4 (two per step). */
    private static DomainWeightFit.Builder fit(SoupOfExperts soup) {
        return DomainWeightFit.builder()
                .soup(soup)
                .tokenizer(new ByteTokenizer())
                .windows(8)
                .batch(4)
                .maxEvaluations(25)
                .alphaEvaluations(20)
                .layerSteps(3);
    }

    private static SoupOfExperts noisySoup() {
        return SoupOfExperts.builder()
                .model(ModelConfig.builder()
                        .vocabSize(256)
                        .layers(1)
                        .dModel(16)
                        .heads(2)
                        .contextLength(16)
                        .build())
                .domains(3)
                .experts(4)
                .expertInit(ExpertInit.SCALED_NOISE)
                .seed(SEED)
                .build();
    }
}
