package org.soupofexperts.core.train.optimizer;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.soupofexperts.core.internal.Djl;

/**
 * The AdamW update of {@link AdamW} in one pass over memory: for each element it reads w, g, m,
 * v once and writes w, m, v and a zeroed g once. LibTorch's own Adam kernel (through DJL) clones
 * the gradient and builds several full-size temporaries, about 25 passes over the tensor, which
 * for an expert bank of n x P values dominated the soup's step. The loop runs on the tensors'
 * memory through direct buffers (CPU float32 only), split into chunks over the common pool.
 */
public final class FusedAdamKernel {

    /** Elements per parallel chunk: large enough to amortise the task, small enough to balance. */
    private static final int CHUNK = 1 << 18;
    /** Elements per tile: four tiles of 16 KiB stay in the L1/L2 cache. */
    static final int TILE = 4096;

    private FusedAdamKernel() {}

    /**
     * Whether arrays like this one can be updated here: float32 on the CPU, with a direct buffer
     * that is the tensor's own memory (checked by writing through it and reading back).
     */
    public static boolean supports(NDArray probe) {
        if (probe.getDataType() != DataType.FLOAT32 || !probe.getDevice().equals(Device.cpu()) || probe.size() < 1) {
            return false;
        }
        try {
            FloatBuffer b = buffer(probe);
            if (b == null || b.capacity() != probe.size()) {
                return false;
            }
            float before = b.get(0);
            float marker = before == 12345.5f ? -12345.5f : 12345.5f;
            b.put(0, marker);
            boolean aliased;
            try (Djl.Scope scope = Djl.scope()) {
                aliased = probe.reshape(-1).get(0).getFloat() == marker;
            }
            b.put(0, before);
            return aliased;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** The array's memory as floats, or null if the engine gives no direct view of it. */
    public static FloatBuffer buffer(NDArray a) {
        ByteBuffer bb = a.toByteBuffer(true);
        if (!bb.isDirect()) {
            return null;
        }
        return bb.order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    /**
     * w -= rate*wd*w; m = b1 m + (1-b1) g'; v = b2 v + (1-b2) g'^2; w -= rateCorr m/(sqrt v + eps);
     * g = 0; with g' = gradScale * g.
     */
    public static void update(
            FloatBuffer w,
            FloatBuffer g,
            FloatBuffer m,
            FloatBuffer v,
            float rate,
            float rateCorr,
            float wd,
            float gradScale,
            float b1,
            float b2,
            float eps) {
        update(w, g, Moments.of(m), Moments.of(v), rate, rateCorr, wd, gradScale, b1, b2, eps, true);
    }

    /** The update; {@code zeroGrad} false leaves g as it is (a gradient that other slots still read). */
    public static void update(
            FloatBuffer w,
            FloatBuffer g,
            Moments m,
            Moments v,
            float rate,
            float rateCorr,
            float wd,
            float gradScale,
            float b1,
            float b2,
            float eps,
            boolean zeroGrad) {
        int n = w.capacity();
        if (m.capacity() != n || v.capacity() != n) {
            throw new IllegalArgumentException(
                    "moments of " + m.capacity() + " and " + v.capacity() + " values for " + n + " weights");
        }
        Step step = new Step(rate, rateCorr, wd, b1, b2, eps);
        int chunks = (n + CHUNK - 1) / CHUNK;
        IntStream range = IntStream.range(0, chunks);
        (chunks > 1 ? range.parallel() : range).forEach(c -> {
            Tiles t = new Tiles();
            int to = Math.min(n, c * CHUNK + CHUNK);
            for (int off = c * CHUNK; off < to; off += TILE) {
                int len = Math.min(TILE, to - off);
                g.get(off, t.g, 0, len);
                t.apply(w, m, v, off, off, true, len, gradScale, step);
                if (zeroGrad) {
                    g.put(off, t.zeros, 0, len);
                }
            }
        });
    }

    /**
     * The same update for an expert bank of shape (n, P) whose gradient is alpha_j * G for expert
     * j: G (P values) is read instead of an n x P gradient, which is never built.
     */
    public static void updateBank(
            FloatBuffer w,
            FloatBuffer g,
            float[] alpha,
            FloatBuffer m,
            FloatBuffer v,
            float rate,
            float rateCorr,
            float wd,
            float gradScale,
            float b1,
            float b2,
            float eps) {
        updateBank(
                w, g, alpha, 1, Moments.of(m), Moments.of(v), false, false, rate, rateCorr, wd, gradScale, b1, b2, eps);
    }

    /**
     * The update of an expert bank of shape (n, P) from m groups' gradients G (m x P, row g for
     * group g): expert j's gradient is {@code sum_g alpha[g n + j] G_g}, formed tile by tile and
     * never stored. With {@code sharedV} the second moment is v of the shared parameters (P
     * values, already updated this step), read and not written. With {@code skipIdle} an expert
     * whose alpha is 0 in every group is not touched (no moment decay, no weight decay).
     */
    public static void updateBank(
            FloatBuffer w,
            FloatBuffer g,
            float[] alpha,
            int groups,
            Moments m,
            Moments v,
            boolean sharedV,
            boolean skipIdle,
            float rate,
            float rateCorr,
            float wd,
            float gradScale,
            float b1,
            float b2,
            float eps) {
        int p = g.capacity() / groups;
        int n = alpha.length / groups;
        if ((long) groups * p != g.capacity()
                || (long) n * groups != alpha.length
                || (long) n * p != w.capacity()
                || m.capacity() != w.capacity()
                || (sharedV ? v.capacity() != p : v.capacity() != w.capacity())) {
            throw new IllegalArgumentException("bank of " + w.capacity() + " values is not " + n + " x " + p + " for "
                    + groups + " gradient groups of " + g.capacity() + " values");
        }
        boolean[] idle = new boolean[n];
        for (int j = 0; j < n && skipIdle; j++) {
            idle[j] = true;
            for (int q = 0; q < groups; q++) {
                idle[j] &= alpha[q * n + j] == 0f;
            }
        }
        Step step = new Step(rate, rateCorr, wd, b1, b2, eps);
        if (groups == 1) {
            updateBankOneGroup(w, g, alpha, m, v, sharedV, idle, gradScale, step);
            return;
        }
        // Position-major: each G tile is read once for all n experts (m tiles stay in cache).
        int span = Math.max(TILE, CHUNK / Math.max(1, n) / TILE * TILE);
        int chunks = (p + span - 1) / span;
        IntStream range = IntStream.range(0, chunks);
        (chunks > 1 ? range.parallel() : range).forEach(c -> {
            Tiles t = new Tiles();
            float[][] gt = new float[groups][TILE];
            int to = Math.min(p, c * span + span);
            for (int i = c * span; i < to; i += TILE) {
                int len = Math.min(TILE, to - i);
                for (int q = 0; q < groups; q++) {
                    g.get(q * p + i, gt[q], 0, len);
                }
                for (int j = 0; j < n; j++) {
                    if (idle[j]) {
                        continue;
                    }
                    combine(t.g, gt, alpha, j, n, groups, len);
                    int off = j * p + i;
                    t.apply(w, m, v, off, sharedV ? i : off, !sharedV, len, gradScale, step);
                }
            }
        });
    }

    /**
     * sum[k] = sum_q alpha[q n + j] gt[q][k] for k below len. Four groups per pass over the tile, so
     * the running sum is loaded and stored a quarter as often (the loop is memory-bound in L1).
     */
    private static void combine(float[] sum, float[][] gt, float[] alpha, int j, int n, int groups, int len) {
        Arrays.fill(sum, 0, len, 0f);
        int q = 0;
        for (; q + 4 <= groups; q += 4) {
            float a0 = alpha[q * n + j];
            float a1 = alpha[(q + 1) * n + j];
            float a2 = alpha[(q + 2) * n + j];
            float a3 = alpha[(q + 3) * n + j];
            float[] g0 = gt[q];
            float[] g1 = gt[q + 1];
            float[] g2 = gt[q + 2];
            float[] g3 = gt[q + 3];
            for (int k = 0; k < len; k++) {
                sum[k] += a0 * g0[k] + a1 * g1[k] + a2 * g2[k] + a3 * g3[k];
            }
        }
        for (; q < groups; q++) {
            float a = alpha[q * n + j];
            float[] gq = gt[q];
            for (int k = 0; k < len; k++) {
                sum[k] += a * gq[k];
            }
        }
    }

    /** One group: expert j's gradient is alpha_j G, so alpha_j folds into the gradient's scale. */
    private static void updateBankOneGroup(
            FloatBuffer w,
            FloatBuffer g,
            float[] alpha,
            Moments m,
            Moments v,
            boolean sharedV,
            boolean[] idle,
            float gradScale,
            Step step) {
        int p = g.capacity();
        int total = w.capacity();
        int chunks = (total + CHUNK - 1) / CHUNK;
        IntStream range = IntStream.range(0, chunks);
        (chunks > 1 ? range.parallel() : range).forEach(c -> {
            Tiles t = new Tiles();
            int to = Math.min(total, c * CHUNK + CHUNK);
            for (int off = c * CHUNK; off < to; ) {
                int j = off / p;
                int i = off - j * p;
                // A tile never crosses into the next expert's row, so one alpha_j scales it.
                int len = Math.min(TILE, Math.min(to - off, p - i));
                if (!idle[j]) {
                    g.get(i, t.g, 0, len);
                    t.apply(w, m, v, off, sharedV ? i : off, !sharedV, len, alpha[j] * gradScale, step);
                }
                off += len;
            }
        });
    }

    /** Hyperparameters of one update, folded into the constants the loop uses. */
    record Step(float decay, float rateCorr, float b1, float b2, float c1, float c2, float eps) {
        Step(float rate, float rateCorr, float wd, float b1, float b2, float eps) {
            this(1f - rate * wd, rateCorr, b1, b2, 1f - b1, 1f - b2, eps);
        }
    }
}
