package org.soupofexperts.core.train;

/**
 * The learning rate of a run, step by step: linear warm-up from 0 over {@code warmupSteps}, then
 * cosine decay from the peak {@code learningRate} to {@code learningRate * minLearningRateRatio} at
 * the last of {@code steps}. Part of a {@link TrainingPlan}, set through its builder. Immutable.
 *
 * @param steps the run's length, at least 1
 * @param learningRate the peak rate of the shared group (other groups scale it), finite and > 0
 * @param minLearningRateRatio the cosine's floor as a fraction of the peak, in [0, 1]
 * @param warmupSteps the warm-up, in [0, steps]
 */
public record LearningRateSchedule(int steps, double learningRate, double minLearningRateRatio, int warmupSteps) {

    /** Checks every value; throws naming the first out of range. */
    public LearningRateSchedule {
        if (steps < 1) {
            throw new IllegalArgumentException("steps must be >= 1, got " + steps);
        }
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("learningRate must be finite and > 0, got " + learningRate);
        }
        if (!(minLearningRateRatio >= 0 && minLearningRateRatio <= 1)) {
            throw new IllegalArgumentException("minLearningRateRatio must be in [0, 1], got " + minLearningRateRatio);
        }
        if (warmupSteps < 0 || warmupSteps > steps) {
            throw new IllegalArgumentException("warmupSteps must be in [0, steps=" + steps + "], got " + warmupSteps);
        }
    }

    /** The warm-up of a run of {@code steps} when none is set: a tenth of them, at most 100. */
    public static int defaultWarmup(int steps) {
        return Math.min(100, steps / 10);
    }

    /** The learning rate at 1-based {@code step}. */
    public double at(int step) {
        if (warmupSteps > 0 && step <= warmupSteps) {
            return learningRate * step / warmupSteps;
        }
        int decaySteps = steps - warmupSteps;
        if (decaySteps <= 0) {
            return learningRate;
        }
        double progress = Math.min(1.0, (double) (step - warmupSteps) / decaySteps);
        double floor = learningRate * minLearningRateRatio;
        return floor + 0.5 * (learningRate - floor) * (1 + Math.cos(Math.PI * progress));
    }
}
