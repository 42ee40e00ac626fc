package org.soupofexperts.examples;

import java.util.List;
import java.util.Map;
import org.soupofexperts.examples.experiment.PlainRun;
import org.soupofexperts.examples.experiment.SoupRun;

/**
 * Everything {@link PaperExperiment} measured, as written to results.json. Losses in bits per byte
 * on each domain's validation split, domains in {@link #domains}' order.
 *
 * @param command the settings every part depends on
 * @param model the base model
 * @param baseParameters parameters of one base-size model
 * @param domains the corpus's domains
 * @param h each domain's histogram h
 * @param generic the generic model at its better learning rate (the baseline)
 * @param genericLearningRates the generic model at every learning rate tried
 * @param genericEqualTime the generic model trained for as long as the soup, or null
 * @param domainExperts one model per domain, the budget split between them
 * @param crisp CRISP-style models for the first domains
 * @param soup the soup and its scores
 * @param fineTuning fine-tuning comparisons for the first domains
 * @param soupWins domains where the soup's specialist beats the generic model
 * @param soupWinsAtEqualTime the same against the generic model at equal time, or -1 without it
 */
record PaperResults(
        String command,
        String model,
        long baseParameters,
        List<String> domains,
        double[][] h,
        PlainRun generic,
        List<PlainRun> genericLearningRates,
        PlainRun genericEqualTime,
        Map<String, DomainModel> domainExperts,
        List<DomainModel> crisp,
        SoupRun soup,
        List<FineTuning> fineTuning,
        int soupWins,
        int soupWinsAtEqualTime) {

    /** A plain model trained for one domain (an expert or a CRISP model) and scored on it. */
    record DomainModel(double seconds, long tokens, double bitsPerByte) {}

    /** One model fine-tuned on a small specialist set. */
    record FineTuned(
            double beforeBitsPerByte,
            double afterBitsPerByte,
            int steps,
            int bestStep,
            long bestTokens,
            double[][] validationCurve) {}

    /** The generic model and the soup's specialist fine-tuned on the same documents of one domain. */
    record FineTuning(long fineTuneTokens, FineTuned generic, FineTuned soup) {}
}
