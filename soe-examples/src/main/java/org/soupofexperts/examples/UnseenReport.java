package org.soupofexperts.examples;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import org.soupofexperts.data.eval.UnseenDomains;
import org.soupofexperts.data.eval.UnseenDomains.CurvePoint;
import org.soupofexperts.data.eval.UnseenDomains.Domain;
import org.soupofexperts.data.eval.UnseenDomains.Fold;
import org.soupofexperts.data.eval.UnseenDomains.FoldResult;
import org.soupofexperts.examples.experiment.MarkdownTable;

/** The markdown report of the unseen-domain protocol: one row per held-out domain, the means, the folds. */
final class UnseenReport {

    private UnseenReport() {}

    static String markdown(List<Domain> all, List<FoldResult> folds, String settings) {
        StringBuilder b = new StringBuilder("# Specialists for held-out domains (leave-domains-out)\n\n");
        b.append("Settings: `").append(settings).append("`\n\n");
        b.append("Bits per byte on each held-out domain's validation split (lower is better).\n\n");
        b.append(domains(all)).append('\n').append(means(all)).append('\n').append(folds(folds));
        for (FoldResult f : folds) {
            b.append(curve(f.fold()));
        }
        return b.toString();
    }

    private static MarkdownTable domains(List<Domain> all) {
        MarkdownTable t = new MarkdownTable(
                "domain",
                "fold",
                "generic",
                "generic, equal time",
                "soup, natural h",
                "soup, histogram N=20",
                "soup, histogram N=100",
                "oracle (half)",
                "histogram (same half)",
                "generic fine-tuned",
                "soup fine-tuned",
                "soup, fitted h",
                "soup, tuned alpha",
                "soup, layer-wise alpha",
                "exp(H) of h",
                "top share");
        for (Domain d : all) {
            t.row(
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
                    d.soupFitted(),
                    d.soupAlphaFitted(),
                    d.soupLayerFitted(),
                    format("%.2f", d.stats().effectiveSupport()),
                    format("%.2f", d.stats().topShare()));
        }
        return t;
    }

    private static String means(List<Domain> all) {
        double generic = UnseenDomains.mean(all, Domain::generic);
        double hist = UnseenDomains.mean(all, Domain::soupHistogramLargestN);
        return format(
                        "Means over %d domains: generic %.3f, soup histogram %.3f (%s; lower on %d of %d),"
                                + " h gain %.3f, oracle gap %.3f; at equal time the soup is lower on %d;"
                                + " at h fitted to the documents %.3f (%s; lower on %d), fit gain %.3f.%n",
                        all.size(),
                        generic,
                        hist,
                        MarkdownTable.percent(hist, generic),
                        UnseenDomains.wins(all, Domain::soupHistogramLargestN, Domain::generic),
                        all.size(),
                        UnseenDomains.mean(all, Domain::hGain),
                        UnseenDomains.mean(all, Domain::oracleGap),
                        UnseenDomains.wins(all, Domain::soupHistogramLargestN, Domain::genericEqualTime),
                        UnseenDomains.mean(all, Domain::soupFitted),
                        MarkdownTable.percent(UnseenDomains.mean(all, Domain::soupFitted), generic),
                        UnseenDomains.wins(all, Domain::soupFitted, Domain::generic),
                        UnseenDomains.mean(all, Domain::fitGain))
                + alphaMeans(all, generic)
                + layerMeans(all, generic);
    }

    /** The clause on alpha tuned after h, when the run tuned it. */
    private static String alphaMeans(List<Domain> all, double generic) {
        return stage(
                all,
                generic,
                "At alpha tuned after the fitted h",
                "the fitted h",
                Domain::soupAlphaFitted,
                Domain::alphaFitGain);
    }

    /** The clause on the layer-wise alpha, when the run descended one. */
    private static String layerMeans(List<Domain> all, double generic) {
        return stage(
                all,
                generic,
                "At a layer-wise alpha after it",
                "its start",
                Domain::soupLayerFitted,
                Domain::layerFitGain);
    }

    /** One stage after the fit of h: its mean, against the generic model, and its gain over the stage before. */
    private static String stage(
            List<Domain> all,
            double generic,
            String what,
            String before,
            ToDoubleFunction<Domain> loss,
            ToDoubleFunction<Domain> gain) {
        double mean = UnseenDomains.mean(all, loss);
        if (Double.isNaN(mean)) {
            return "";
        }
        return format(
                "%s: %.3f (%s; lower on %d of %d), %.3f below %s.%n",
                what,
                mean,
                MarkdownTable.percent(mean, generic),
                UnseenDomains.wins(all, loss, Domain::generic),
                all.size(),
                UnseenDomains.mean(all, gain),
                before);
    }

    private static MarkdownTable folds(List<FoldResult> folds) {
        MarkdownTable t = new MarkdownTable(
                "fold",
                "held out",
                "soup domains",
                "generic lr",
                "soup s",
                "generic s",
                "step cost ratio",
                "timed by",
                "equal-time steps");
        for (FoldResult f : folds) {
            Fold x = f.fold();
            UnseenDomains.EqualTime e = x.equalTime();
            t.row(
                    x.index(),
                    String.join(", ", x.heldOut()),
                    x.trainingDomains().size(),
                    String.valueOf(x.genericLearningRate()),
                    format("%.0f", x.soupSeconds()),
                    format("%.0f", x.genericSeconds()),
                    format("%.2f", x.stepCostRatio()),
                    e == null
                            ? (x.equalTimeSteps() == 0 ? "-" : "fresh blocks")
                            : format(
                                    "%d turns (soup %.0f s, generic %.0f s)",
                                    e.turns(), e.soupSeconds(), e.genericSeconds()),
                    x.equalTimeSteps());
        }
        return t;
    }

    /** The h gain on a fold's held-out domains while its soup trained (nothing without a probe). */
    private static String curve(Fold fold) {
        if (fold.hGainCurve().isEmpty()) {
            return "";
        }
        List<String> header = new ArrayList<>(List.of("step"));
        header.addAll(fold.heldOut());
        header.add("mean");
        MarkdownTable t = new MarkdownTable(header);
        for (CurvePoint p : fold.hGainCurve()) {
            double[] values = new double[p.hGain().length + 1];
            System.arraycopy(p.hGain(), 0, values, 0, p.hGain().length);
            values[values.length - 1] = p.mean();
            t.row(String.valueOf(p.step()), values);
        }
        return format(
                        "%nFold %d, h gain on the held-out domains while the soup trained (bits/byte, natural h minus"
                                + " histogram h; 16 validation windows each):%n%n",
                        fold.index())
                + t;
    }

    private static String format(String pattern, Object... args) {
        return String.format(Locale.ROOT, pattern, args);
    }
}
