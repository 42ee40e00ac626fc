package org.soupofexperts.core.config;

import java.util.Arrays;

/**
 * Validation of domain weights h: a point on the probability simplex over k domains.
 * Stateless and thread-safe.
 */
public final class DomainWeights {

    /** How far the sum of h may be from 1 before it is rejected. */
    public static final double SUM_TOLERANCE = 1e-4;

    private DomainWeights() {}

    /**
     * Checks h and returns a renormalised copy (divided by its sum, so it sums to 1 to double
     * precision). Rejects, naming the problem: a null h, a length other than k, NaN or infinite
     * entries, negative entries, and a sum further than {@link #SUM_TOLERANCE} from 1.
     */
    public static double[] validate(double[] h, int k) {
        if (h == null) {
            throw new IllegalArgumentException("domain weights h must not be null");
        }
        if (h.length != k) {
            throw new IllegalArgumentException(
                    "domain weights h have length " + h.length + " but the soup has k=" + k + " domains");
        }
        double sum = 0;
        for (int i = 0; i < h.length; i++) {
            double v = h[i];
            if (Double.isNaN(v) || Double.isInfinite(v)) {
                throw new IllegalArgumentException(
                        "domain weights h[" + i + "] is " + v + "; every weight must be finite");
            }
            if (v < 0) {
                throw new IllegalArgumentException(
                        "domain weights h[" + i + "] is negative (" + v + "); weights must be >= 0");
            }
            sum += v;
        }
        if (Math.abs(sum - 1.0) > SUM_TOLERANCE) {
            throw new IllegalArgumentException("domain weights h sum to " + sum + ", not 1 (tolerance " + SUM_TOLERANCE
                    + "); normalise them first");
        }
        double[] out = new double[k];
        for (int i = 0; i < k; i++) {
            out[i] = h[i] / sum;
        }
        return out;
    }

    /** The one-hot vector for domain {@code i} of {@code k}. */
    public static double[] oneHot(int k, int i) {
        if (i < 0 || i >= k) {
            throw new IllegalArgumentException("domain index " + i + " out of range [0, " + k + ")");
        }
        double[] h = new double[k];
        h[i] = 1.0;
        return h;
    }

    /** The uniform vector over {@code k} domains. */
    public static double[] uniform(int k) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be >= 1, got " + k);
        }
        double[] h = new double[k];
        Arrays.fill(h, 1.0 / k);
        return h;
    }
}
