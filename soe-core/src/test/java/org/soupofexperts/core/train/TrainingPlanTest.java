package org.soupofexperts.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.soupofexperts.core.batch.BatchSource;
import org.soupofexperts.core.batch.MetaDistribution;
import org.soupofexperts.core.batch.TokenBatch;

class TrainingPlanTest {

    private static final BatchSource NONE = new BatchSource() {
        @Override
        public int numDomains() {
            return 1;
        }

        @Override
        public TokenBatch sample(double[] h, int b, int l, SplittableRandom rng) {
            return new TokenBatch(b, l, new int[b * l], null);
        }
    };

    private static final MetaDistribution ONE = new MetaDistribution() {
        @Override
        public int numDomains() {
            return 1;
        }

        @Override
        public double[] sample(SplittableRandom rng) {
            return new double[] {1};
        }
    };

    @Test
    void aPlainModelsDescriptionLeavesOutTheSettingsOnlyASoupUses() {
        TrainingPlan c = TrainingPlan.builder()
                .source(NONE)
                .metaDistribution(ONE)
                .steps(10)
                .batchSize(4)
                .bankMoments(TrainingPlan.MomentPrecision.BFLOAT16)
                .build();
        String soup = c.describe(true);
        String plain = c.describe(false);
        for (String soupOnly : new String[] {"hPerStep=", "expertUpdate=", "bankMoments=", "meta="}) {
            assertTrue(soup.contains(soupOnly), soup);
            assertFalse(plain.contains(soupOnly), plain);
        }
        assertEquals(soup, c.toString());
        assertTrue(plain.contains("steps=10, batch=4"), plain);
    }

    @Test
    void learningRateWarmsUpLinearlyThenDecaysByCosineToTheFloor() {
        TrainingPlan c = TrainingPlan.builder()
                .source(NONE)
                .metaDistribution(ONE)
                .steps(110)
                .warmup(10)
                .learningRate(1.0)
                .minLearningRateRatio(0.1)
                .build();
        assertEquals(0.1, c.learningRateAt(1), 1e-12);
        assertEquals(1.0, c.learningRateAt(10), 1e-12);
        assertEquals(0.55, c.learningRateAt(60), 1e-12); // half-way through the cosine
        assertEquals(0.1, c.learningRateAt(110), 1e-12);
        for (int s = 11; s < 110; s++) {
            assertTrue(c.learningRateAt(s + 1) <= c.learningRateAt(s), "monotone decay at " + s);
        }
    }

    @Test
    void defaultWarmupIsATenthOfShortRuns() {
        assertEquals(
                5,
                TrainingPlan.builder()
                        .source(NONE)
                        .metaDistribution(ONE)
                        .steps(50)
                        .build()
                        .warmupSteps());
        assertEquals(
                100,
                TrainingPlan.builder()
                        .source(NONE)
                        .metaDistribution(ONE)
                        .steps(5000)
                        .build()
                        .warmupSteps());
    }

    @Test
    void groupSettingsDefaultToOneAndTheGlobalDecay() {
        TrainingPlan c = TrainingPlan.builder()
                .source(NONE)
                .metaDistribution(ONE)
                .learningRateScale(ParamGroup.EXPERTS, 0.5)
                .weightDecay(0.2)
                .weightDecay(ParamGroup.ROUTER, 0)
                .build();
        assertEquals(1.0, c.learningRateScale(ParamGroup.SHARED));
        assertEquals(0.5, c.learningRateScale(ParamGroup.EXPERTS));
        assertEquals(0.2, c.weightDecay(ParamGroup.EXPERTS));
        assertEquals(0.0, c.weightDecay(ParamGroup.ROUTER));
    }

    @Test
    void expertsLearnAtTheSharedRateByDefaultAndAnExplicitScaleWins() {
        TrainingPlan c =
                TrainingPlan.builder().source(NONE).metaDistribution(ONE).build();
        assertEquals(1.0, c.learningRateScale(ParamGroup.EXPERTS, 16), 0.0);
        assertEquals(1.0, c.learningRateScale(ParamGroup.EXPERTS, 64), 0.0);
        assertEquals(1.0, c.learningRateScale(ParamGroup.SHARED, 16), 0.0);
        assertEquals(1.0, c.learningRateScale(ParamGroup.ROUTER, 16), 0.0);
        TrainingPlan set = TrainingPlan.builder()
                .source(NONE)
                .metaDistribution(ONE)
                .learningRateScale(ParamGroup.EXPERTS, 0.7)
                .build();
        assertEquals(0.7, set.learningRateScale(ParamGroup.EXPERTS, 16), 0.0);
    }
}
