package org.soupofexperts.core.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.stream.IntStream;

/**
 * The AdamW update of {@link AdamW} in one pass over memory: for each element it reads w, g, m,
 * v once and writes w, m, v and a zeroed g once. LibTorch's own Adam kernel (through DJL) clones
 * the gradient and builds several full-size temporaries, about 25 passes over the tensor, which
 * for an expert bank of n x P values dominated the soup's step. The loop runs on the tensors'
 * memory through direct buffers (CPU float32 only), split into chunks over the common pool.
 */
final class FusedAdamKernel {

    /** Elements per parallel chunk: large enough to amortise the task, small enough to balance. */
    private static final int CHUNK = 1 << 18;

    private FusedAdamKernel() {}

    /**
     * Whether arrays like this one can be updated here: float32 on the CPU, with a direct buffer
     * that is the tensor's own memory (checked by writing through it and reading back).
     */
    static boolean supports(NDArray probe) {
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
            try (ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope()) {
                scope.suppressNotUsedWarning();
                aliased = probe.reshape(-1).get(0).getFloat() == marker;
            }
            b.put(0, before);
            return aliased;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** The array's memory as floats, or null if the engine gives no direct view of it. */
    static FloatBuffer buffer(NDArray a) {
        java.nio.ByteBuffer bb = a.toByteBuffer(true);
        if (!bb.isDirect()) {
            return null;
        }
        return bb.order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    /**
     * w -= rate*wd*w; m = b1 m + (1-b1) g'; v = b2 v + (1-b2) g'^2; w -= rateCorr m/(sqrt v + eps);
     * g = 0; with g' = gradScale * g.
     */
    static void update(FloatBuffer w, FloatBuffer g, FloatBuffer m, FloatBuffer v, float rate, float rateCorr, float wd,
            float gradScale, float b1, float b2, float eps) {
        update(w, g, m, v, rate, rateCorr, wd, gradScale, b1, b2, eps, true);
    }

    /** The update; {@code zeroGrad} false leaves g as it is (a gradient that other slots still read). */
    static void update(FloatBuffer w, FloatBuffer g, FloatBuffer m, FloatBuffer v, float rate, float rateCorr, float wd,
            float gradScale, float b1, float b2, float eps, boolean zeroGrad) {
        int n = w.capacity();
        float decay = 1f - rate * wd;
        float c1 = 1f - b1;
        float c2 = 1f - b2;
        int chunks = (n + CHUNK - 1) / CHUNK;
        IntStream range = IntStream.range(0, chunks);
        (chunks > 1 ? range.parallel() : range).forEach(c -> {
            int from = c * CHUNK;
            int to = Math.min(n, from + CHUNK);
            for (int i = from; i < to; i++) {
                float gi = g.get(i) * gradScale;
                float mi = b1 * m.get(i) + c1 * gi;
                float vi = b2 * v.get(i) + c2 * gi * gi;
                m.put(i, mi);
                v.put(i, vi);
                w.put(i, w.get(i) * decay - rateCorr * mi / ((float) Math.sqrt(vi) + eps));
                if (zeroGrad) {
                    g.put(i, 0f);
                }
            }
        });
    }

    /**
     * The same update for an expert bank of shape (n, P) whose gradient is alpha_j * G for expert
     * j: G (P values) is read instead of an n x P gradient, which is never built.
     */
    static void updateBank(FloatBuffer w, FloatBuffer g, float[] alpha, FloatBuffer m, FloatBuffer v, float rate,
            float rateCorr, float wd, float gradScale, float b1, float b2, float eps) {
        int p = g.capacity();
        int n = alpha.length;
        if ((long) n * p != w.capacity()) {
            throw new IllegalArgumentException("bank of " + w.capacity() + " values is not " + n + " x " + p);
        }
        float decay = 1f - rate * wd;
        float c1 = 1f - b1;
        float c2 = 1f - b2;
        int total = w.capacity();
        int chunks = (total + CHUNK - 1) / CHUNK;
        IntStream range = IntStream.range(0, chunks);
        (chunks > 1 ? range.parallel() : range).forEach(c -> {
            int from = c * CHUNK;
            int to = Math.min(total, from + CHUNK);
            int j = from / p;
            int i = from - j * p;
            float aj = alpha[j] * gradScale;
            for (int idx = from; idx < to; idx++) {
                float gi = aj * g.get(i);
                float mi = b1 * m.get(idx) + c1 * gi;
                float vi = b2 * v.get(idx) + c2 * gi * gi;
                m.put(idx, mi);
                v.put(idx, vi);
                w.put(idx, w.get(idx) * decay - rateCorr * mi / ((float) Math.sqrt(vi) + eps));
                if (++i == p && idx + 1 < to) {
                    i = 0;
                    j++;
                    aj = alpha[j] * gradScale;
                }
            }
        });
    }
}
