package org.soupofexperts.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The one-pass bank reductions against their definitions. */
class BankGradientKernelTest {

    private static FloatBuffer direct(float[] v) {
        FloatBuffer b = ByteBuffer.allocateDirect(4 * v.length)
                .order(ByteOrder.nativeOrder())
                .asFloatBuffer();
        b.put(0, v);
        return b;
    }

    @Test
    void twoGroupsAndTwoExpertsOfThreeValuesGiveTheSumsWorkedByHand() {
        // G_0 = (1, 2, 3), G_1 = (0, 1, -1); E_0 = (1, 0, 0), E_1 = (1, 1, 1).
        FloatBuffer g = direct(new float[] {1, 2, 3, 0, 1, -1});
        FloatBuffer e = direct(new float[] {1, 0, 0, 1, 1, 1});
        FloatBuffer ds = direct(new float[3]);
        BankGradientKernel.Sums s = BankGradientKernel.pass(g, 2, e, 2, ds, BankLoops.plain());
        float[] dsv = new float[3];
        ds.get(0, dsv);
        assertArrayEquals(new float[] {1, 3, 2}, dsv);
        assertEquals(1 + 9 + 4, s.sharedSq(), 0);
        // dalpha_gj = <G_g, E_j>: row 0 (1, 6), row 1 (0, 0).
        assertArrayEquals(new double[] {1, 6, 0, 0}, s.dAlpha(), 0);
        // Gram: <G0,G0> = 14, <G0,G1> = -1, <G1,G1> = 2.
        assertArrayEquals(new double[] {14, -1, -1, 2}, s.gram(), 0);
    }

    @Test
    void theTestJvmHasTheVectorApiSoBothLoopsAreTested() {
        // surefire adds jdk.incubator.vector (soe-core's pom): without it best() is the plain loops.
        assertTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent());
        assertNotSame(BankLoops.plain(), BankLoops.best(), BankLoops.best().describe());
        assertTrue(SoupTrainingConfig.BankKernels.AUTO.java());
    }

    @Test
    void largeTensorsAcrossChunkAndTileEdgesMatchADoublePrecisionReferenceWithEitherLoops() {
        for (BankLoops loops : new BankLoops[] {BankLoops.plain(), BankLoops.best()}) {
            checkAgainstReference(loops);
        }
    }

    private static void checkAgainstReference(BankLoops loops) {
        long seed = 20261206L;
        SplittableRandom rng = new SplittableRandom(seed);
        // P spans several parallel chunks and ends off the lane and tile boundaries.
        for (int[] mnp : new int[][] {{1, 4, 5}, {3, 5, 40_001}, {16, 16, 70_007}, {6, 3, 2_049}}) {
            int m = mnp[0];
            int n = mnp[1];
            int p = mnp[2];
            float[] g = new float[m * p];
            float[] e = new float[n * p];
            for (int i = 0; i < g.length; i++) {
                g[i] = (float) rng.nextGaussian();
            }
            for (int i = 0; i < e.length; i++) {
                e[i] = (float) rng.nextGaussian();
            }
            FloatBuffer ds = m > 1 ? direct(new float[p]) : null;
            BankGradientKernel.Sums s = BankGradientKernel.pass(direct(g), m, direct(e), n, ds, loops);
            double[] sum = new double[p];
            for (int q = 0; q < m; q++) {
                for (int i = 0; i < p; i++) {
                    sum[i] += g[q * p + i];
                }
            }
            double sq = 0;
            for (int i = 0; i < p; i++) {
                sq += sum[i] * sum[i];
                if (ds != null) {
                    assertEquals(sum[i], ds.get(i), 1e-5, "dS at " + i + " (seed " + seed + ")");
                }
            }
            String what = loops.describe() + ", m=" + m + ", n=" + n + ", P=" + p + " (seed " + seed + ")";
            assertEquals(sq, s.sharedSq(), 1e-5 * sq, "|dS|^2, " + what);
            for (int a = 0; a < m; a++) {
                for (int b = 0; b < m; b++) {
                    assertEquals(dot(g, a * p, g, b * p, p), s.gram()[a * m + b], 2e-3 * Math.sqrt(p), "Gram " + what);
                }
                for (int j = 0; j < n; j++) {
                    assertEquals(dot(g, a * p, e, j * p, p), s.dAlpha()[a * n + j], 2e-3 * Math.sqrt(p), what);
                }
            }
        }
    }

    private static double dot(float[] a, int ao, float[] b, int bo, int len) {
        double s = 0;
        for (int i = 0; i < len; i++) {
            s += (double) a[ao + i] * b[bo + i];
        }
        return s;
    }

    @Test
    void aTensorWithoutADenseBankGivesOnlyTheSharedGradient() {
        FloatBuffer ds = direct(new float[2]);
        BankGradientKernel.Sums s =
                BankGradientKernel.pass(direct(new float[] {1, 2, 3, 4}), 2, null, 5, ds, BankLoops.best());
        assertEquals(0, s.dAlpha().length);
        assertEquals(4 * 4 + 6 * 6, s.sharedSq(), 0);
        assertEquals(4, ds.get(0));
    }

    @Test
    void shapesThatDoNotMatchAreRefusedByName() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> BankGradientKernel.pass(direct(new float[6]), 4, null, 0, null, BankLoops.plain()));
        assertEquals("6 gradient values are not 4 groups", e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> BankGradientKernel.pass(
                        direct(new float[6]), 2, direct(new float[5]), 2, null, BankLoops.plain()));
        assertEquals("bank of 5 values or dS of 0 does not match 2 x 3 gradients", e.getMessage());
    }
}
