package org.soupofexperts.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
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
        assertEquals(0.1, c.schedule().at(1), 1e-12);
        assertEquals(1.0, c.schedule().at(10), 1e-12);
        assertEquals(0.55, c.schedule().at(60), 1e-12); // half-way through the cosine
        assertEquals(0.1, c.schedule().at(110), 1e-12);
        for (int s = 11; s < 110; s++) {
            assertTrue(c.schedule().at(s + 1) <= c.schedule().at(s), "monotone decay at " + s);
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
                        .schedule()
                        .warmupSteps());
        assertEquals(
                100,
                TrainingPlan.builder()
                        .source(NONE)
                        .metaDistribution(ONE)
                        .steps(5000)
                        .build()
                        .schedule()
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
        assertEquals(1.0, c.optimizer().learningRateScale(ParamGroup.SHARED));
        assertEquals(0.5, c.optimizer().learningRateScale(ParamGroup.EXPERTS));
        assertEquals(0.2, c.optimizer().weightDecay(ParamGroup.EXPERTS));
        assertEquals(0.0, c.optimizer().weightDecay(ParamGroup.ROUTER));
    }

    @Test
    void expertsLearnAtTheSharedRateByDefaultAndAnExplicitScaleWins() {
        TrainingPlan c =
                TrainingPlan.builder().source(NONE).metaDistribution(ONE).build();
        assertEquals(1.0, c.optimizer().learningRateScale(ParamGroup.EXPERTS, 16), 0.0);
        assertEquals(1.0, c.optimizer().learningRateScale(ParamGroup.EXPERTS, 64), 0.0);
        assertEquals(1.0, c.optimizer().learningRateScale(ParamGroup.SHARED, 16), 0.0);
        assertEquals(1.0, c.optimizer().learningRateScale(ParamGroup.ROUTER, 16), 0.0);
        TrainingPlan set = TrainingPlan.builder()
                .source(NONE)
                .metaDistribution(ONE)
                .learningRateScale(ParamGroup.EXPERTS, 0.7)
                .build();
        assertEquals(0.7, set.optimizer().learningRateScale(ParamGroup.EXPERTS, 16), 0.0);
    }

    @Test
    void eachRecordOfThePlanRefusesItsOwnBadValuesByName() {
        String steps = assertThrows(IllegalArgumentException.class, () -> new LearningRateSchedule(0, 1e-3, 0.1, 0))
                .getMessage();
        assertTrue(steps.contains("steps"), steps);
        String warm = assertThrows(IllegalArgumentException.class, () -> new LearningRateSchedule(10, 1e-3, 0.1, 11))
                .getMessage();
        assertTrue(warm.contains("warmupSteps"), warm);
        String lr = assertThrows(IllegalArgumentException.class, () -> new LearningRateSchedule(10, Double.NaN, 0.1, 1))
                .getMessage();
        assertTrue(lr.contains("learningRate"), lr);
        String betas = assertThrows(
                        IllegalArgumentException.class,
                        () -> new AdamWSettings(1.0, 0.95, 1e-8, 1, Map.of(), Map.of(), true))
                .getMessage();
        assertTrue(betas.contains("betas"), betas);
        String decay = assertThrows(
                        IllegalArgumentException.class,
                        () -> new AdamWSettings(0.9, 0.95, 1e-8, 1, Map.of(), Map.of(ParamGroup.ROUTER, -1.0), true))
                .getMessage();
        assertTrue(decay.contains("weight decay of ROUTER"), decay);
        String m = assertThrows(
                        IllegalArgumentException.class,
                        () -> new SoupStepSettings(
                                0,
                                TrainingPlan.ExpertUpdate.ADAM,
                                TrainingPlan.MomentPrecision.FLOAT32,
                                false,
                                TrainingPlan.StepAlgorithm.AUTO))
                .getMessage();
        assertTrue(m.contains("hPerStep"), m);
        String first = assertThrows(
                        IllegalArgumentException.class,
                        () -> TrainingPlan.builder()
                                .source(NONE)
                                .metaDistribution(ONE)
                                .steps(0)
                                .batchSize(0)
                                .build())
                .getMessage();
        assertTrue(first.startsWith("steps"), "the steps are checked first: " + first);
    }

    @Test
    void thePlanGroupsItsSettingsIntoItsRecords() {
        TrainingPlan c = TrainingPlan.builder()
                .source(NONE)
                .metaDistribution(ONE)
                .steps(200)
                .learningRate(2e-3)
                .betas(0.8, 0.9)
                .gradClip(0.5)
                .batchSize(8)
                .hPerStep(4)
                .fusedUpdate(false)
                .build();
        assertEquals(new LearningRateSchedule(200, 2e-3, 0.1, 20), c.schedule());
        assertEquals(new AdamWSettings(0.8, 0.9, 1e-8, 0.5, Map.of(), Map.of(), false), c.optimizer());
        assertEquals(4, c.soupStep().hPerStep());
        assertEquals(200, c.steps());
    }
}
