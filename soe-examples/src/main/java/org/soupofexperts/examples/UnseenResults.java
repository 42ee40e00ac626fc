package org.soupofexperts.examples;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.soupofexperts.data.eval.UnseenDomains;
import org.soupofexperts.data.eval.UnseenDomains.Domain;

/**
 * results.json of {@link UnseenDomainsExperiment}: every held-out domain's losses (bits per byte
 * on its validation split) under the keys issue 25 names, the means over the domains, and each
 * fold's record.
 *
 * @param settings the protocol's settings
 * @param foldsDone folds measured so far
 * @param perDomain each held-out domain's losses, by name
 * @param means the means over the held-out domains
 * @param folds how each fold trained
 */
record UnseenResults(
        String settings, int foldsDone, Map<String, PerDomain> perDomain, Means means, List<UnseenDomains.Fold> folds) {

    /**
     * One held-out domain (soupHistogram at the largest N; soupHistogramByN at every N; soupFitted
     * at h fitted to the same documents' tokens from their histogram; soupAlphaFitted at alpha
     * tuned after it, NaN when not run; soupLayerFitted at a layer-wise alpha after that, NaN when
     * not run).
     */
    record PerDomain(
            int fold,
            double generic,
            double genericEqualTime,
            double soupNatural,
            double soupHistogram,
            Map<Integer, Double> soupHistogramByN,
            double soupOracle,
            double soupHistogramOnOracleHalf,
            double genericFinetuned,
            double soupFinetuned,
            double soupFitted,
            double[] hFitted,
            double soupAlphaFitted,
            double[] alphaFitted,
            double soupLayerFitted,
            double[][] layerAlphaFitted,
            double effectiveSupport,
            double topShare) {}

    /** The means over the held-out domains, and on how many the soup's specialist is lower. */
    record Means(
            double generic,
            double genericEqualTime,
            double soupNatural,
            double soupHistogram,
            double soupOracle,
            double soupHistogramOnOracleHalf,
            double genericFinetuned,
            double soupFinetuned,
            double soupFitted,
            double soupAlphaFitted,
            double soupLayerFitted,
            double hGain,
            double fitGain,
            double alphaFitGain,
            double layerFitGain,
            double oracleGap,
            long soupWins,
            long soupWinsAtEqualTime,
            long fittedWins,
            long alphaFittedWins,
            long layerFittedWins) {}

    /** The results of the folds in {@code done}. */
    static UnseenResults of(List<UnseenDomains.FoldResult> done, String settings) {
        List<Domain> all = new ArrayList<>();
        done.forEach(f -> all.addAll(f.domains()));
        Map<String, PerDomain> per = new LinkedHashMap<>();
        for (Domain d : all) {
            per.put(
                    d.domain(),
                    new PerDomain(
                            d.fold(),
                            d.generic(),
                            d.genericEqualTime(),
                            d.soupNatural(),
                            d.soupHistogramLargestN(),
                            d.soupHistogram(),
                            d.soupOracle(),
                            d.soupHistogramOnHalf(),
                            d.genericFinetuned(),
                            d.soupFinetuned(),
                            d.soupFitted(),
                            d.hFitted(),
                            d.soupAlphaFitted(),
                            d.alphaFitted(),
                            d.soupLayerFitted(),
                            d.layerAlphaFitted(),
                            d.stats().effectiveSupport(),
                            d.stats().topShare()));
        }
        Means means = new Means(
                UnseenDomains.mean(all, Domain::generic),
                UnseenDomains.mean(all, Domain::genericEqualTime),
                UnseenDomains.mean(all, Domain::soupNatural),
                UnseenDomains.mean(all, Domain::soupHistogramLargestN),
                UnseenDomains.mean(all, Domain::soupOracle),
                UnseenDomains.mean(all, Domain::soupHistogramOnHalf),
                UnseenDomains.mean(all, Domain::genericFinetuned),
                UnseenDomains.mean(all, Domain::soupFinetuned),
                UnseenDomains.mean(all, Domain::soupFitted),
                UnseenDomains.mean(all, Domain::soupAlphaFitted),
                UnseenDomains.mean(all, Domain::soupLayerFitted),
                UnseenDomains.mean(all, Domain::hGain),
                UnseenDomains.mean(all, Domain::fitGain),
                UnseenDomains.mean(all, Domain::alphaFitGain),
                UnseenDomains.mean(all, Domain::layerFitGain),
                UnseenDomains.mean(all, Domain::oracleGap),
                UnseenDomains.wins(all, Domain::soupHistogramLargestN, Domain::generic),
                UnseenDomains.wins(all, Domain::soupHistogramLargestN, Domain::genericEqualTime),
                UnseenDomains.wins(all, Domain::soupFitted, Domain::generic),
                UnseenDomains.wins(all, Domain::soupAlphaFitted, Domain::generic),
                UnseenDomains.wins(all, Domain::soupLayerFitted, Domain::generic));
        return new UnseenResults(
                settings,
                done.size(),
                per,
                means,
                done.stream().map(UnseenDomains.FoldResult::fold).toList());
    }
}
