package org.soupofexperts.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.soupofexperts.core.nn.KvCache;
import org.soupofexperts.core.train.TrainingPlan;

/** Text generation: greedy, temperature, top-k, top-p, and seeded reproducibility. */
class GenerationTest {

    private static DenseModel counter() {
        DenseModel s = DenseModel.create(ToyDomains.tinyModel(), 5);
        s.train(TrainingPlan.builder()
                .source(new ToyDomains())
                .metaDistribution(ToyDomains.only(0))
                .steps(200)
                .batchSize(16)
                .contextLength(8)
                .learningRate(3e-3)
                .logEvery(0)
                .seed(0)
                .build());
        return s;
    }

    @Test
    void greedyGenerationContinuesWhatTheModelLearned() {
        try (DenseModel s = counter()) {
            // Domain 0 counts up by one (mod 16); the context window slides past the model's 16 tokens.
            assertArrayEquals(
                    new int[] {6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
                    s.generate(new int[] {3, 4, 5}, Generation.greedy(20)));
            assertArrayEquals(
                    s.generate(new int[] {3, 4, 5}, Generation.greedy(5)),
                    s.generate(new int[] {3, 4, 5}, Generation.sampling(5, 1.0, 1, 1.0, 99)),
                    "top-k 1 is greedy");
        }
    }

    /** The text's tokens continued by full forward passes over the last context-length tokens, as before the cache. */
    private static int[] uncachedGreedy(DenseModel s, int[] prompt, int n, List<float[]> logits) {
        int ctx = s.block().config().contextLength();
        int[] text = Arrays.copyOf(prompt, prompt.length + n);
        try (NDManager m = NDManager.newBaseManager()) {
            for (int i = prompt.length; i < text.length; i++) {
                int from = Math.max(0, i - ctx);
                NDArray out = s.logits(m.create(Arrays.copyOfRange(text, from, i), new Shape(1, i - from)));
                float[] last = out.get(new NDIndex("0, -1")).toFloatArray();
                logits.add(last);
                int best = 0;
                for (int v = 1; v < last.length; v++) {
                    best = last[v] > last[best] ? v : best;
                }
                text[i] = best;
            }
        }
        return Arrays.copyOfRange(text, prompt.length, text.length);
    }

    @Test
    void theKeyValueCacheGivesTheTokensAndLogitsOfFullForwardPasses() {
        // An untrained model: its greedy choices hang on small differences between logits. Generation
        // runs past the context length, where the cache gives way to full passes over the window.
        for (long seed : new long[] {8, 9}) {
            try (DenseModel s = DenseModel.create(ToyDomains.tinyModel(), seed)) {
                int ctx = s.block().config().contextLength();
                int[] prompt = {1, 2, 3};
                List<float[]> reference = new ArrayList<>();
                int[] expected = uncachedGreedy(s, prompt, ctx + 5, reference);
                List<float[]> seen = new ArrayList<>();
                try (NDManager m = NDManager.newBaseManager();
                        KvCache cache = s.block().newCache(m)) {
                    NDArray out = s.block().logits(m.create(prompt, new Shape(1, 3)), null, cache);
                    seen.add(out.get(new NDIndex("0, -1")).toFloatArray());
                    for (int i = 0; i + prompt.length < ctx; i++) {
                        out = s.block().logits(m.create(new int[] {expected[i]}, new Shape(1, 1)), null, cache);
                        seen.add(out.get(new NDIndex("0, -1")).toFloatArray());
                    }
                    assertEquals(ctx, cache.length());
                }
                for (int i = 0; i < seen.size(); i++) {
                    assertArrayEquals(reference.get(i), seen.get(i), 1e-4f, "logits of new token " + i);
                }
                assertArrayEquals(expected, s.generate(prompt, Generation.greedy(ctx + 5)));
            }
        }
    }

    @Test
    void streamingSeesEachTokenAndStopsWhenTheCallbackSaysSo() {
        try (DenseModel s = DenseModel.create(ToyDomains.tinyModel(), 8)) {
            int[] all = s.generate(new int[] {1}, Generation.sampling(12, 1.0, 0, 1.0, 5));
            List<Integer> streamed = new ArrayList<>();
            int[] first = s.generate(new int[] {1}, Generation.sampling(12, 1.0, 0, 1.0, 5), t -> {
                streamed.add(t);
                return streamed.size() < 4;
            });
            assertArrayEquals(Arrays.copyOf(all, 4), first);
            assertEquals(List.of(all[0], all[1], all[2], all[3]), streamed);
        }
    }

    @Test
    void aCacheRefusesWhatItCannotServe() {
        try (DenseModel s = DenseModel.create(ToyDomains.tinyModel(), 8);
                NDManager m = NDManager.newBaseManager();
                KvCache cache = s.block().newCache(m)) {
            s.block().logits(m.create(new int[] {1, 2}, new Shape(1, 2)), null, cache);
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class,
                    () -> s.block().logits(m.create(new int[] {1, 2}, new Shape(1, 2)), null, cache));
            assertEquals("after the prompt, a cache takes one token at a time, got 2 after 2", e.getMessage());
        }
    }

    @Test
    void aSeedReplaysTheSameSampleAndAnotherSeedGivesAnother() {
        try (DenseModel s = DenseModel.create(ToyDomains.tinyModel(), 8)) {
            int[] a = s.generate(new int[] {1}, Generation.sampling(30, 1.0, 0, 1.0, 7));
            assertArrayEquals(a, s.generate(new int[] {1}, Generation.sampling(30, 1.0, 0, 1.0, 7)));
            int[] b = s.generate(new int[] {1}, Generation.sampling(30, 1.0, 0, 1.0, 8));
            assertTrue(!Arrays.equals(a, b), "an untrained model sampled with two seeds must differ");
        }
    }

    @Test
    void samplingFollowsTheSoftmaxAtTheTemperatureAndTheFiltersCutTheTail() {
        float[] logits = {0f, (float) Math.log(2), -50f};
        SplittableRandom rng = new SplittableRandom(20261123L);
        int[] counts = new int[3];
        Generation g = Generation.sampling(1, 1.0, 0, 1.0, 0);
        for (int i = 0; i < 30_000; i++) {
            counts[g.next(logits, rng)]++;
        }
        assertEquals(2.0 / 3, counts[1] / 30_000.0, 0.015, "p(1) = 2/3 at temperature 1");
        Generation hot = Generation.sampling(1, 1e6, 2, 1.0, 0);
        int ones = 0;
        for (int i = 0; i < 10_000; i++) {
            int t = hot.next(logits, rng);
            assertTrue(t != 2, "top-k 2 never draws the third token");
            ones += t == 1 ? 1 : 0;
        }
        assertEquals(0.5, ones / 10_000.0, 0.03, "a huge temperature makes the kept tokens equally likely");
        Generation nucleus = Generation.sampling(1, 1.0, 0, 0.6, 0);
        for (int i = 0; i < 1000; i++) {
            assertEquals(1, nucleus.next(logits, rng), "top-p 0.6 keeps only the 2/3-probable token");
        }
        // A subnormal temperature: logits / T are infinite, yet the likeliest token is still the one drawn.
        Generation cold = Generation.sampling(1, 1e-320, 0, 1.0, 0);
        for (int i = 0; i < 100; i++) {
            assertEquals(1, cold.next(logits, rng), "a temperature near 0 is greedy");
        }
    }

    @Test
    void tokensAreOrderedByLogitAsAStableComparatorSortOrdersThem() {
        // Few distinct values, so that ties are everywhere; both zeros, negatives and extremes.
        float[] values = {0f, -0f, 1f, -1f, 2.5f, -2.5f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE, -3e-39f};
        SplittableRandom rng = new SplittableRandom(7);
        for (int trial = 0; trial < 200; trial++) {
            float[] logits = new float[1 + rng.nextInt(300)];
            for (int i = 0; i < logits.length; i++) {
                logits[i] = values[rng.nextInt(values.length)];
            }
            Integer[] expected = new Integer[logits.length];
            for (int i = 0; i < expected.length; i++) {
                expected[i] = i;
            }
            Arrays.sort(expected, (a, b) -> Float.compare(logits[b], logits[a]));
            assertArrayEquals(
                    Arrays.stream(expected).mapToInt(Integer::intValue).toArray(),
                    Generation.order(logits),
                    "trial " + trial + " of seed 7: " + Arrays.toString(logits));
        }
    }

    @Test
    void badSettingsAndPromptsAreRejectedByName() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Generation.greedy(0))
                .getMessage()
                .contains("maxNewTokens"));
        // Once overflowed the prompt + new tokens array size (a message of -2147483645).
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Generation.greedy(Integer.MAX_VALUE))
                .getMessage()
                .contains("maxNewTokens must be in [1, 1000000]"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Generation.sampling(5, 0, 0, 1, 1))
                .getMessage()
                .contains("greedy"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Generation.sampling(5, 1, -1, 1, 1))
                .getMessage()
                .contains("topK"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Generation.sampling(5, 1, 0, 0, 1))
                .getMessage()
                .contains("topP"));
        try (DenseModel s = DenseModel.create(ToyDomains.tinyModel(), 1)) {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> s.generate(new int[0], Generation.greedy(1)))
                    .getMessage()
                    .contains("prompt"));
            assertTrue(assertThrows(
                            IllegalArgumentException.class, () -> s.generate(new int[] {99}, Generation.greedy(1)))
                    .getMessage()
                    .contains("outside the vocabulary"));
        }
    }
}
