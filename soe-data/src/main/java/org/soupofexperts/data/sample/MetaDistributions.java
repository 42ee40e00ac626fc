package org.soupofexperts.data.sample;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.soupofexperts.core.batch.MetaDistribution;
import org.soupofexperts.core.config.DomainWeights;
import org.soupofexperts.core.config.Seeds;

/**
 * The meta-distributions pi over domain weights that training draws h from. Every instance is
 * immutable and thread-safe; randomness comes only from the generator passed to {@code sample}.
 */
public final class MetaDistributions {

    private MetaDistributions() {}

    /**
     * The library's recommended meta-distribution: half the draws at the natural mixture (domains
     * weighted by size), the other half one domain alone (a one-hot h), drawn per sequence by the
     * trainer's default. In the ablations of docs/results.md (one h per sequence, softmax router)
     * this gave specialists that beat the generic model on all 13 domains with the soup's generic
     * loss within 1% of the generic model's; a natural share of 0.25 specialised a little more and
     * cost more generic loss.
     */
    public static MetaDistribution recommended(long[] domainSizes) {
        return oneHotWithNatural(domainSizes, 0.5);
    }

    /** Uniform on the simplex: Dirichlet(1, ..., 1). */
    public static MetaDistribution uniform(int k) {
        return dirichlet(k, 1.0);
    }

    /** Symmetric Dirichlet(beta) over all k domains (mean 1/k each). */
    public static MetaDistribution dirichlet(int k, double beta) {
        return sparse(k, k, beta);
    }

    /**
     * The paper's kind: pick {@code s} distinct domains uniformly at random, give them
     * Dirichlet(beta) weights, the others 0. Exactly s entries are non-zero (almost surely).
     */
    public static MetaDistribution sparse(int k, int s, double beta) {
        requireK(k);
        if (s < 1 || s > k) {
            throw new IllegalArgumentException("support size s must be in [1, k=" + k + "], got " + s);
        }
        if (!(beta > 0) || Double.isInfinite(beta)) {
            throw new IllegalArgumentException("Dirichlet concentration beta must be finite and > 0, got " + beta);
        }
        return new Named(k, "sparse(k=" + k + ", s=" + s + ", beta=" + beta + ")") {
            @Override
            public double[] sample(SplittableRandom rng) {
                int[] idx = new int[k];
                for (int i = 0; i < k; i++) {
                    idx[i] = i;
                }
                for (int i = 0; i < s; i++) { // partial Fisher-Yates: the first s are the support
                    int j = i + rng.nextInt(k - i);
                    int t = idx[i];
                    idx[i] = idx[j];
                    idx[j] = t;
                }
                double[] h = new double[k];
                double sum = 0;
                for (int i = 0; i < s; i++) {
                    double g = gamma(beta, rng);
                    h[idx[i]] = g;
                    sum += g;
                }
                if (sum == 0) { // all gammas underflowed (tiny beta): fall back to one domain
                    h[idx[0]] = 1;
                    return h;
                }
                for (int i = 0; i < s; i++) {
                    h[idx[i]] /= sum;
                }
                return h;
            }
        };
    }

    /**
     * With probability {@code naturalShare} the natural mixture (domains weighted by size), else one
     * domain chosen uniformly (a one-hot h). Drawn per sequence (the trainer's default, one h per
     * sequence), this teaches every expert its own domain in every step while the natural share
     * keeps the soup's generic model (h = the natural mixture) trained.
     */
    public static MetaDistribution oneHotWithNatural(long[] domainSizes, double naturalShare) {
        return mixture(natural(domainSizes), oneHot(domainSizes.length), naturalShare);
    }

    /** One domain at a time, chosen uniformly. */
    public static MetaDistribution oneHot(int k) {
        requireK(k);
        return new Named(k, "oneHot(k=" + k + ")") {
            @Override
            public double[] sample(SplittableRandom rng) {
                return DomainWeights.oneHot(k, rng.nextInt(k));
            }
        };
    }

    /** Always the natural mixture: weights proportional to domain sizes. */
    public static MetaDistribution natural(long[] sizes) {
        if (sizes == null || sizes.length == 0) {
            throw new IllegalArgumentException("natural meta-distribution needs at least one domain size");
        }
        double total = 0;
        for (int i = 0; i < sizes.length; i++) {
            if (sizes[i] < 0) {
                throw new IllegalArgumentException("domain size " + i + " is negative: " + sizes[i]);
            }
            total += sizes[i];
        }
        if (total == 0) {
            throw new IllegalArgumentException("all domain sizes are 0");
        }
        double[] h = new double[sizes.length];
        for (int i = 0; i < h.length; i++) {
            h[i] = sizes[i] / total;
        }
        return fixed(h);
    }

    /** Always the same h. */
    public static MetaDistribution fixed(double[] h) {
        double[] v = DomainWeights.validate(h, h == null ? 0 : h.length);
        return new Named(v.length, "fixed(" + Arrays.toString(v) + ")") {
            @Override
            public double[] sample(SplittableRandom rng) {
                return v.clone();
            }
        };
    }

    /** With probability {@code p} a draw from {@code a}, else from {@code b}. */
    public static MetaDistribution mixture(MetaDistribution a, MetaDistribution b, double p) {
        if (a.numDomains() != b.numDomains()) {
            throw new IllegalArgumentException(
                    "mixture parts have " + a.numDomains() + " and " + b.numDomains() + " domains");
        }
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("mixture probability must be in [0, 1], got " + p);
        }
        return new Named(a.numDomains(), "mixture(" + p + ": " + a.describe() + ", " + b.describe() + ")") {
            @Override
            public double[] sample(SplittableRandom rng) {
                return rng.nextDouble() < p ? a.sample(rng) : b.sample(rng);
            }
        };
    }

    /** Gamma(shape, 1) by Marsaglia and Tsang; shapes below 1 use the boost u^(1/shape). */
    static double gamma(double shape, SplittableRandom rng) {
        if (shape < 1) {
            double u = rng.nextDouble();
            return gamma(shape + 1, rng) * Math.pow(u, 1.0 / shape);
        }
        double d = shape - 1.0 / 3;
        double c = 1 / Math.sqrt(9 * d);
        while (true) {
            double x;
            double v;
            do {
                x = gaussian(rng);
                v = 1 + c * x;
            } while (v <= 0);
            v = v * v * v;
            double u = rng.nextDouble();
            if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) {
                return d * v;
            }
        }
    }

    private static double gaussian(SplittableRandom rng) {
        return Seeds.gaussian(rng);
    }

    private static void requireK(int k) {
        if (k < 1) {
            throw new IllegalArgumentException("number of domains k must be >= 1, got " + k);
        }
    }

    private abstract static class Named implements MetaDistribution {
        private final int k;
        private final String description;

        Named(int k, String description) {
            this.k = k;
            this.description = description;
        }

        @Override
        public int numDomains() {
            return k;
        }

        @Override
        public String describe() {
            return description;
        }

        @Override
        public String toString() {
            return description;
        }
    }
}
