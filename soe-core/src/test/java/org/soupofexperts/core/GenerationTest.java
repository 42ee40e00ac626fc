package org.soupofexperts.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.soupofexperts.core.train.SoupTrainingConfig;

/** Text generation: greedy, temperature, top-k, top-p, and seeded reproducibility. */
class GenerationTest {

    private static DenseModel counter() {
        DenseModel s = DenseModel.create(ToyDomains.tinyModel(), 5);
        s.train(SoupTrainingConfig.builder()
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

    @Test
    void aSeedReplaysTheSameSampleAndAnotherSeedGivesAnother() {
        try (DenseModel s = DenseModel.create(ToyDomains.tinyModel(), 8)) {
            int[] a = s.generate(new int[] {1}, Generation.sampling(30, 1.0, 0, 1.0, 7));
            assertArrayEquals(a, s.generate(new int[] {1}, Generation.sampling(30, 1.0, 0, 1.0, 7)));
            int[] b = s.generate(new int[] {1}, Generation.sampling(30, 1.0, 0, 1.0, 8));
            assertTrue(!java.util.Arrays.equals(a, b), "an untrained model sampled with two seeds must differ");
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
