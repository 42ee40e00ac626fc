package org.soupofexperts.core.train.optimizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assertions;
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
            NDArray bank = m.create(new float[] {0, 0, 0, 0}, new Shape(2, 2));
            List<AdamW.Slot> slots = List.of(new AdamW.Slot(s, 1, 0), new AdamW.Slot(bank, 1, 0, 0));
            IllegalArgumentException libtorch = Assertions.assertThrows(
                    IllegalArgumentException.class, () -> new AdamW(slots, 0.9, 0.95, 1e-8, false).close());
            assertTrue(libtorch.getMessage().contains("shared second moment needs the fused"), libtorch.getMessage());
            IllegalArgumentException later = Assertions.assertThrows(
                    IllegalArgumentException.class,
                    () -> new AdamW(List.of(new AdamW.Slot(bank, 1, 0, 1), new AdamW.Slot(s, 1, 0)), 0.9, 0.95, 1e-8)
                            .close());
            assertTrue(later.getMessage().contains("earlier slot"), later.getMessage());
            // Fused: accepted, and closing frees the shared moment once (no double close).
            new AdamW(slots, 0.9, 0.95, 1e-8).close();
        }
    }

    @Test
    void bfloat16MomentsTakeHalfTheBytesAndFollowTheFloat32Update() {
        long seed = 20261206L;
        try (NDManager m = Djl.engine().newBaseManager()) {
            // A bank of 4 x 50,001 values: chunks, tiles and a ragged tail.
            float[] init = random(200_004, seed);
            float[][] grads = new float[20][];
            for (int t = 0; t < grads.length; t++) {
                grads[t] = random(init.length, seed + 1 + t);
            }
            float[][] after = new float[2][];
            for (int run = 0; run < 2; run++) {
                NDArray w = m.create(init, new Shape(4, 50_001));
                w.setRequiresGradient(true);
                boolean half = run == 1;
                try (AdamW opt = new AdamW(List.of(new AdamW.Slot(w, 1.0, 0.1, -1, half)), 0.9, 0.999, 1e-8)) {
                    assertTrue(opt.fused(0));
                    List<NDArray> state = opt.stateArrays();
                    assertEquals(
                            half ? AdamW.BFLOAT16_CARRIER : DataType.FLOAT32,
                            state.get(0).getDataType());
                    assertEquals(
                            half ? AdamW.BFLOAT16_CARRIER : DataType.FLOAT32,
                            state.get(1).getDataType());
                    assertEquals(
                            (half ? 2L : 4L) * init.length,
                            state.get(0).toByteBuffer().capacity());
                    for (float[] g : grads) {
                        try (GradientCollector gc = Djl.engine().newGradientCollector()) {
                            gc.backward(w.mul(m.create(g, w.getShape())).sum());
                        }
                        opt.step(1e-2, 1.0);
                    }
                }
                after[run] = w.toFloatArray();
            }
            // Each step moves a weight by about lr = 1e-2 (20 steps: up to 0.2); the moments'
            // rounding (8 mantissa bits) may change a step by about 1%.
            double worst = 0;
            for (int i = 0; i < init.length; i++) {
                worst = Math.max(worst, Math.abs(after[1][i] - after[0][i]));
            }
            assertTrue(worst < 4e-3, "largest difference " + worst + ", seed " + seed);
            assertTrue(worst > 0, "bfloat16 moments must differ from float32 somewhere, seed " + seed);
        }
    }

    @Test
    void stochasticRoundingToBfloat16IsUnbiasedSoASecondMomentStillDecays() {
        assertEquals((short) 0x3f80, Bf16Moments.stochasticBf16(1f, 0, 7, 11), "1 is exact in bfloat16");
        assertEquals((short) 0xbf80, Bf16Moments.stochasticBf16(-1f, 0, 7, 11), "-1 is exact in bfloat16");
        assertTrue(Float.isNaN(Float.intBitsToFloat(Bf16Moments.stochasticBf16(Float.NaN, 0, 3, 5) << 16)));
        // A quarter of the way from 1 to the next bfloat16 (1 + 2^-7): up a quarter of the time.
        float x = 1f + 0x1p-9f;
        double sum = 0;
        int n = 200_000;
        for (int i = 0; i < n; i++) {
            // Tiles at every offset, as the kernel's, each with its own seed.
            sum += Float.intBitsToFloat(Bf16Moments.stochasticBf16(x, 4096 * i, i % 4096, 42 + i) << 16);
        }
        assertEquals(x, sum / n, 2e-5, "mean of stochastically rounded values");
        // v = 0.999 v with no gradient: rounded to nearest, 0.999 rounds back to 1 and v never
        // decays; stochastic rounding follows 0.999^t on average.
        int p = 8192;
        ShortBuffer v =
                ByteBuffer.allocateDirect(2 * p).order(ByteOrder.nativeOrder()).asShortBuffer();
        ShortBuffer mom =
                ByteBuffer.allocateDirect(2 * p).order(ByteOrder.nativeOrder()).asShortBuffer();
        for (int i = 0; i < p; i++) {
            v.put(i, (short) 0x3f80);
        }
        FloatBuffer w = FloatBuffer.allocate(p);
        FloatBuffer g = FloatBuffer.allocate(p);
        int steps = 300;
        for (int t = 0; t < steps; t++) {
            FusedAdamKernel.update(
                    w,
                    g,
                    Moments.bfloat16(mom, 2 * t),
                    Moments.bfloat16(v, 2 * t + 1),
                    0f,
                    0f,
                    0f,
                    1f,
                    0.9f,
                    0.999f,
                    1e-8f,
                    true);
        }
        double mean = 0;
        for (int i = 0; i < p; i++) {
            mean += Float.intBitsToFloat(v.get(i) << 16);
        }
        mean /= p;
        assertEquals(Math.pow(0.999, steps), mean, 2e-3, "mean second moment after " + steps + " decays");
    }

    private static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return x;
    }
}
