package org.soupofexperts.data.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.soupofexperts.data.sample.HistogramStats;

/**
 * What {@link LeaveDomainsOut} measured: per held-out domain, the losses of every model on its
 * validation split in bits per byte, and per fold, how the models were trained. Immutable.
 */
public final class UnseenDomains {

    private UnseenDomains() {}

    /**
     * One held-out domain (a domain the soup never trained on).
     *
     * @param domain its name
     * @param fold the fold that held it out
     * @param generic the generic model at its better learning rate
     * @param genericEqualTime the generic model trained for the soup's wall time (NaN if not run)
     * @param soupNatural the soup at the natural mixture of its training domains
     * @param soupHistogram the soup at the histogram h of N of the domain's training documents, by N
     * @param soupOracle the best h of a small search on half of the validation windows, scored on
     *     the other half
     * @param soupHistogramOnHalf the histogram h (largest N) on that same other half
     * @param genericFinetuned the generic model fine-tuned on the fine-tuning documents (NaN if not run)
     * @param soupFinetuned the soup's specialist (largest N) fine-tuned on them (NaN if not run)
     * @param soupFitted the soup at h fitted to the largest N documents' own tokens, starting from
     *     their histogram ({@link org.soupofexperts.data.finetune.DomainWeightFit})
     * @param soupAlphaFitted the soup at expert coefficients alpha tuned on the same tokens from
     *     router(fitted h) (NaN when the protocol does not tune alpha, or soupFitted is NaN)
     * @param h the histogram h at the largest N, over the soup's domains
     * @param hFitted the fitted h (null when the documents held less than one window; then
     *     soupFitted is NaN)
     * @param soupLayerFitted the soup at a layer-wise alpha (one row per layer group) descended
     *     from the tuned alpha on the same tokens (NaN when the protocol does not run it)
     * @param alphaFitted the tuned alpha (null when soupAlphaFitted is NaN)
     * @param layerAlphaFitted the layer-wise alpha's rows (null when soupLayerFitted is NaN)
     * @param stats the spread of the histogram h
     */
    public record Domain(
            String domain,
            int fold,
            double generic,
            double genericEqualTime,
            double soupNatural,
            Map<Integer, Double> soupHistogram,
            double soupOracle,
            double soupHistogramOnHalf,
            double genericFinetuned,
            double soupFinetuned,
            double soupFitted,
            double soupAlphaFitted,
            double soupLayerFitted,
            double[] h,
            double[] hFitted,
            double[] alphaFitted,
            double[][] layerAlphaFitted,
            HistogramStats stats) {

        public Domain {
            // A part written before alpha was tuned has no alphaFitted and reads its loss as 0.0: not tuned.
            if (alphaFitted == null) {
                soupAlphaFitted = Double.NaN;
            }
            if (layerAlphaFitted == null) {
                soupLayerFitted = Double.NaN;
            }
        }

        /** The soup at the histogram of the largest N. */
        public double soupHistogramLargestN() {
            return soupHistogram.entrySet().stream()
                    .max(Map.Entry.comparingByKey())
                    .orElseThrow()
                    .getValue();
        }

        /** h gain: the soup at natural h minus at the histogram h (positive: h helps). */
        public double hGain() {
            return soupNatural - soupHistogramLargestN();
        }

        /** Fit gain: the soup at the histogram h minus at the fitted h (positive: fitting helps). */
        public double fitGain() {
            return soupHistogramLargestN() - soupFitted;
        }

        /** Alpha fit gain: the soup at the fitted h minus at the tuned alpha (positive: tuning alpha helps). */
        public double alphaFitGain() {
            return soupFitted - soupAlphaFitted;
        }

        /**
         * Layer fit gain: the soup at the alpha the descent started from (the tuned alpha, or the
         * fitted h's when alpha was not tuned) minus at the layer-wise alpha (positive: it helps).
         */
        public double layerFitGain() {
            return (Double.isNaN(soupAlphaFitted) ? soupFitted : soupAlphaFitted) - soupLayerFitted;
        }

        /** Oracle gap: the histogram h minus the best h found, on the same windows (positive: a better h exists). */
        public double oracleGap() {
            return soupHistogramOnHalf - soupOracle;
        }
    }

    /**
     * How one fold trained.
     *
     * @param index the fold's number
     * @param heldOut the domains it held out
     * @param trainingDomains the soup's domains (labels, or clusters of the training domains)
     * @param genericLearningRate the generic model's better learning rate
     * @param genericMeans the generic model's mean held-out loss at each learning rate tried
     * @param soupSeconds the soup's training time
     * @param genericSeconds the generic model's (at its better rate)
     * @param stepCostRatio a soup step's cost over a generic step's (NaN if not measured): from
     *     {@code equalTime} when it is there; in folds kept from before it, timed by alternating
     *     blocks of 25 steps of fresh models, which overstated the soup's step
     * @param equalTimeSteps steps of the generic model trained for the soup's time (0 if not run)
     * @param hGainCurve the h gain on the held-out domains while the soup trained (empty without
     *     {@link LeaveDomainsOut.Builder#probeEvery})
     * @param equalTime how the soup's time was paced (null if not run, or in a fold kept from
     *     before pacing)
     */
    public record Fold(
            int index,
            List<String> heldOut,
            List<String> trainingDomains,
            double genericLearningRate,
            Map<Double, Double> genericMeans,
            double soupSeconds,
            double genericSeconds,
            double stepCostRatio,
            int equalTimeSteps,
            List<CurvePoint> hGainCurve,
            EqualTime equalTime) {

        public Fold {
            hGainCurve = hGainCurve == null ? List.of() : List.copyOf(hGainCurve);
        }
    }

    /**
     * The generic model at the soup's wall time, paced by alternation: the soup trained in turns,
     * each followed by a model of the generic shape trained until its training time caught up.
     *
     * @param turns the soup's turns
     * @param soupSteps the soup's steps
     * @param soupSeconds its training time over all turns
     * @param genericSteps the generic steps that fit in the same time: the equal-time model's budget
     * @param genericSeconds their training time (the soup's, and at most one step more per turn)
     * @param generic the equal-time generic model on each held-out domain, in the fold's order
     * @param soupNatural the paced soup at the natural h on each held-out domain: equal to the
     *     fold's {@link Domain#soupNatural} when both came from the same soup
     */
    public record EqualTime(
            int turns,
            int soupSteps,
            double soupSeconds,
            int genericSteps,
            double genericSeconds,
            double[] generic,
            double[] soupNatural) {

        /** A soup step's time over a generic step's, from the paced turns. */
        public double stepCostRatio() {
            return (soupSeconds / soupSteps) / (genericSeconds / genericSteps);
        }

        @Override
        public String toString() {
            return String.format(
                    "EqualTime{turns=%d, soup %d steps in %.3f s, generic %d steps in %.3f s, generic %s,"
                            + " soup at natural h %s}",
                    turns,
                    soupSteps,
                    soupSeconds,
                    genericSteps,
                    genericSeconds,
                    Arrays.toString(generic),
                    Arrays.toString(soupNatural));
        }
    }

    /**
     * The h gain on a fold's held-out domains after {@code step} steps of the soup's training: the
     * soup's loss at the natural h minus at each domain's histogram h (largest N), in bits per byte
     * on a batch of its validation windows.
     *
     * @param step steps done
     * @param hGain per held-out domain, in the fold's order
     * @param mean their mean
     */
    public record CurvePoint(int step, double[] hGain, double mean) {}

    /** A fold's record and its held-out domains' results. */
    public record FoldResult(Fold fold, List<Domain> domains) {

        /**
         * This fold with its equal-time figures replaced by {@code e}'s, measured apart from it
         * ({@link LeaveDomainsOut#equalTime}); everything else kept.
         *
         * @param e the paced measurement of this fold
         * @return the fold with it
         */
        public FoldResult withEqualTime(EqualTime e) {
            if (e.generic().length != domains.size()) {
                throw new IllegalArgumentException("the equal-time measurement holds " + e.generic().length
                        + " held-out domains, the fold " + domains.size());
            }
            Fold f = new Fold(
                    fold.index(),
                    fold.heldOut(),
                    fold.trainingDomains(),
                    fold.genericLearningRate(),
                    fold.genericMeans(),
                    fold.soupSeconds(),
                    fold.genericSeconds(),
                    e.stepCostRatio(),
                    e.genericSteps(),
                    fold.hGainCurve(),
                    e);
            List<Domain> ds = new ArrayList<>();
            for (int i = 0; i < domains.size(); i++) {
                Domain d = domains.get(i);
                ds.add(new Domain(
                        d.domain(),
                        d.fold(),
                        d.generic(),
                        e.generic()[i],
                        d.soupNatural(),
                        d.soupHistogram(),
                        d.soupOracle(),
                        d.soupHistogramOnHalf(),
                        d.genericFinetuned(),
                        d.soupFinetuned(),
                        d.soupFitted(),
                        d.soupAlphaFitted(),
                        d.soupLayerFitted(),
                        d.h(),
                        d.hFitted(),
                        d.alphaFitted(),
                        d.layerAlphaFitted(),
                        d.stats()));
            }
            return new FoldResult(f, List.copyOf(ds));
        }
    }

    /**
     * The means over domains of {@code loss}.
     *
     * @param results the domains
     * @param loss which loss
     * @return the mean
     */
    public static double mean(List<Domain> results, ToDoubleFunction<Domain> loss) {
        return results.stream().mapToDouble(loss).average().orElse(Double.NaN);
    }

    /** Domains where {@code a} is lower than {@code b}. */
    public static long wins(List<Domain> results, ToDoubleFunction<Domain> a, ToDoubleFunction<Domain> b) {
        return results.stream()
                .filter(d -> a.applyAsDouble(d) < b.applyAsDouble(d))
                .count();
    }
}
