package org.soupofexperts.examples.experiment;

import java.util.List;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.train.TrainingReport;
import org.soupofexperts.core.train.listener.SpecializationPoint;

/**
 * A trained soup as an experiment keeps it: how it trained (time, tokens, training curve, the
 * specialization probe's points), its size, and its {@link SoupScores}.
 *
 * @param seconds training time
 * @param tokens training tokens
 * @param storedParameters everything the soup stores (shared, experts, router)
 * @param bankParameters the experts' values
 * @param losses training loss per step (nats per token, at each step's sampled h)
 * @param specialization the probe's measurements during training (empty without a probe)
 * @param scores the soup's losses after training
 */
public record SoupRun(
        double seconds,
        long tokens,
        long storedParameters,
        long bankParameters,
        float[] losses,
        List<SpecializationPoint> specialization,
        SoupScores scores) {

    /** The record of {@code soup}, just trained (its {@link SoupOfExperts#lastReport()}), with its scores. */
    public static SoupRun of(SoupOfExperts soup, SoupScores scores) {
        TrainingReport r = soup.lastReport();
        return new SoupRun(
                r.seconds(),
                r.tokens(),
                soup.parameterCount(),
                soup.bankParameterCount(),
                r.losses(),
                List.copyOf(r.specialization()),
                scores);
    }

    /** The same run with its training time set to {@code total} (a run of several phases). */
    public SoupRun withSeconds(double total) {
        return new SoupRun(total, tokens, storedParameters, bankParameters, losses, specialization, scores);
    }
}
