package org.soupofexperts.core;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.soupofexperts.core.config.ExpertInit;
import org.soupofexperts.core.train.TrainingPlan;

/**
 * A stress test for the one way this library is known to corrupt LibTorch's heap: a tensor whose
 * memory is a Java buffer (made by {@code manager.create(buffer)} or repointed by
 * {@code NDArray.set(buffer)}) outliving that buffer, which the garbage collector then frees
 * while the optimizer's views or autograd still use it. The JVM crash of issue 12
 * (SIGSEGV in {@code at::accelerator::getAccelerator} inside backward) has that signature but
 * could not be reproduced. Here the collector runs after every step, while soups of both step
 * kinds (one h per step and one per sequence) train, save, load and instantiate one after the
 * other in one JVM, as the benchmark that crashed did. A regression ends the test run with a
 * JVM crash; passing means no crash, no non-finite loss.
 */
@Tag("fault")
class NativeMemoryStressTest {

    @TempDir
    Path tmp;

    @Test
    void soupsTrainSaveLoadAndInstantiateWithTheCollectorRunningEveryStep() throws Exception {
        int[] perStep = {1, TrainingPlan.PER_SEQUENCE, 4};
        for (int round = 0; round < perStep.length; round++) {
            Path dir = tmp.resolve("soup-" + round);
            try (SoupOfExperts soup = SoupOfExperts.builder()
                    .model(ToyDomains.tinyModel())
                    .domains(2)
                    .experts(2 + 2 * round)
                    .expertInit(ExpertInit.SCALED_NOISE)
                    .seed(round)
                    .build()) {
                soup.train(new ToyDomains()
                        .trainingBuilder()
                        .steps(40)
                        .hPerStep(perStep[round])
                        .listener(e -> System.gc())
                        .build());
                soup.save(dir);
            }
            System.gc();
            try (SoupOfExperts back = SoupOfExperts.load(dir)) {
                for (int i = 0; i < 20; i++) {
                    double a = i / 19.0;
                    try (Specialist s = back.instantiate(new double[] {a, 1 - a})) {
                        System.gc();
                        double loss = s.loss(new int[][] {{1, 2, 3, 4, 5}, {5, 4, 3, 2, 1}});
                        assertTrue(Double.isFinite(loss), "round " + round + ", specialist " + i + ": loss " + loss);
                    }
                }
                back.train(new ToyDomains()
                        .trainingBuilder()
                        .steps(10)
                        .warmup(2)
                        .listener(e -> System.gc())
                        .build());
            }
        }
    }
}
