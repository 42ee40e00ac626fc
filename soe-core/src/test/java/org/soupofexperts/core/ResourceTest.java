package org.soupofexperts.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;
import org.soupofexperts.core.config.SoupConfig;
import org.soupofexperts.core.internal.Djl;
import org.soupofexperts.core.train.TrainingPlan;
import org.soupofexperts.core.train.TrainingReport;

/** Nothing the engine holds may grow with the number of steps, instantiations or evaluations. */
class ResourceTest {

    static int liveArrays() {
        try (NDManager probe = Djl.engine().newBaseManager()) {
            return probe.getParentManager().getManagedArrays().size();
        }
    }

    private static TrainingPlan steps(int n, long seed) {
        return TrainingPlan.builder()
                .source(new ToyDomains())
                .metaDistribution(ToyDomains.meta())
                .steps(n)
                .batchSize(4)
                .contextLength(8)
                .logEvery(0)
                .seed(seed)
                .build();
    }

    @Test
    void repeatedTrainingInstantiationAndEvaluationHoldNoExtraArrays() {
        for (int rank : new int[] {0, 2}) {
            holdsNoExtraArrays(rank);
        }
    }

    /** With dense experts (rank 0) or low-rank ones, whose step mixes closed form and autograd. */
    private static void holdsNoExtraArrays(int rank) {
        try (SoupOfExperts soup = SoupOfExperts.builder()
                .model(ToyDomains.tinyModel())
                .domains(2)
                .experts(2)
                .expertRank(rank)
                .seed(3)
                .build()) {
            soup.train(steps(3, 1));
            try (Specialist s = soup.instantiate(new double[] {0.5, 0.5})) {
                s.loss(new ToyDomains().domain(0, 2, 5, 1));
            }
            soup.loss(new ToyDomains().domain(0, 2, 5, 1), new double[] {1, 0});
            int before = liveArrays();
            assertTrue(before > 0, "the count must see the soup's own parameters");
            soup.train(steps(30, 2));
            assertEquals(before, liveArrays(), "training steps leaked arrays (rank " + rank + ")");
            for (int i = 0; i < 30; i++) {
                try (Specialist s = soup.instantiate(new double[] {i / 30.0, 1 - i / 30.0})) {
                    s.loss(new ToyDomains().domain(1, 2, 5, i));
                }
                soup.loss(new ToyDomains().domain(0, 2, 5, i), new double[] {1, 0});
                soup.alpha(new double[] {0.5, 0.5});
            }
            assertEquals(before, liveArrays(), "instantiate/evaluate leaked arrays (rank " + rank + ")");
        }
    }

    @Test
    void sameSeedsReplayTheSameTrainingRun() {
        SoupConfig config = SoupConfig.builder()
                .model(ToyDomains.tinyModel())
                .domains(2)
                .experts(2)
                .seed(9)
                .build();
        TrainingReport a;
        TrainingReport b;
        try (SoupOfExperts soup = SoupOfExperts.create(config)) {
            soup.train(steps(10, 4));
            a = soup.lastReport();
        }
        try (SoupOfExperts soup = SoupOfExperts.create(config)) {
            soup.train(steps(10, 4));
            b = soup.lastReport();
        }
        assertArrayEquals(a.losses(), b.losses(), "seeded runs must replay exactly");
    }
}
