package org.soupofexperts.core.train;

/**
 * What a training run did. Immutable.
 *
 * @param steps steps run
 * @param tokens training tokens consumed (predicted positions)
 * @param seconds wall time of the step loop
 * @param losses per-step batch loss (nats/token)
 * @param clippedFraction fraction of steps whose gradient norm exceeded the clip
 * @param seed seed of the h and data streams
 */
public record TrainingReport(
        int steps, long tokens, double seconds, float[] losses, double clippedFraction, long seed) {

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
                "TrainingReport{steps=%d, tokens=%d, seconds=%.1f, tokens/s=%.0f, final loss=%.4f,"
                        + " clipped=%.2f}",
                steps, tokens, seconds, tokensPerSecond(), losses.length == 0 ? Double.NaN : finalLoss(0.1),
                clippedFraction);
    }
}
