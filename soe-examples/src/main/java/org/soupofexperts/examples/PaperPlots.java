package org.soupofexperts.examples;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.soupofexperts.core.train.listener.SpecializationPoint;
import org.soupofexperts.examples.PaperResults.DomainModel;
import org.soupofexperts.examples.PaperResults.FineTuning;
import org.soupofexperts.examples.experiment.Charts;

/** {@link PaperExperiment}'s plots, from its typed results. Stateless. */
final class PaperPlots {

    private PaperPlots() {}

    /** per-domain.png, training-curves.png, h-matters.png (with a probe) and fine-tuning.png under {@code out}. */
    static void write(Path out, PaperResults r) throws IOException {
        Map<String, double[]> bars = new LinkedHashMap<>();
        bars.put("generic (lr " + r.generic().lr() + ")", r.generic().perDomainBitsPerByte());
        bars.put(
                "domain expert",
                r.domainExperts().values().stream()
                        .mapToDouble(DomainModel::bitsPerByte)
                        .toArray());
        bars.put("soup (histogram h)", r.soup().scores().histogramBitsPerByte());
        Charts.bars(
                out.resolve("per-domain.png"), "Held-out bits per byte by domain", "bits per byte", r.domains(), bars);
        Map<String, float[]> curves = new LinkedHashMap<>();
        curves.put("generic", r.generic().losses());
        curves.put("soup (loss at the sampled h)", r.soup().losses());
        Charts.trainingCurves(out.resolve("training-curves.png"), curves, 25);
        List<SpecializationPoint> spec = r.soup().specialization();
        if (spec.size() > 1) {
            double[][] xy = {
                spec.stream().mapToDouble(SpecializationPoint::step).toArray(),
                spec.stream().mapToDouble(SpecializationPoint::hMatters).toArray()
            };
            Charts.lines(
                    out.resolve("h-matters.png"),
                    "How much h matters during training (held-out windows)",
                    "step",
                    "loss at natural h minus at own h (nats/token)",
                    Map.of("soup", xy),
                    false);
        }
        Map<String, double[][]> fineTuning = new LinkedHashMap<>();
        for (int d = 0; d < r.fineTuning().size(); d++) {
            FineTuning f = r.fineTuning().get(d);
            fineTuning.put(
                    r.domains().get(d) + ": generic", transpose(f.generic().validationCurve()));
            fineTuning.put(r.domains().get(d) + ": soup", transpose(f.soup().validationCurve()));
        }
        if (!fineTuning.isEmpty()) {
            Charts.lines(
                    out.resolve("fine-tuning.png"),
                    "Fine-tuning: held-out loss of the specialist set",
                    "fine-tuning tokens",
                    "nats per token",
                    fineTuning,
                    true);
        }
    }

    /** Points as rows (x, y) to the charts' two rows of xs and ys. */
    private static double[][] transpose(double[][] points) {
        double[][] xy = new double[2][points.length];
        for (int i = 0; i < points.length; i++) {
            xy[0][i] = points[i][0];
            xy[1][i] = points[i][1];
        }
        return xy;
    }
}
