package org.soupofexperts.examples;

import java.util.List;
import org.soupofexperts.data.eval.UnseenDomains;

/** The markdown report of the unseen-domain protocol: one row per held-out domain, then the means. */
final class UnseenReport {

    private UnseenReport() {}

    static String markdown(List<UnseenDomains.Domain> all, List<UnseenDomains.FoldResult> folds, String settings) {
        StringBuilder b = new StringBuilder("# Specialists for held-out domains (leave-domains-out)\n\n");
        b.append("Settings: `").append(settings).append("`\n\n");
        b.append("Bits per byte on each held-out domain's validation split (lower is better).\n\n");
        b.append("| domain | fold | generic | generic, equal time | soup, natural h | soup, histogram N=20 |"
                + " soup, histogram N=100 | oracle (half) | histogram (same half) | generic fine-tuned |"
                + " soup fine-tuned | exp(H) of h | top share |\n");
        b.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (UnseenDomains.Domain d : all) {
            b.append(String.format(
                    "| %s | %d | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.2f | %.2f |%n",
                    d.domain(),
                    d.fold(),
                    d.generic(),
                    d.genericEqualTime(),
                    d.soupNatural(),
                    d.soupHistogram().getOrDefault(20, Double.NaN),
                    d.soupHistogramLargestN(),
                    d.soupOracle(),
                    d.soupHistogramOnHalf(),
                    d.genericFinetuned(),
                    d.soupFinetuned(),
                    d.stats().effectiveSupport(),
                    d.stats().topShare()));
        }
        double generic = UnseenDomains.mean(all, UnseenDomains.Domain::generic);
        double hist = UnseenDomains.mean(all, UnseenDomains.Domain::soupHistogramLargestN);
        b.append(String.format(
                "%nMeans over %d domains: generic %.3f, soup histogram %.3f (%+.1f%%; lower on %d of %d),"
                        + " h gain %.3f, oracle gap %.3f; at equal time the soup is lower on %d.%n",
                all.size(),
                generic,
                hist,
                100 * (hist / generic - 1),
                UnseenDomains.wins(all, UnseenDomains.Domain::soupHistogramLargestN, UnseenDomains.Domain::generic),
                all.size(),
                UnseenDomains.mean(all, UnseenDomains.Domain::hGain),
                UnseenDomains.mean(all, UnseenDomains.Domain::oracleGap),
                UnseenDomains.wins(
                        all, UnseenDomains.Domain::soupHistogramLargestN, UnseenDomains.Domain::genericEqualTime)));
        b.append("\n| fold | held out | soup domains | generic lr | soup s | generic s | step cost ratio |"
                + " equal-time steps |\n|---:|---|---:|---:|---:|---:|---:|---:|\n");
        for (UnseenDomains.FoldResult f : folds) {
            UnseenDomains.Fold x = f.fold();
            b.append(String.format(
                    "| %d | %s | %d | %s | %.0f | %.0f | %.2f | %d |%n",
                    x.index(),
                    String.join(", ", x.heldOut()),
                    x.trainingDomains().size(),
                    x.genericLearningRate(),
                    x.soupSeconds(),
                    x.genericSeconds(),
                    x.stepCostRatio(),
                    x.equalTimeSteps()));
        }
        for (UnseenDomains.FoldResult f : folds) {
            List<UnseenDomains.CurvePoint> curve = f.fold().hGainCurve();
            if (curve.isEmpty()) {
                continue;
            }
            b.append(String.format(
                    "%nFold %d, h gain on the held-out domains while the soup trained (bits/byte, %s;"
                            + " 16 validation windows each):%n%n| step | %s | mean |%n|---:|%s---:|%n",
                    f.fold().index(),
                    "natural h minus histogram h",
                    String.join(" | ", f.fold().heldOut()),
                    "---:|".repeat(f.fold().heldOut().size())));
            for (UnseenDomains.CurvePoint p : curve) {
                StringBuilder row = new StringBuilder("| " + p.step() + " |");
                for (double g : p.hGain()) {
                    row.append(String.format(" %.3f |", g));
                }
                b.append(row).append(String.format(" %.3f |%n", p.mean()));
            }
        }
        return b.toString();
    }
}
