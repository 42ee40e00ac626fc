package org.soupofexperts.core.train;

import java.util.Arrays;

/**
 * {@link BankLoops} in plain Java. A dot product is kept as one partial sum per position of a
 * short tile, {@code acc[k] += x[k] y[k]} with the rows' tiles copied to the start of small
 * arrays, and reduced once per call: that form vectorises (about 10 GFMA/s per core on this
 * project's machine). A single running sum does not, since float addition must keep its order,
 * and neither do several rows per pass or inputs at an offset from the partial sums, which the
 * JIT cannot prove apart (about 2-3 GFMA/s). LibTorch's products are faster than this, so the
 * library uses these loops only when asked to ({@link SoupTrainingConfig.BankKernels#JAVA}).
 */
final class PlainBankLoops implements BankLoops {

    static final PlainBankLoops INSTANCE = new PlainBankLoops();
    private static final int TILE = 256;

    private PlainBankLoops() {}

    @Override
    public void products(float[][] a, int na, float[][] b, int nb, int len, double[] out, boolean upper) {
        int tile = Math.max(1, Math.min(TILE, len));
        float[][] ta = new float[na][tile];
        float[][] tb = upper ? ta : new float[nb][tile];
        float[][] acc = new float[na * nb][];
        for (int k0 = 0; k0 < len; k0 += tile) {
            int l = Math.min(tile, len - k0);
            for (int i = 0; i < na; i++) {
                System.arraycopy(a[i], k0, ta[i], 0, l);
            }
            for (int j = 0; j < nb && !upper; j++) {
                System.arraycopy(b[j], k0, tb[j], 0, l);
            }
            for (int i = 0; i < na; i++) {
                for (int j = upper ? i : 0; j < nb; j++) {
                    float[] s = acc[i * nb + j] == null ? (acc[i * nb + j] = new float[tile]) : acc[i * nb + j];
                    float[] x = ta[i];
                    float[] y = tb[j];
                    for (int k = 0; k < l; k++) {
                        s[k] += x[k] * y[k];
                    }
                }
            }
        }
        for (int p = 0; p < acc.length; p++) {
            if (acc[p] != null) {
                double s = 0;
                for (float v : acc[p]) {
                    s += v;
                }
                out[p] += s;
            }
        }
    }

    /**
     * One expert at a time, four groups per pass over the tile, so the running sum is loaded and
     * stored a quarter as often (the loop is bound by the L1 cache's loads and stores).
     */
    @Override
    public void combine(float[][] g, int groups, float[] alpha, int n, int j0, int count, int len, float[][] out) {
        for (int e = 0; e < count; e++) {
            int j = j0 + e;
            float[] sum = out[e];
            Arrays.fill(sum, 0, len, 0f);
            int q = 0;
            for (; q + 4 <= groups; q += 4) {
                float a0 = alpha[q * n + j];
                float a1 = alpha[(q + 1) * n + j];
                float a2 = alpha[(q + 2) * n + j];
                float a3 = alpha[(q + 3) * n + j];
                float[] g0 = g[q];
                float[] g1 = g[q + 1];
                float[] g2 = g[q + 2];
                float[] g3 = g[q + 3];
                for (int k = 0; k < len; k++) {
                    sum[k] += a0 * g0[k] + a1 * g1[k] + a2 * g2[k] + a3 * g3[k];
                }
            }
            for (; q < groups; q++) {
                float a = alpha[q * n + j];
                float[] gq = g[q];
                for (int k = 0; k < len; k++) {
                    sum[k] += a * gq[k];
                }
            }
        }
    }

    @Override
    public String describe() {
        return "plain Java";
    }
}
