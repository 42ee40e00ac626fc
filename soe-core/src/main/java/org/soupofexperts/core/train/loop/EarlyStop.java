package org.soupofexperts.core.train.loop;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.internal.Djl;
import org.soupofexperts.core.nn.GptModel;
import org.soupofexperts.core.nn.Router;
import org.soupofexperts.core.train.EarlyStopping;
import org.soupofexperts.core.train.TrainingReport.ValidationPoint;
import org.soupofexperts.core.train.checkpoint.BestWeights;

/**
 * Early stopping during one run: the settings checked against the model, the held-out loss at
 * each evaluation, the points recorded, and the decision to stop. Not thread-safe; owned by one
 * run.
 */
final class EarlyStop {

    private static final Logger LOG = LoggerFactory.getLogger(TrainingLoop.class);

    private final EarlyStopping es;
    private final GptModel model;
    private final NDManager manager;

    /** Refuses a soup (its validation loss depends on h) and validation sequences the model cannot take. */
    EarlyStop(EarlyStopping es, Router router, GptModel model, NDManager manager) {
        if (router != null) {
            throw new IllegalArgumentException(
                    "early stopping applies to plain models (a Specialist): a soup's validation loss depends on h");
        }
        int max = model.config().contextLength() + 1;
        if (es.length() < 2 || es.length() > max) {
            throw new IllegalArgumentException("validation sequences must have 2 to " + max
                    + " tokens (the model's context + 1), got " + es.length());
        }
        for (TokenBatch b : es.validation()) {
            model.config().checkTokenIds(b.tokens(), "validation");
        }
        this.es = es;
        this.model = model;
        this.manager = manager;
    }

    /** The evaluation before the first step: recorded at step 0 and offered to {@code best}. */
    void first(BestWeights best, List<ValidationPoint> points) {
        double v = validationLoss();
        points.add(new ValidationPoint(0, 0, v));
        best.offer(v, 0, es.minDelta());
    }

    /**
     * The evaluation after {@code step} of {@code steps} when it is due (every {@code every} steps
     * and at the last), recorded and offered to {@code best}; true when the run should stop here.
     */
    boolean evaluateAndStop(int step, int steps, long tokensPerStep, BestWeights best, List<ValidationPoint> points) {
        if (step % es.every() != 0 && step != steps) {
            return false;
        }
        double v = validationLoss();
        points.add(new ValidationPoint(step, step * tokensPerStep, v));
        best.offer(v, step, es.minDelta());
        if (best.sinceImprovement >= es.patience() && step < steps) {
            LOG.info(String.format(
                    "early stop at step %d: validation %.4f, best %.4f at step %d", step, v, best.loss, best.step));
            return true;
        }
        return false;
    }

    /** Mean held-out loss, without autograd; every temporary is freed. */
    private double validationLoss() {
        double nats = 0;
        long sequences = 0;
        try (Djl.NoGrad ng = Djl.noGrad()) {
            for (TokenBatch b : es.validation()) {
                try (Djl.Scope scope = Djl.scope()) {
                    NDArray tokens = manager.create(b.tokens(), new Shape(b.batchSize(), b.length()));
                    nats += model.loss(tokens, null).getFloat() * b.batchSize();
                    sequences += b.batchSize();
                }
            }
        }
        return nats / sequences;
    }
}
