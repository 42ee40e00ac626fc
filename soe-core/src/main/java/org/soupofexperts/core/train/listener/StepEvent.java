package org.soupofexperts.core.train.listener;

/**
 * What one training step did, as given to {@link StepListener}s.
 *
 * @param step 1-based step index
 * @param totalSteps steps of the run
 * @param loss mean next-token loss of the step's batch (nats/token)
 * @param learningRate peak-scaled learning rate used for this step (shared group)
 * @param gradNorm global gradient norm before clipping
 * @param clipped whether clipping scaled the gradient down
 * @param tokensPerSecond throughput since the start of the run
 * @param h the domain weights sampled for this step (of its first group)
 * @param hPerGroup the domain weights of each of the step's m groups (m = 1: {@code {h}})
 * @param elapsedSeconds training time so far (earlier launches of a resumed run included;
 *     validation, probes and checkpoints left out)
 * @param etaSeconds estimated training time left: the mean step time so far times the steps left
 */
public record StepEvent(
        int step,
        int totalSteps,
        double loss,
        double learningRate,
        double gradNorm,
        boolean clipped,
        double tokensPerSecond,
        double[] h,
        double[][] hPerGroup,
        double elapsedSeconds,
        double etaSeconds) {

    /** The progress line the training loop logs: step, loss, rate, gradient norm, throughput, time. */
    public String progressLine() {
        return String.format(
                "step %d/%d loss %.4f lr %.2e grad-norm %.3f %.0f tok/s, %s elapsed, %s left",
                step,
                totalSteps,
                loss,
                learningRate,
                gradNorm,
                tokensPerSecond,
                clock(elapsedSeconds),
                clock(etaSeconds));
    }

    /** Seconds as {@code h:mm:ss} (or {@code m:ss} under an hour), for progress lines. */
    public static String clock(double seconds) {
        if (!(seconds >= 0) || Double.isInfinite(seconds)) {
            return "?";
        }
        long s = Math.round(seconds);
        return s >= 3600
                ? String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format("%d:%02d", s / 60, s % 60);
    }
}
