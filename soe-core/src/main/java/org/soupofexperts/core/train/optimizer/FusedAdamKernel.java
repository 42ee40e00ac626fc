package org.soupofexperts.core.train.optimizer;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.ShortBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;
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
    private static final int TILE = 4096;

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

    /**
     * A moment array's memory: float32, or bfloat16 (half the bytes). bfloat16 keeps 8 bits of
     * mantissa, so {@code v = 0.999 v + 0.001 g^2} rounded to nearest would mostly give v back
     * (a relative change of 1e-3 is below half a unit in the last place, 2e-3): the moment would
     * stop decaying. Values are therefore written with stochastic rounding, unbiased in
     * expectation, from a hash of the element's index and a per-step seed, so that a run is
     * reproducible whatever the threads' split of the work.
     */
    public sealed interface Moments permits F32Moments, Bf16Moments {

        /** Float32 moments over this buffer. */
        static Moments of(FloatBuffer b) {
            return new F32Moments(b);
        }

        /** Bfloat16 moments over this buffer (the upper halves of float32 values). */
        static Moments bfloat16(ShortBuffer b, int seed) {
            return new Bf16Moments(b, seed);
        }

        int capacity();

        /** These moments with a new rounding seed (the same for float32). */
        Moments reseeded(int seed);

        /** Reads len values from off into dst. */
        void get(int off, float[] dst, int len, Scratch scratch);

        /** Writes len values of src at off. */
        void put(int off, float[] src, int len, Scratch scratch);
    }

    record F32Moments(FloatBuffer b) implements Moments {
        @Override
        public int capacity() {
            return b.capacity();
        }

        @Override
        public Moments reseeded(int seed) {
            return this;
        }

        @Override
        public void get(int off, float[] dst, int len, Scratch scratch) {
            b.get(off, dst, 0, len);
        }

        @Override
        public void put(int off, float[] src, int len, Scratch scratch) {
            b.put(off, src, 0, len);
        }
    }

    /**
     * A tile's worth of scratch for the bfloat16 conversions. Float bits are moved between int[]
     * and float[] through int and float views of one heap buffer (two bulk copies) rather than
     * by {@code Float.intBitsToFloat} per element, which C2 on Java 17 does not vectorise.
     */
    static final class Scratch {
        final short[] shorts = new short[TILE];
        final int[] ints = new int[TILE];
        private final ByteBuffer bytes = ByteBuffer.allocate(4 * TILE).order(ByteOrder.nativeOrder());
        final IntBuffer asInts = bytes.asIntBuffer();
        final FloatBuffer asFloats = bytes.asFloatBuffer();
    }

    /**
     * The 16-bit random numbers of stochastic rounding: a fixed table, read from a start that a
     * hash of the tile's offset and the step's seed picks, so that one element meets other
     * entries from step to step. Every 4th of the 65,536 values appears once (with a random
     * offset below 4), shuffled: the table's mean is the uniform distribution's to within 2 in
     * 65,536, so the rounding is unbiased to 3e-5 of a last place. A per-element hash cost 2 ns
     * per value, 4x the table (C2 on Java 17 vectorises neither).
     */
    private static final int[] ROUNDING = new int[1 << 14];

    private static final int HASH_MULTIPLIER = 0x9E3779B9;

    static {
        SplittableRandom r = new SplittableRandom(0x5EED_B16L);
        for (int i = 0; i < ROUNDING.length; i++) {
            ROUNDING[i] = 4 * i + r.nextInt(4);
        }
        for (int i = ROUNDING.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = ROUNDING[i];
            ROUNDING[i] = ROUNDING[j];
            ROUNDING[j] = t;
        }
    }

    /** Where in {@link #ROUNDING} a tile at element {@code off} starts, for this seed. */
    private static int roundingStart(int off, int seed) {
        return Integer.remainderUnsigned(mix(off * HASH_MULTIPLIER + seed), ROUNDING.length - TILE + 1);
    }

    /** @param seed mixed into every rounding decision; a new one each step. */
    record Bf16Moments(ShortBuffer b, int seed) implements Moments {
        @Override
        public int capacity() {
            return b.capacity();
        }

        @Override
        public Moments reseeded(int newSeed) {
            return new Bf16Moments(b, newSeed);
        }

        @Override
        public void get(int off, float[] dst, int len, Scratch s) {
            b.get(off, s.shorts, 0, len);
            short[] in = s.shorts;
            int[] bits = s.ints;
            for (int k = 0; k < len; k++) {
                bits[k] = in[k] << 16;
            }
            s.asInts.put(0, bits, 0, len);
            s.asFloats.get(0, dst, 0, len);
        }

        @Override
        public void put(int off, float[] src, int len, Scratch s) {
            s.asFloats.put(0, src, 0, len);
            s.asInts.get(0, s.ints, 0, len);
            int[] bits = s.ints;
            short[] out = s.shorts;
            int from = roundingStart(off, seed);
            for (int k = 0; k < len; k++) {
                out[k] = (short) ((bits[k] + ROUNDING[from + k]) >>> 16);
            }
            b.put(off, out, 0, len);
        }
    }

    /** The murmur3 finaliser: every input bit reaches the low 16 bits used for rounding. */
    private static int mix(int h) {
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        h *= 0xC2B2AE35;
        return h ^ (h >>> 16);
    }

    /**
     * x rounded to bfloat16 up or down in magnitude, up with probability equal to the dropped
     * fraction: a 16-bit random number is added to the 16 bits that are dropped. What {@link
     * Bf16Moments} writes for element {@code off + k} of a tile at {@code off}, one value at a
     * time. Infinities and the engine's NaNs stay what they are; a NaN whose payload is all ones
     * could carry into the sign, but the weight updated from that moment is already NaN and the
     * run stops on it.
     */
    static short stochasticBf16(float x, int off, int k, int seed) {
        int bits = Float.floatToRawIntBits(x);
        return (short) ((bits + ROUNDING[roundingStart(off, seed) + k]) >>> 16);
    }

    /** Hyperparameters of one update, folded into the constants the loop uses. */
    private record Step(float decay, float rateCorr, float b1, float b2, float c1, float c2, float eps) {
        Step(float rate, float rateCorr, float wd, float b1, float b2, float eps) {
            this(1f - rate * wd, rateCorr, b1, b2, 1f - b1, 1f - b2, eps);
        }
    }

    /**
     * Small heap tiles: a tile of each tensor is copied in by a bulk get (a memory copy), updated
     * by a plain loop over float arrays, which the JIT compiles to SIMD instructions, and copied
     * back. Element-wise get/put on the direct buffers is not vectorised and was the bottleneck.
     */
    private static final class Tiles {
        final float[] w = new float[TILE];
        final float[] g = new float[TILE];
        final float[] m = new float[TILE];
        final float[] v = new float[TILE];
        final float[] zeros = new float[TILE];
        final Scratch scratch = new Scratch();

        /**
         * Updates [off, off + len) of w and m with the gradient tile g times gradScale, the second
         * moment read at [vOff, vOff + len) of v and written back only when {@code writeV}.
         */
        void apply(
                FloatBuffer wb,
                Moments mb,
                Moments vb,
                int off,
                int vOff,
                boolean writeV,
                int len,
                float gradScale,
                Step s) {
            wb.get(off, w, 0, len);
            mb.get(off, m, len, scratch);
            vb.get(vOff, v, len, scratch);
            float b1 = s.b1();
            float b2 = s.b2();
            float c1 = s.c1();
            float c2 = s.c2();
            float decay = s.decay();
            float rc = s.rateCorr();
            float eps = s.eps();
            if (writeV) {
                for (int k = 0; k < len; k++) {
                    float gi = g[k] * gradScale;
                    float mi = b1 * m[k] + c1 * gi;
                    float vi = b2 * v[k] + c2 * gi * gi;
                    m[k] = mi;
                    v[k] = vi;
                    w[k] = w[k] * decay - rc * mi / ((float) Math.sqrt(vi) + eps);
                }
                vb.put(vOff, v, len, scratch);
            } else {
                for (int k = 0; k < len; k++) {
                    float mi = b1 * m[k] + c1 * (g[k] * gradScale);
                    m[k] = mi;
                    w[k] = w[k] * decay - rc * mi / ((float) Math.sqrt(v[k]) + eps);
                }
            }
            wb.put(off, w, 0, len);
            mb.put(off, m, len, scratch);
        }
    }
}
