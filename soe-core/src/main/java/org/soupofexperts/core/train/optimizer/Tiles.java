package org.soupofexperts.core.train.optimizer;

import java.nio.FloatBuffer;

/**
 * Small heap tiles: a tile of each tensor is copied in by a bulk get (a memory copy), updated
 * by a plain loop over float arrays, which the JIT compiles to SIMD instructions, and copied
 * back. Element-wise get/put on the direct buffers is not vectorised and was the bottleneck.
 */
final class Tiles {
    final float[] w = new float[FusedAdamKernel.TILE];
    final float[] g = new float[FusedAdamKernel.TILE];
    final float[] m = new float[FusedAdamKernel.TILE];
    final float[] v = new float[FusedAdamKernel.TILE];
    final float[] zeros = new float[FusedAdamKernel.TILE];
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
            FusedAdamKernel.Step s) {
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
