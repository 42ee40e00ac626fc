package org.soupofexperts.data.sample;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.soupofexperts.core.batch.MetaDistribution;
import org.soupofexperts.core.config.DomainWeights;
import org.soupofexperts.core.config.Domains;
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
    public static MetaDistribution recommended(Domains domains) {
        return oneHotWithNatural(domains.sizes(), 0.5);
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

    /**
     * The natural mixture itself: weights proportional to domain sizes (the h of the generic
     * model, and the soup's reference point).
     */
    static double[] naturalWeights(long[] sizes) {
        return natural(sizes).sample(null);
    }

    /**
     * Sparse mixtures of a support size drawn uniformly from {@code [minSupport, maxSupport]}:
     * that many distinct domains chosen uniformly, Dirichlet(beta) weights on them, 0 elsewhere.
     * The histograms of real specialist sets spread over several domains or clusters (their
     * effective support exp(entropy) is rarely 1), so a soup that will be instantiated at them
     * must be trained at such points, not only at one-hot and natural h.
     */
    public static MetaDistribution sparseRange(int k, int minSupport, int maxSupport, double beta) {
        requireK(k);
        if (minSupport < 1 || maxSupport < minSupport || maxSupport > k) {
            throw new IllegalArgumentException("support range must satisfy 1 <= min <= max <= k=" + k + ", got ["
                    + minSupport + ", " + maxSupport + "]");
        }
        MetaDistribution[] bySize = new MetaDistribution[maxSupport - minSupport + 1];
        for (int s = minSupport; s <= maxSupport; s++) {
            bySize[s - minSupport] = sparse(k, s, beta);
        }
        String name = "sparseRange(k=" + k + ", s=" + minSupport + ".." + maxSupport + ", beta=" + beta + ")";
        return new Named(k, name) {
            @Override
            public double[] sample(SplittableRandom rng) {
                return bySize[rng.nextInt(bySize.length)].sample(rng);
            }
        };
    }

    /**
     * Each draw of {@code base} pulled towards the natural mixture: (1 - lambda) h + lambda natural,
     * with lambda uniform in [0, {@code maxLambda}]. Real histograms put some mass on most domains
     * (a generic corpus's clusters all hold a little of everything); this gives h that do too.
     */
    public static MetaDistribution towardsNatural(MetaDistribution base, long[] sizes, double maxLambda) {
        double[] natural = naturalWeights(sizes);
        if (natural.length != base.numDomains()) {
            throw new IllegalArgumentException(
                    "base has " + base.numDomains() + " domains, the sizes " + natural.length);
        }
        if (!(maxLambda >= 0 && maxLambda <= 1)) {
            throw new IllegalArgumentException("maxLambda must be in [0, 1], got " + maxLambda);
        }
        String name = "towardsNatural(" + maxLambda + ": " + base.describe() + ")";
        return new Named(natural.length, name) {
            @Override
            public double[] sample(SplittableRandom rng) {
                double[] h = base.sample(rng);
                double lambda = maxLambda * rng.nextDouble();
                for (int i = 0; i < h.length; i++) {
                    h[i] = (1 - lambda) * h[i] + lambda * natural[i];
                }
                return h;
            }
        };
    }

    /**
     * One of the given histograms, chosen uniformly, sharpened or flattened by a temperature:
     * h_i proportional to hist_i^(1/T) (T = 1 the histogram itself, T below 1 sharper, T above 1
     * flatter). For training at the h that Algorithm 3 gives on sets like the given ones (for
     * example each training document's or cluster's own histogram over the clusters).
     */
    public static MetaDistribution tempered(List<double[]> histograms, double temperature) {
        if (histograms == null || histograms.isEmpty()) {
            throw new IllegalArgumentException("tempered needs at least one histogram");
        }
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be finite and > 0, got " + temperature);
        }
        int k = histograms.get(0).length;
        List<double[]> hs = new ArrayList<>();
        for (double[] h : histograms) {
            double[] v = DomainWeights.validate(h, k);
            // In logs, from the largest weight: h_i^(1/T) itself underflows to 0 for a small T
            // (0.5^(1/1e-4)), and every weight with it, which gave NaN after the division.
            double top = Double.NEGATIVE_INFINITY;
            for (double x : v) {
                top = Math.max(top, x == 0 ? Double.NEGATIVE_INFINITY : Math.log(x));
            }
            double sum = 0;
            for (int i = 0; i < k; i++) {
                v[i] = v[i] == 0 ? 0 : Math.exp((Math.log(v[i]) - top) / temperature);
                sum += v[i];
            }
            for (int i = 0; i < k; i++) {
                v[i] /= sum;
            }
            hs.add(v);
        }
        return new Named(k, "tempered(" + hs.size() + " histograms, T=" + temperature + ")") {
            @Override
            public double[] sample(SplittableRandom rng) {
                return hs.get(rng.nextInt(hs.size())).clone();
            }
        };
    }

    /**
     * A meta-distribution matched to measured histograms (for example those of real specialist
     * sets over the training clusters): with probability {@code naturalShare} the natural mixture
     * (which keeps the soup's generic model trained), else sparse mixtures whose support is drawn
     * around the histograms' effective support (from half to twice it) with the Dirichlet
     * concentration whose draws' mean top share is closest to the histograms' (found by a seeded
     * search over a grid, so the result depends only on its arguments).
     */
    public static MetaDistribution matched(long[] sizes, HistogramStats target, double naturalShare) {
        int k = sizes.length;
        double eff = Math.max(1, Math.min(k, target.effectiveSupport()));
        int lo = Math.max(1, (int) Math.floor(eff / 2));
        int hi = Math.min(k, Math.max(lo, (int) Math.ceil(2 * eff)));
        double bestBeta = 1;
        double bestGap = Double.POSITIVE_INFINITY;
        for (double beta : new double[] {0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 10}) {
            MetaDistribution m = sparseRange(k, lo, hi, beta);
            SplittableRandom rng = new SplittableRandom(20261206L);
            List<double[]> draws = new ArrayList<>();
            for (int i = 0; i < 2000; i++) {
                draws.add(m.sample(rng));
            }
            double gap = Math.abs(HistogramStats.of(draws).topShare() - target.topShare());
            if (gap < bestGap) {
                bestGap = gap;
                bestBeta = beta;
            }
        }
        MetaDistribution sparseDraws = sparseRange(k, lo, hi, bestBeta);
        return mixture(natural(sizes), sparseDraws, naturalShare);
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

    /**
     * A meta-distribution named by a short specification, as tools and experiments take it on a
     * command line, made from the domains' sizes: {@code recommended}, {@code natural}, {@code
     * one-hot}, or {@code sparse:S1-S2} (a quarter of the draws at the natural mixture, else S1 to S2
     * domains, at most all of them, with Dirichlet(1) weights: {@link #sparseRange}).
     *
     * @throws IllegalArgumentException naming the forms, for any other text (before any sizes are seen)
     */
    public static Function<long[], MetaDistribution> fromSpec(String spec) {
        switch (spec) {
            case "recommended":
                return sizes -> oneHotWithNatural(sizes, 0.5);
            case "natural":
                return MetaDistributions::natural;
            case "one-hot":
                return sizes -> oneHot(sizes.length);
            default:
                break;
        }
        String[] range =
                spec.startsWith("sparse:") ? spec.substring("sparse:".length()).split("-", -1) : new String[0];
        int lo = range.length == 2 ? parsePositive(range[0]) : -1;
        int hi = range.length == 2 ? parsePositive(range[1]) : -1;
        if (lo < 1 || hi < lo) {
            throw new IllegalArgumentException("unknown meta-distribution '" + spec
                    + "': use recommended, natural, one-hot or sparse:S1-S2 (1 <= S1 <= S2)");
        }
        return sizes -> mixture(
                natural(sizes),
                sparseRange(sizes.length, Math.min(lo, sizes.length), Math.min(hi, sizes.length), 1.0),
                0.25);
    }

    private static int parsePositive(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return -1;
        }
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
