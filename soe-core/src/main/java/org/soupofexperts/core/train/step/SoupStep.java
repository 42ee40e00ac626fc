package org.soupofexperts.core.train.step;

import ai.djl.ndarray.NDManager;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.nn.GptModel;
import org.soupofexperts.core.nn.Router;
import org.soupofexperts.core.train.TrainingPlan;
import org.soupofexperts.core.train.optimizer.AdamW;
import org.soupofexperts.core.train.optimizer.ParameterSlots;

/**
 * One training step: the loss of a batch whose sequences are split into m groups, group g drawn
 * from the mixture of its domain weights {@code hs[g]}, its gradients, and the optimizer's update.
 * Two implementations give the same update: {@link AutogradStep} (autograd through the whole soup,
 * any device) and {@link AnalyticSoupStep} (the banks' gradients in closed form, inside the fused
 * CPU update). Not thread-safe; owned by one run.
 */
public interface SoupStep extends AutoCloseable {

    /** Runs the step; {@code step} counts from 1 (for messages). Throws if the loss or the gradients are not finite. */
    StepResult run(TokenBatch batch, double[][] hs, double lr, int step);

    /**
     * The step the config asks for, on this run's parameters: {@link TrainingPlan.StepAlgorithm}
     * AUTO takes the closed form where it can run (a soup whose every slot is in the fused update:
     * CPU, float32) and autograd elsewhere; CLOSED_FORM refuses where it cannot run, and so do
     * the options only the closed form has.
     */
    static SoupStep choose(
            GptModel model, Router router, NDManager manager, ParameterSlots slots, AdamW opt, TrainingPlan cfg) {
        StepParts parts = new StepParts(
                model, router, manager, slots, opt, cfg.optimizer().gradClip());
        if (!cfg.devices().isEmpty() && !cfg.devices().get(0).equals(manager.getDevice())) {
            throw new IllegalArgumentException("the first device of data-parallel training must hold the parameters: "
                    + manager.getDevice() + ", got " + cfg.devices().get(0));
        }
        if (cfg.devices().size() > 1) {
            return new DataParallelStep(parts, cfg.devices());
        }
        TrainingPlan.StepAlgorithm algorithm = cfg.soupStep().algorithm();
        boolean closedFormPossible = router != null && opt.allFused();
        if (router != null && algorithm == TrainingPlan.StepAlgorithm.CLOSED_FORM && !closedFormPossible) {
            throw new IllegalArgumentException("StepAlgorithm.CLOSED_FORM needs every parameter in the fused AdamW"
                    + " update (CPU, float32); this soup's parameters are on " + manager.getDevice()
                    + ": use StepAlgorithm.AUTO or AUTOGRAD");
        }
        boolean closedForm = closedFormPossible && algorithm != TrainingPlan.StepAlgorithm.AUTOGRAD;
        boolean closedFormOnly = cfg.soupStep().skipIdleExperts()
                || cfg.soupStep().expertUpdate() == TrainingPlan.ExpertUpdate.SHARED_SECOND_MOMENT;
        if (router != null && !closedForm && closedFormOnly) {
            throw new IllegalArgumentException("skipIdleExperts and ExpertUpdate.SHARED_SECOND_MOMENT need the"
                    + " closed-form soup step (CPU, float32); use ExpertUpdate.ADAM without skipIdleExperts here");
        }
        return closedForm ? new AnalyticSoupStep(parts, cfg.soupStep().skipIdleExperts()) : new AutogradStep(parts);
    }

    /** Times the step's phases on this clock (the default step has none of its own to time). */
    default void timeWith(PhaseClock clock) {}

    /** How the step computes, for the log. */
    String describe();

    /** Frees what the step holds besides the run's parameters (replicas on other devices). */
    @Override
    default void close() {}
}
