package org.soupofexperts.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.train.TrainingPlan;

/** Plain models train by the soup's loop: the baselines and fine-tuning stand on this. */
class SpecialistTrainingTest {

    private static TrainingPlan onDomain(int d, int steps) {
        return TrainingPlan.builder()
                .source(new ToyDomains())
                .metaDistribution(ToyDomains.only(d))
                .steps(steps)
                .batchSize(16)
                .contextLength(4)
                .learningRate(3e-3)
                .logEvery(0)
                .seed(d)
                .build();
    }

    @Test
    void aDomainExpertTrainedFromScratchLearnsItsDomainOnly() {
        TokenBatch d0 = new ToyDomains().domain(0, 64, 3, 100);
        TokenBatch d1 = new ToyDomains().domain(1, 64, 3, 101);
        try (DenseModel expert = DenseModel.create(ToyDomains.tinyModel(), 5)) {
            double before = expert.loss(d0);
            expert.train(onDomain(0, 200));
            double own = expert.loss(d0);
            double other = expert.loss(d1);
            assertTrue(own < 0.3 * before, "own-domain loss " + own + " vs untrained " + before);
            assertTrue(own + 0.5 < other, "own " + own + " vs other " + other);
            assertEquals(ToyDomains.tinyModel().parameterCount(), expert.parameterCount());
            assertEquals(1, expert.provenance().training().size());
        }
    }

    @Test
    void anInstantiatedSpecialistCanBeFineTunedWithoutTouchingTheSoup() {
        try (SoupOfExperts soup = SoupOfExperts.builder()
                        .model(ToyDomains.tinyModel())
                        .domains(2)
                        .experts(2)
                        .seed(6)
                        .build();
                Specialist s = soup.instantiate(new double[] {0.5, 0.5})) {
            TokenBatch d1 = new ToyDomains().domain(1, 64, 3, 7);
            double soupBefore = soup.loss(d1, new double[] {0.5, 0.5});
            double before = s.loss(d1);
            s.train(onDomain(1, 100));
            assertTrue(s.loss(d1) < 0.5 * before, "fine-tuning must lower the loss: " + before + " -> " + s.loss(d1));
            assertEquals(soupBefore, soup.loss(d1, new double[] {0.5, 0.5}), 0.0, "the soup must not change");
        }
    }

    @Test
    void trainingDataMustHaveTheModelsVocabulary() {
        try (DenseModel s = DenseModel.create(
                ModelConfig.builder()
                        .vocabSize(8)
                        .layers(1)
                        .dModel(8)
                        .heads(2)
                        .contextLength(8)
                        .build(),
                1)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.train(onDomain(1, 2)));
            assertTrue(e.getMessage().contains("outside the vocabulary [0, 8)"), e.getMessage());
        }
    }

    @Test
    void aWarmStartedSoupWithZeroExpertsEqualsItsBaseModelAtEveryH() {
        TokenBatch d0 = new ToyDomains().domain(0, 32, 3, 11);
        try (DenseModel base = DenseModel.create(ToyDomains.tinyModel(), 9);
                SoupOfExperts soup = SoupOfExperts.builder()
                        .model(ToyDomains.tinyModel())
                        .domains(2)
                        .experts(2)
                        .seed(1)
                        .build()) {
            base.train(onDomain(0, 60));
            assertTrue(Math.abs(base.loss(d0) - soup.loss(d0, new double[] {1, 0})) > 0.1, "differently initialised");
            soup.warmStart(base);
            for (double[] h : new double[][] {{1, 0}, {0, 1}, {0.3, 0.7}}) {
                assertEquals(base.loss(d0), soup.loss(d0, h), 1e-5, "h=" + Arrays.toString(h));
            }
            TrainingPlan cfg = TrainingPlan.builder()
                    .source(new ToyDomains())
                    .metaDistribution(ToyDomains.meta())
                    .steps(20)
                    .batchSize(16)
                    .contextLength(4)
                    .logEvery(0)
                    .build();
            soup.train(cfg);
            try (SoupOfExperts cold = SoupOfExperts.builder()
                    .model(ToyDomains.tinyModel())
                    .domains(2)
                    .experts(2)
                    .seed(1)
                    .build()) {
                cold.train(cfg);
                double warm = soup.loss(d0, new double[] {1, 0});
                double fromScratch = cold.loss(d0, new double[] {1, 0});
                assertTrue(
                        warm + 0.2 < fromScratch,
                        "training goes on from the base model: warm-started " + warm + " vs from scratch "
                                + fromScratch);
            }
        }
    }

    @Test
    void warmStartRefusesABaseModelOfAnotherShape() {
        ModelConfig wider = ModelConfig.builder()
                .vocabSize(ToyDomains.VOCAB)
                .layers(2)
                .dModel(64)
                .heads(2)
                .mlpRatio(2)
                .contextLength(16)
                .build();
        try (DenseModel base = DenseModel.create(wider, 1);
                SoupOfExperts soup = SoupOfExperts.builder()
                        .model(ToyDomains.tinyModel())
                        .domains(2)
                        .experts(2)
                        .seed(1)
                        .build()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> soup.warmStart(base));
            assertTrue(e.getMessage().contains("another shape"), e.getMessage());
        }
    }
}
