package org.soupofexperts.core;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import java.nio.FloatBuffer;
import org.junit.jupiter.api.Test;
import org.soupofexperts.core.internal.Djl;
import org.soupofexperts.core.train.TrainingPlan;
import org.soupofexperts.core.train.TrainingReport;

class DivergenceTest {

    private static TrainingPlan steps(int n) {
        return TrainingPlan.builder()
                .source(new ToyDomains())
                .metaDistribution(ToyDomains.meta())
                .steps(n)
                .batchSize(4)
                .contextLength(8)
                .logEvery(0)
                .build();
    }

    @Test
    void aDivergedRunIsReportedAndLeavesNoGradientBehindForTheNextRun() {
        try (SoupOfExperts soup = SoupOfExperts.builder()
                .model(ToyDomains.tinyModel())
                .domains(2)
                .experts(2)
                .seed(4)
                .build()) {
            NDArray wte = soup.block().soupTensors().get(0).shared().getArray();
            float[] good = wte.toFloatArray();
            float[] bad = good.clone();
            bad[0] = Float.NaN;
            try (Djl.NoGrad ng = Djl.noGrad()) {
                wte.set(FloatBuffer.wrap(bad));
            }
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> soup.train(steps(3)));
            assertTrue(e.getMessage().contains("training diverged at step 1"), e.getMessage());
            try (Djl.NoGrad ng = Djl.noGrad()) {
                wte.set(FloatBuffer.wrap(good));
            }
            TrainingReport r = soup.train(steps(3));
            for (float loss : r.losses()) {
                assertTrue(Float.isFinite(loss), "a NaN gradient from the failed run leaked into this one");
            }
        }
    }
}
