package org.soupofexperts.core.train.step;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.soupofexperts.core.DenseModel;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.train.ToySources;
import org.soupofexperts.core.train.TrainingPlan;
import org.soupofexperts.core.train.TrainingReport;

/** The step's phase timers: named phases, in step order, that add up to no more than the run. */
class PhaseTimingTest {

    private static final ModelConfig MODEL = ToySources.ONE_LAYER;

    private static TrainingPlan config(boolean time) {
        return TrainingPlan.builder()
                .source(ToySources.COUNTING)
                .metaDistribution(ToySources.UNIFORM_MIX)
                .steps(4)
                .batchSize(4)
                .contextLength(6)
                .logEvery(0)
                .seed(3)
                .timePhases(time)
                .build();
    }

    private static void assertWithinTheRun(TrainingReport r) {
        double sum = r.phaseMillis().values().stream()
                .mapToDouble(Double::doubleValue)
                .sum();
        r.phaseMillis().forEach((k, v) -> assertTrue(v >= 0, k + " = " + v));
        assertTrue(sum <= 1000 * r.seconds() / r.steps() + 1e-6, sum + " ms per step in " + r);
    }

    @Test
    void aSoupsClosedFormStepReportsItsSixPhasesInStepOrder() {
        try (SoupOfExperts soup = SoupOfExperts.builder()
                .model(MODEL)
                .domains(2)
                .experts(3)
                .seed(11)
                .build()) {
            TrainingReport r = soup.train(config(true));
            assertEquals(
                    List.of(
                            "batch",
                            "router and merge",
                            "forward and backward",
                            "bank reductions (dS, dalpha, Gram)",
                            "router backward and norm",
                            "update"),
                    List.copyOf(r.phaseMillis().keySet()));
            assertWithinTheRun(r);
        }
    }

    @Test
    void aPlainModelsStepReportsBatchForwardBackwardAndUpdate() {
        try (DenseModel m = DenseModel.create(MODEL, 1)) {
            TrainingReport r = m.train(config(true));
            assertEquals(
                    List.of("batch", "forward and backward", "norm and update"),
                    List.copyOf(r.phaseMillis().keySet()));
            assertWithinTheRun(r);
        }
    }

    @Test
    void withoutTheOptionNothingIsTimed() {
        try (DenseModel m = DenseModel.create(MODEL, 1)) {
            assertEquals(Map.of(), m.train(config(false)).phaseMillis());
        }
    }
}
