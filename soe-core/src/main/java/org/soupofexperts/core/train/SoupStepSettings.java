package org.soupofexperts.core.train;

import java.util.Objects;
import org.soupofexperts.core.train.TrainingPlan.ExpertUpdate;
import org.soupofexperts.core.train.TrainingPlan.MomentPrecision;
import org.soupofexperts.core.train.TrainingPlan.StepAlgorithm;

/**
 * How a soup's training step is formed, in a {@link TrainingPlan}: m domain weights per step, the
 * experts' update and the precision of their moments, and the algorithm that forms the banks'
 * gradients. A dense model's run ignores it. Set through the plan's builder. Immutable.
 *
 * @param hPerStep m, the independent domain weights drawn per step (the batch is split into m equal
 *     groups), at least 1
 * @param expertUpdate how the experts' AdamW step is formed
 * @param bankMoments the precision of the expert banks' AdamW moments
 * @param skipIdleExperts whether an expert whose alpha is exactly 0 in every group of a step is left
 *     untouched that step (no moment decay, no weight decay): with one-hot or sparse h and a router
 *     that can output exact zeros, an unseen domain's expert then keeps its state
 * @param algorithm how the banks' gradients are computed
 */
public record SoupStepSettings(
        int hPerStep,
        ExpertUpdate expertUpdate,
        MomentPrecision bankMoments,
        boolean skipIdleExperts,
        StepAlgorithm algorithm) {

    /** Checks every value. */
    public SoupStepSettings {
        if (hPerStep < 1) {
            throw new IllegalArgumentException("hPerStep must be >= 1, got " + hPerStep);
        }
        Objects.requireNonNull(expertUpdate, "expertUpdate");
        Objects.requireNonNull(bankMoments, "bankMoments");
        Objects.requireNonNull(algorithm, "stepAlgorithm");
    }

    /**
     * The number of groups m for the builder's hPerStep setting ({@link TrainingPlan#PER_SEQUENCE}:
     * one per sequence); it must divide the batch size.
     */
    static int groups(int hPerStep, int batchSize) {
        int m = hPerStep == TrainingPlan.PER_SEQUENCE ? batchSize : hPerStep;
        if (m < 1 || m > batchSize || batchSize % m != 0) {
            throw new IllegalArgumentException("hPerStep must divide the batch size " + batchSize
                    + " (1 = one h per step, " + batchSize + " = one per sequence), got " + hPerStep);
        }
        return m;
    }

    /** What needs the fused AdamW kernel, refused without it. */
    void checkFusedNeeds(boolean fused) {
        if (algorithm == StepAlgorithm.CLOSED_FORM && !fused) {
            throw new IllegalArgumentException("StepAlgorithm.CLOSED_FORM forms the experts' update inside the fused"
                    + " AdamW kernel; it needs fusedUpdate(true)");
        }
        if (bankMoments == MomentPrecision.BFLOAT16 && !fused) {
            throw new IllegalArgumentException(
                    "bfloat16 bank moments are written by the fused AdamW kernel; they need fusedUpdate(true)");
        }
    }

    /** Data parallelism needs equal shares of the batch and of the groups, and the autograd step. */
    void checkDataParallel(int replicas, int batchSize) {
        if (batchSize % replicas != 0) {
            throw new IllegalArgumentException("data-parallel training over " + replicas
                    + " devices needs a batch size divisible by " + replicas + ", got " + batchSize);
        }
        if (hPerStep != 1 && hPerStep % replicas != 0) {
            throw new IllegalArgumentException("data-parallel training over " + replicas + " devices spreads the "
                    + hPerStep + " groups of domain weights over them: use one h per step or a multiple of "
                    + replicas + " groups");
        }
        if (algorithm == StepAlgorithm.CLOSED_FORM || skipIdleExperts || expertUpdate != ExpertUpdate.ADAM) {
            throw new IllegalArgumentException("data-parallel training takes the autograd step: use StepAlgorithm"
                    + " AUTO or AUTOGRAD, ExpertUpdate.ADAM and no skipIdleExperts");
        }
    }
}
