package org.soupofexperts.data.sample;

import java.util.List;
import org.soupofexperts.core.config.DomainWeights;

/**
 * How spread a set of domain-weight histograms is, as the meta-distribution that trains a soup
 * must match it: the effective support exp(entropy) (1 for a one-hot h, k for the uniform one),
 * the top share (the largest weight) and the support (weights above zero), each the mean over the
 * histograms. Immutable.
 *
 * @param effectiveSupport mean exp(entropy), entropy in nats
 * @param topShare mean largest weight
 * @param support mean number of non-zero weights
 * @param count number of histograms
 */
public record HistogramStats(double effectiveSupport, double topShare, double support, int count) {

    /** Statistics of one histogram. */
    public static HistogramStats of(double[] h) {
        double[] v = DomainWeights.validate(h, h == null ? 0 : h.length);
        double entropy = 0;
        double top = 0;
        int support = 0;
        for (double x : v) {
            if (x > 0) {
                entropy -= x * Math.log(x);
                support++;
            }
            top = Math.max(top, x);
        }
        return new HistogramStats(Math.exp(entropy), top, support, 1);
    }

    /** Mean statistics of several histograms of the same length. */
    public static HistogramStats of(List<double[]> histograms) {
        if (histograms == null || histograms.isEmpty()) {
            throw new IllegalArgumentException("histogram statistics need at least one histogram");
        }
        int k = histograms.get(0).length;
        double eff = 0;
        double top = 0;
        double support = 0;
        for (double[] h : histograms) {
            if (h == null || h.length != k) {
                throw new IllegalArgumentException("histograms must all have " + k + " weights");
            }
            HistogramStats one = of(h);
            eff += one.effectiveSupport;
            top += one.topShare;
            support += one.support;
        }
        int n = histograms.size();
        return new HistogramStats(eff / n, top / n, support / n, n);
    }

    @Override
    public String toString() {
        return String.format(
                "exp(entropy) %.2f, top share %.3f, support %.1f (%d histograms)",
                effectiveSupport, topShare, support, count);
    }
}
