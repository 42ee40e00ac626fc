package org.soupofexperts.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.soupofexperts.core.internal.Djl;

class AdamWTest {

    @Test
    void twoStepsMatchTheAdamWFormulaWithDecayAndGradientScale() {
        double lr = 0.1;
        double wd = 0.5;
        double b1 = 0.9;
        double b2 = 0.99;
        double eps = 1e-8;
        double scale = 0.5;
        try (NDManager m = Djl.engine().newBaseManager()) {
            NDArray w = m.create(new float[] {1f, -2f});
            w.setRequiresGradient(true);
            try (AdamW opt = new AdamW(List.of(new AdamW.Slot(w, 2.0, wd)), b1, b2, eps)) {
                assertTrue(opt.fused(0), "on the CPU the one-pass kernel updates float32 weights");
                double[] x = {1, -2};
                double[] mm = new double[2];
                double[] vv = new double[2];
                for (int t = 1; t <= 2; t++) {
                    // loss = sum(w^2) / 2 -> grad = w
                    try (GradientCollector gc = Djl.engine().newGradientCollector()) {
                        gc.backward(w.square().sum().div(2));
                    }
                    opt.step(lr, scale);
                    double rate = lr * 2.0;
                    double corr = Math.sqrt(1 - Math.pow(b2, t)) / (1 - Math.pow(b1, t));
                    for (int i = 0; i < 2; i++) {
                        double g = x[i] * scale;
                        x[i] -= rate * wd * x[i];
                        mm[i] = b1 * mm[i] + (1 - b1) * g;
                        vv[i] = b2 * vv[i] + (1 - b2) * g * g;
                        x[i] -= rate * corr * mm[i] / (Math.sqrt(vv[i]) + eps);
                    }
                    float[] got = w.toFloatArray();
                    assertArrayEquals(new float[] {(float) x[0], (float) x[1]}, got, 1e-5f, "step " + t);
                    assertArrayEquals(new float[] {0f, 0f}, w.getGradient().toFloatArray(), "gradient zeroed");
                }
                assertEquals(2, opt.stepCount());
            }
        }
    }

    @Test
    void theFusedKernelMatchesLibTorchsKernelOnLargeTensorsSplitIntoChunks() {
        long seed = 20261123L;
        try (NDManager m = Djl.engine().newBaseManager()) {
            // 700,001 values: three parallel chunks and a ragged tail; plus a small second slot.
            float[][] init = {random(700_001, seed), random(33, seed + 1)};
            float[][] grads = {random(700_001, seed + 2), random(33, seed + 3)};
            float[][] results = new float[2][];
            for (int run = 0; run < 2; run++) {
                NDArray a = m.create(init[0]);
                NDArray b = m.create(init[1]);
                a.setRequiresGradient(true);
                b.setRequiresGradient(true);
                NDArray ga = m.create(grads[0]);
                NDArray gb = m.create(grads[1]);
                try (AdamW opt = new AdamW(
                        List.of(new AdamW.Slot(a, 1.0, 0.1), new AdamW.Slot(b, 0.5, 0.0)), 0.9, 0.95, 1e-8, run == 0)) {
                    assertEquals(run == 0, opt.fused(0), "seed " + seed);
                    for (int t = 0; t < 3; t++) {
                        try (GradientCollector gc = Djl.engine().newGradientCollector()) {
                            gc.backward(a.mul(ga).sum().add(b.mul(gb).sum()));
                        }
                        opt.step(1e-2, 0.7);
                    }
                }
                float[] both = new float[init[0].length + init[1].length];
                System.arraycopy(a.toFloatArray(), 0, both, 0, init[0].length);
                System.arraycopy(b.toFloatArray(), 0, both, init[0].length, init[1].length);
                results[run] = both;
            }
            assertArrayEquals(results[1], results[0], 2e-6f, "fused vs LibTorch kernel, seed " + seed);
        }
    }

    @Test
    void aSharedSecondMomentIsRefusedWithoutTheFusedKernelAndMustComeFromAnEarlierSlot() {
        try (NDManager m = Djl.engine().newBaseManager()) {
            NDArray s = m.create(new float[] {1, 2});
            NDArray bank = m.create(new float[] {0, 0, 0, 0}, new ai.djl.ndarray.types.Shape(2, 2));
            List<AdamW.Slot> slots = List.of(new AdamW.Slot(s, 1, 0), new AdamW.Slot(bank, 1, 0, 0));
            IllegalArgumentException libtorch = org.junit.jupiter.api.Assertions.assertThrows(
                    IllegalArgumentException.class, () -> new AdamW(slots, 0.9, 0.95, 1e-8, false).close());
            assertTrue(libtorch.getMessage().contains("shared second moment needs the fused"), libtorch.getMessage());
            IllegalArgumentException later = org.junit.jupiter.api.Assertions.assertThrows(
                    IllegalArgumentException.class,
                    () -> new AdamW(List.of(new AdamW.Slot(bank, 1, 0, 1), new AdamW.Slot(s, 1, 0)), 0.9, 0.95, 1e-8)
                            .close());
            assertTrue(later.getMessage().contains("earlier slot"), later.getMessage());
            // Fused: accepted, and closing frees the shared moment once (no double close).
            new AdamW(slots, 0.9, 0.95, 1e-8).close();
        }
    }

    private static float[] random(int n, long seed) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return x;
    }
}
