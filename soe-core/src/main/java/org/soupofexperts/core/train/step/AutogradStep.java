package org.soupofexperts.core.train.step;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.internal.Djl;
import org.soupofexperts.core.train.optimizer.ParameterSlots;

/**
 * The step by autograd through the whole soup (or through a plain model, with no router): runs on
 * every device, at the cost of a bank-sized gradient per bank. Not thread-safe; owned by one run.
 */
public final class AutogradStep extends BaseStep {

    AutogradStep(StepParts p) {
        super(p);
    }

    @Override
    public StepResult run(TokenBatch tb, double[][] hs, double lr, int step) {
        try (Djl.Scope scope = Djl.scope();
                GradientCollector gc = Djl.engine().newGradientCollector()) {
            NDArray tokens = manager.create(tb.tokens(), new Shape(tb.batchSize(), tb.length()));
            NDArray alpha = router == null ? null : router.alpha(BaseStep.domainWeights(manager, hs));
            NDArray lossArray = model.loss(tokens, alpha);
            gc.backward(lossArray);
            double loss = lossArray.getFloat();
            clock.lap("forward and backward");
            double norm = ParameterSlots.globalNorm(slots.all());
            if (!Double.isFinite(loss) || !Double.isFinite(norm)) {
                ParameterSlots.zeroGradients(slots.all());
                throw StepResult.diverged(step, loss, norm);
            }
            double scale = StepResult.clipScale(norm, clip);
            opt.step(lr, scale);
            clock.lap("norm and update");
            return new StepResult(loss, norm, scale < 1.0);
        }
    }

    @Override
    public String describe() {
        return router == null ? "plain model (autograd)" : "autograd through the banks";
    }
}
