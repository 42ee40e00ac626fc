package org.soupofexperts.examples.experiment;

import java.util.Arrays;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.Specialist;
import org.soupofexperts.core.config.DomainWeights;
import org.soupofexperts.data.eval.Evaluation;

/**
 * What every soup of an experiment is scored on, losses in bits per byte on the validation
 * splits: each domain at its specialist set's histogram h (Algorithm 3), optionally at one-hot
 * h, and at the natural mixture (what h gains); the natural-mixture loss; how far alpha moves
 * with h; the time of one instantiation.
 *
 * @param naturalBitsPerByte loss on the natural mixture at the natural h
 * @param naturalPerDomainBitsPerByte each domain's loss at the natural h
 * @param histogramBitsPerByte each domain's loss at its histogram h (its specialist)
 * @param oneHotBitsPerByte each domain's loss at its one-hot h, or null when not measured
 * @param instantiateMillis median time of one instantiation over the domains' specialists
 * @param instantiateCalls how many instantiations that median is over
 * @param alphaL1FromNatural mean L1 distance between alpha at each domain's h and at the natural h
 * @param alphaNatural alpha at the natural h
 */
public record SoupScores(
        double naturalBitsPerByte,
        double[] naturalPerDomainBitsPerByte,
        double[] histogramBitsPerByte,
        double[] oneHotBitsPerByte,
        double instantiateMillis,
        int instantiateCalls,
        double alphaL1FromNatural,
        double[] alphaNatural) {

    /** Scores {@code soup} on every domain of {@code data} ({@code oneHot}: at one-hot h too). */
    public static SoupScores of(SoupOfExperts soup, ExperimentData data, int context, int windows, boolean oneHot) {
        double natural;
        double[] atNatural;
        try (Specialist s = soup.instantiate(data.natural)) {
            Evaluation.Table t = Evaluation.table(s::loss, data.store, context, windows);
            natural = t.natural().bitsPerByte();
            atNatural = t.perDomain().stream()
                    .mapToDouble(Evaluation.Loss::bitsPerByte)
                    .toArray();
        }
        double[] hist = new double[data.k];
        double[] hot = oneHot ? new double[data.k] : null;
        double[] millis = new double[data.k];
        for (int d = 0; d < data.k; d++) {
            long t0 = System.nanoTime();
            try (Specialist s = soup.instantiate(data.hist[d])) {
                millis[d] = (System.nanoTime() - t0) / 1e6;
                hist[d] = Evaluation.onValidation(s::loss, data.store, d, context, windows)
                        .bitsPerByte();
            }
            if (oneHot) {
                try (Specialist s = soup.instantiate(DomainWeights.oneHot(data.k, d))) {
                    hot[d] = Evaluation.onValidation(s::loss, data.store, d, context, windows)
                            .bitsPerByte();
                }
            }
        }
        Arrays.sort(millis);
        double[] a0 = soup.alpha(data.natural);
        double l1 = 0;
        for (int d = 0; d < data.k; d++) {
            double[] a = soup.alpha(data.hist[d]);
            for (int j = 0; j < a.length; j++) {
                l1 += Math.abs(a[j] - a0[j]) / data.k;
            }
        }
        return new SoupScores(natural, atNatural, hist, hot, millis[millis.length / 2], millis.length, l1, a0);
    }

    /** The mean loss of the specialists (each domain at its histogram h). */
    public double specialized() {
        return mean(histogramBitsPerByte);
    }

    /** The mean loss at one-hot h (NaN when not measured). */
    public double oneHot() {
        return oneHotBitsPerByte == null ? Double.NaN : mean(oneHotBitsPerByte);
    }

    /** The mean over domains of the loss at the natural h minus the loss at the domain's histogram h. */
    public double hMatters() {
        return mean(naturalPerDomainBitsPerByte) - specialized();
    }

    /** On how many domains the specialist is below {@code perDomain} (another model's losses). */
    public int winsAgainst(double[] perDomain) {
        int wins = 0;
        for (int d = 0; d < histogramBitsPerByte.length; d++) {
            wins += histogramBitsPerByte[d] < perDomain[d] ? 1 : 0;
        }
        return wins;
    }

    static double mean(double[] values) {
        return Arrays.stream(values).average().orElse(Double.NaN);
    }
}
