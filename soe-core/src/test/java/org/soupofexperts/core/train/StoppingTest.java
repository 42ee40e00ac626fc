package org.soupofexperts.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.soupofexperts.core.DenseModel;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.train.listener.StepEvent;

/** A run stopped by its caller ends after the current step, says so, and can be resumed. */
class StoppingTest {

    @TempDir
    Path tmp;

    private static final ModelConfig MODEL = ToySources.ONE_LAYER;

    private static TrainingPlan.Builder config(int steps) {
        return TrainingPlan.builder()
                .source(ToySources.COUNTING)
                .metaDistribution(ToySources.UNIFORM_MIX)
                .steps(steps)
                .batchSize(4)
                .contextLength(6)
                .logEvery(0)
                .seed(3);
    }

    @Test
    void aStopConditionEndsTheRunAfterTheStepDuringWhichItBecameTrue() {
        AtomicBoolean stop = new AtomicBoolean();
        List<StepEvent> events = new ArrayList<>();
        try (DenseModel m = DenseModel.create(MODEL, 1)) {
            TrainingReport r = m.train(config(50)
                    .listener(e -> {
                        events.add(e);
                        stop.set(e.step() == 7);
                    })
                    .stopWhen(stop::get)
                    .build());
            assertEquals(7, r.steps());
            assertTrue(r.stopped(), r.toString());
            assertEquals(7, r.losses().length);
            assertEquals(7, events.size());
        }
        for (StepEvent e : events) {
            assertTrue(e.elapsedSeconds() > 0, "elapsed at step " + e.step());
            double perStep = e.elapsedSeconds() / e.step();
            assertEquals(perStep * (50 - e.step()), e.etaSeconds(), 1e-9, "ETA at step " + e.step());
        }
    }

    @Test
    void anInterruptOfTheTrainingThreadStopsTheRunAndKeepsTheFlag() throws Exception {
        int[] steps = {0};
        boolean[] stillInterrupted = {false};
        Thread t = new Thread(() -> {
            try (DenseModel m = DenseModel.create(MODEL, 1)) {
                steps[0] = m.train(config(50)
                                .listener(e -> {
                                    if (e.step() == 3) {
                                        Thread.currentThread().interrupt();
                                    }
                                })
                                .build())
                        .steps();
                stillInterrupted[0] = Thread.currentThread().isInterrupted();
            }
        });
        t.start();
        t.join();
        assertEquals(3, steps[0]);
        assertTrue(stillInterrupted[0]);
    }

    @Test
    void aStoppedRunWithCheckpointsResumesToTheSameParametersAsAnUninterruptedOne() throws Exception {
        float[] whole;
        try (DenseModel m = DenseModel.create(MODEL, 1)) {
            m.train(config(12).build());
            whole = m.block().soupTensors().get(0).shared().getArray().toFloatArray();
        }
        Path dir = tmp.resolve("ck");
        AtomicBoolean stop = new AtomicBoolean();
        try (DenseModel m = DenseModel.create(MODEL, 1)) {
            m.train(config(12)
                    .checkpoints(CheckpointPolicy.everySteps(1000, dir))
                    .listener(e -> stop.set(e.step() == 5))
                    .stopWhen(stop::get)
                    .build());
        }
        assertTrue(Files.list(dir).findAny().isPresent(), "a checkpoint at the stop");
        try (DenseModel m = DenseModel.create(MODEL, 1)) {
            TrainingReport r = m.train(config(12)
                    .checkpoints(CheckpointPolicy.everySteps(1000, dir))
                    .resumeFrom(CheckpointFolder.latest(dir).orElseThrow())
                    .build());
            assertEquals(12, r.steps());
            assertTrue(!r.stopped());
            float[] resumed = m.block().soupTensors().get(0).shared().getArray().toFloatArray();
            Assertions.assertArrayEquals(whole, resumed, 0f);
        }
    }
}
