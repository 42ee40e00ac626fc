package org.soupofexperts.examples.experiment;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.soupofexperts.core.DenseModel;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.train.TrainingReport;
import org.soupofexperts.data.eval.Evaluation;
import org.soupofexperts.data.sample.MetaDistributions;

/**
 * A plain model trained on the natural mixture (the generic model), as an experiment keeps it:
 * its learning rate and budget, its training time, its loss at the natural mixture and on every
 * domain (bits per byte on the validation splits) and its training curve.
 *
 * @param lr peak learning rate
 * @param steps training steps
 * @param seconds training time
 * @param tokens training tokens
 * @param naturalBitsPerByte loss at the natural mixture
 * @param perDomainBitsPerByte loss on each domain's validation split, in the store's domain order
 * @param losses training loss per step (nats per token)
 */
public record PlainRun(
        double lr,
        int steps,
        double seconds,
        long tokens,
        double naturalBitsPerByte,
        double[] perDomainBitsPerByte,
        float[] losses) {

    /** Trains a generic model of {@code model} for {@code steps} steps at the budget's rate and scores it. */
    public static PlainRun generic(ModelConfig model, ExperimentData data, Budget budget, int steps, int windows) {
        try {
            return generic(model, data, budget, steps, windows, null);
        } catch (IOException e) {
            throw new IllegalStateException("nothing is saved, so nothing can fail to be written", e);
        }
    }

    /** As {@link #generic(ModelConfig, ExperimentData, Budget, int, int)}; saves the model to {@code saveTo}. */
    public static PlainRun generic(
            ModelConfig model, ExperimentData data, Budget budget, int steps, int windows, Path saveTo)
            throws IOException {
        try (DenseModel g = DenseModel.create(model, budget.seed())) {
            TrainingReport r = g.train(budget.config(data.sampler, MetaDistributions.fixed(data.natural), steps)
                    .build());
            Evaluation.Table t = Evaluation.table(g::loss, data.store, budget.context(), windows);
            if (saveTo != null) {
                g.save(saveTo);
            }
            return new PlainRun(
                    budget.lr(),
                    steps,
                    r.seconds(),
                    r.tokens(),
                    t.natural().bitsPerByte(),
                    t.perDomain().stream()
                            .mapToDouble(Evaluation.Loss::bitsPerByte)
                            .toArray(),
                    r.losses());
        }
    }

    /** The mean of the per-domain losses: the model's "specialized" loss, one model for every domain. */
    public double specialized() {
        return Arrays.stream(perDomainBitsPerByte).average().orElse(Double.NaN);
    }
}
