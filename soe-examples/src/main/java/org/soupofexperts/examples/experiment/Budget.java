package org.soupofexperts.examples.experiment;

import org.soupofexperts.core.batch.BatchSource;
import org.soupofexperts.core.batch.MetaDistribution;
import org.soupofexperts.core.train.TrainingPlan;

/**
 * What every model of an experiment shares: batch, context, optimizer settings and seed, so that
 * baselines and soups differ only in what the issue compares.
 */
public record Budget(int batch, int context, double lr, long seed) {

    /** A training config of this budget's settings for {@code steps} steps. */
    public TrainingPlan.Builder config(BatchSource source, MetaDistribution pi, int steps) {
        return TrainingPlan.builder()
                .source(source)
                .metaDistribution(pi)
                .steps(steps)
                .batchSize(batch)
                .contextLength(context)
                .learningRate(lr)
                .logEvery(Math.max(1, steps / 10))
                .seed(seed);
    }
}
