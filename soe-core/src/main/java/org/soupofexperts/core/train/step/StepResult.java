package org.soupofexperts.core.train.step;

/**
 * What one training step did: the batch's mean loss (nats/token) before the update, the global
 * gradient norm before clipping, and whether clipping scaled the update.
 */
public record StepResult(double loss, double gradNorm, boolean clipped) {

    /**
     * The error of a diverged step. The caller first zeroes the gradients: the optimizer is what
     * clears them, and without a step they would poison the next run on this soup.
     */
    static IllegalStateException diverged(int step, double loss, double norm) {
        return new IllegalStateException("training diverged at step " + step + ": loss=" + loss + ", gradient norm="
                + norm + "; lower the learning rate or enable gradClip");
    }

    /** The factor that scales the update so that the gradient norm is at most {@code clip} (0: no clipping). */
    static double clipScale(double norm, double clip) {
        return clip > 0 && norm > clip ? clip / norm : 1.0;
    }
}
