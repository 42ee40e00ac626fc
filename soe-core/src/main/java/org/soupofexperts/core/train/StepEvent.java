package org.soupofexperts.core.train;

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
        double[][] hPerGroup) {}
