package org.soupofexperts.core.train;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The inner loops of the soup's Java bank kernels: dot products of rows of two small matrices
 * held in heap arrays. Two implementations compute the same sums to float rounding: plain Java
 * (the default), and the Vector API ({@code jdk.incubator.vector}), register-blocked, used when
 * the application has added that module to the JVM ({@code --add-modules jdk.incubator.vector});
 * the library itself never requires the flag. Implementations are stateless and thread-safe.
 */
interface BankLoops {

    /**
     * out[i nb + j] += &lt;a[i][0, len), b[j][0, len)&gt; for i below na and j below nb; with
     * {@code upper} (a and b the same rows) only j &gt;= i.
     */
    void products(float[][] a, int na, float[][] b, int nb, int len, double[] out, boolean upper);

    /**
     * out[e][k] = sum_q alpha[q n + j0 + e] g[q][k] for e below count and k below len: the
     * gradients of experts j0 .. j0 + count - 1 from the m groups' gradient tiles.
     */
    void combine(float[][] g, int groups, float[] alpha, int n, int j0, int count, int len, float[][] out);

    /** What the loops are, for logs and benchmark tables. */
    String describe();

    /** The Vector API loops when the JVM has the module, plain Java otherwise; chosen once. */
    static BankLoops best() {
        return Holder.BEST;
    }

    /** The plain Java loops, always available. */
    static BankLoops plain() {
        return PlainBankLoops.INSTANCE;
    }

    /** Lazily chosen so that a JVM without the module never loads the Vector API loops. */
    final class Holder {
        private static final Logger LOG = LoggerFactory.getLogger(BankLoops.class);
        static final BankLoops BEST = choose();

        private Holder() {}

        private static BankLoops choose() {
            if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
                return plain();
            }
            try {
                BankLoops v = (BankLoops) Class.forName(BankLoops.class.getPackageName() + ".VectorBankLoops")
                        .getDeclaredConstructor()
                        .newInstance();
                LOG.info("bank kernels use the Vector API: {}", v.describe());
                return v;
            } catch (ReflectiveOperationException | LinkageError | ClassCastException e) {
                LOG.warn(
                        "jdk.incubator.vector is present but its loops failed to load ({}); using plain Java",
                        e.toString());
                return plain();
            }
        }
    }
}
