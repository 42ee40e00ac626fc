package org.soupofexperts.core.train;

import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * The closed-form step's reductions of one tensor in one pass over its m groups' gradients G_g
 * (and its dense bank E): dS = sum_g G_g, |dS|^2, the Gram matrix M_gq = &lt;G_g, G_q&gt; (for the
 * exact clipping norm) and dalpha_gj = &lt;G_g, E_j&gt; (for the router). Through the engine these
 * are a sum, a norm and two products of m x P by P x (n or m): four reads of the m x P gradients
 * and one of the bank. Here each chunk of the m gradients and the n experts is copied once from
 * the tensors' memory (direct buffers, CPU float32) into heap rows that stay in cache, and every
 * reduction is formed from them by {@link BankLoops}.
 *
 * <p>The work is split into chunks of a fixed size and the chunks' sums are added in chunk order.
 * Thread-safe (per-thread scratch rows).
 */
final class BankGradientKernel {

    /** Positions per chunk: m + n rows of it (256 KiB at m = n = 16) stay in the L2 cache. */
    private static final int CHUNK = 2048;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private BankGradientKernel() {}

    /**
     * The reductions of one tensor.
     *
     * @param dAlpha m x n, row-major: dalpha_gj = &lt;G_g, E_j&gt; (empty without a bank)
     * @param gram m x m, row-major: &lt;G_g, G_q&gt;
     * @param sharedSq |sum_g G_g|^2
     */
    record Sums(double[] dAlpha, double[] gram, double sharedSq) {}

    /**
     * Reads G (m x P, row g for group g) and E (n x P, or null for a tensor whose experts are not
     * dense), writes dS = sum_g G_g into {@code ds} (P values; null to skip, as with one group,
     * where dS is G itself) and returns the sums.
     */
    static Sums pass(FloatBuffer g, int groups, FloatBuffer e, int experts, FloatBuffer ds, BankLoops loops) {
        if (groups < 1 || g.capacity() % groups != 0) {
            throw new IllegalArgumentException(g.capacity() + " gradient values are not " + groups + " groups");
        }
        int p = g.capacity() / groups;
        int n = e == null ? 0 : experts;
        if ((e != null && (long) experts * p != e.capacity()) || (ds != null && ds.capacity() != p)) {
            throw new IllegalArgumentException("bank of " + (e == null ? 0 : e.capacity()) + " values or dS of "
                    + (ds == null ? 0 : ds.capacity()) + " does not match " + groups + " x " + p + " gradients");
        }
        int chunks = (p + CHUNK - 1) / CHUNK;
        double[][] partial = new double[chunks][];
        // On the calling thread: measured inside a training step, two threads were slower than one
        // (10 ms against 12 ms for all tensors of the 0.84M base at m = n = 16, Vector API loops).
        for (int c = 0; c < chunks; c++) {
            partial[c] = chunk(g, groups, p, e, n, ds, c * CHUNK, Math.min(p, c * CHUNK + CHUNK), loops);
        }
        // One array per chunk: m n dalpha, then m m Gram (upper triangle), then |dS|^2; added in chunk order.
        double[] total = new double[groups * n + groups * groups + 1];
        for (double[] part : partial) {
            for (int i = 0; i < total.length; i++) {
                total[i] += part[i];
            }
        }
        double[] gram = Arrays.copyOfRange(total, groups * n, groups * n + groups * groups);
        for (int a = 0; a < groups; a++) {
            for (int b = 0; b < a; b++) {
                gram[a * groups + b] = gram[b * groups + a];
            }
        }
        return new Sums(Arrays.copyOf(total, groups * n), gram, total[total.length - 1]);
    }

    /** One chunk [from, to) of the P positions; returns its partial sums (see {@link #pass}). */
    private static double[] chunk(
            FloatBuffer g, int groups, int p, FloatBuffer e, int n, FloatBuffer ds, int from, int to, BankLoops loops) {
        int len = to - from;
        Scratch s = SCRATCH.get().fit(groups, n);
        for (int q = 0; q < groups; q++) {
            g.get(q * p + from, s.g[q], 0, len);
        }
        for (int j = 0; j < n; j++) {
            e.get(j * p + from, s.e[j], 0, len);
        }
        double[] dAlpha = new double[groups * n];
        double[] gram = new double[groups * groups];
        double[] sq = new double[1];
        loops.products(s.g, groups, s.g, groups, len, gram, true);
        loops.products(s.g, groups, s.e, n, len, dAlpha, false);
        float[][] sum = {s.g[0]};
        if (groups > 1) {
            float[] st = s.sum;
            System.arraycopy(s.g[0], 0, st, 0, len);
            for (int q = 1; q < groups; q++) {
                float[] x = s.g[q];
                for (int k = 0; k < len; k++) {
                    st[k] += x[k];
                }
            }
            sum[0] = st;
            if (ds != null) {
                ds.put(from, st, 0, len);
            }
        }
        loops.products(sum, 1, sum, 1, len, sq, true);
        double[] out = new double[groups * n + groups * groups + 1];
        System.arraycopy(dAlpha, 0, out, 0, dAlpha.length);
        System.arraycopy(gram, 0, out, dAlpha.length, gram.length);
        out[out.length - 1] = sq[0];
        return out;
    }

    /** Per-thread rows of one chunk, reused from call to call (a step makes hundreds of chunks). */
    private static final class Scratch {
        float[][] g = new float[0][];
        float[][] e = new float[0][];
        final float[] sum = new float[CHUNK];

        Scratch fit(int groups, int experts) {
            if (g.length < groups) {
                g = new float[groups][CHUNK];
            }
            if (e.length < experts) {
                e = new float[experts][CHUNK];
            }
            return this;
        }
    }
}
