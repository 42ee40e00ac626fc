package org.soupofexperts.core.train;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.soupofexperts.core.train.listener.SpecializationPoint;
import org.soupofexperts.core.train.listener.SpecializationProbe;

/**
 * What a training run did. Immutable.
 *
 * @param steps steps run (fewer than configured when early stopping, a stop condition or an
 *     interrupt ended the run)
 * @param tokens training tokens consumed (predicted positions)
 * @param seconds wall time of the step loop, earlier launches of a resumed run included; early
 *     stopping's evaluations (with the copy of the best weights), the specialization probe and
 *     checkpoints left out
 * @param losses per-step batch loss (nats/token), one per step run
 * @param clippedFraction fraction of steps whose gradient norm exceeded the clip
 * @param seed seed of the h and data streams
 * @param validation held-out losses measured by {@link EarlyStopping} (empty without it)
 * @param bestStep step of the best validation loss, the one whose parameters are restored (0 =
 *     before training; -1 without early stopping)
 * @param bestValidationLoss the validation loss at {@code bestStep} (NaN without early stopping)
 * @param specialization measurements of the {@link SpecializationProbe} (empty without one)
 * @param phaseMillis mean wall milliseconds per step of each phase of the step, in step order,
 *     over this launch's steps (empty unless {@link TrainingPlan#timePhases}); the phases
 *     depend on the step algorithm ("batch", "router and merge", "forward and backward", ...)
 * @param stopped whether the run ended early on the caller's request ({@link
 *     TrainingPlan#stopWhen} or an interrupt of the training thread)
 */
public record TrainingReport(
        int steps,
        long tokens,
        double seconds,
        float[] losses,
        double clippedFraction,
        long seed,
        List<ValidationPoint> validation,
        int bestStep,
        double bestValidationLoss,
        List<SpecializationPoint> specialization,
        Map<String, Double> phaseMillis,
        boolean stopped) {

    /**
     * One evaluation of the held-out loss.
     *
     * @param step steps done when it was measured (0 = before training)
     * @param tokens training tokens consumed by then
     * @param loss mean held-out loss (nats/token)
     */
    public record ValidationPoint(int step, long tokens, double loss) {}

    public TrainingReport {
        validation = List.copyOf(validation);
        specialization = List.copyOf(specialization);
        phaseMillis = Collections.unmodifiableMap(new LinkedHashMap<>(phaseMillis));
    }

    /** A report without validation points or specialization measurements. */
    public TrainingReport(int steps, long tokens, double seconds, float[] losses, double clippedFraction, long seed) {
        this(
                steps,
                tokens,
                seconds,
                losses,
                clippedFraction,
                seed,
                List.of(),
                -1,
                Double.NaN,
                List.of(),
                Map.of(),
                false);
    }

    /** The last specialization measurement, or null when the run had no probe. */
    public SpecializationPoint lastSpecialization() {
        return specialization.isEmpty() ? null : specialization.get(specialization.size() - 1);
    }

    public double tokensPerSecond() {
        return seconds > 0 ? tokens / seconds : 0;
    }

    /** Mean loss over the last {@code fraction} of steps (at least one step). */
    public double finalLoss(double fraction) {
        int n = Math.max(1, (int) Math.round(losses.length * fraction));
        double s = 0;
        for (int i = losses.length - n; i < losses.length; i++) {
            s += losses[i];
        }
        return s / n;
    }

    @Override
    public String toString() {
        return String.format(
                "TrainingReport{steps=%d, tokens=%d, seconds=%.1f, tokens/s=%.0f, final loss=%.4f, clipped=%.2f%s%s%s}",
                steps,
                tokens,
                seconds,
                tokensPerSecond(),
                losses.length == 0 ? Double.NaN : finalLoss(0.1),
                clippedFraction,
                validation.isEmpty()
                        ? ""
                        : String.format(", best validation %.4f at step %d", bestValidationLoss(), bestStep),
                specialization.isEmpty() ? "" : ", specialization at " + lastSpecialization(),
                stopped ? ", stopped on request" : "");
    }
}
