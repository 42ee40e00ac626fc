package org.soupofexperts.core.train;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * AdamW's settings in a {@link TrainingPlan}: moment decay rates, epsilon, global-norm clipping,
 * learning-rate multipliers and decoupled weight decay per {@link ParamGroup}, and whether each
 * parameter is updated in one Java pass over its memory. Set through the plan's builder.
 * Immutable.
 *
 * @param beta1 the first moment's decay rate, in [0, 1)
 * @param beta2 the second moment's decay rate, in [0, 1)
 * @param epsilon added to the second moment's root, finite and > 0
 * @param gradClip the maximum global gradient norm, 0 for no clipping
 * @param learningRateScales the multipliers set per group (a group not set: see {@link
 *     #learningRateScale(ParamGroup, int)})
 * @param weightDecays the decay set per group (a group not set: 0.1)
 * @param fused whether each parameter is updated in one Java pass over its memory where it can (CPU,
 *     float32), rather than by LibTorch's Adam kernel
 */
public record AdamWSettings(
        double beta1,
        double beta2,
        double epsilon,
        double gradClip,
        Map<ParamGroup, Double> learningRateScales,
        Map<ParamGroup, Double> weightDecays,
        boolean fused) {

    /** The decay of a group's matrices when none is set. */
    public static final double DEFAULT_WEIGHT_DECAY = 0.1;

    /** Checks every value (throws naming the first out of range) and copies the maps. */
    public AdamWSettings {
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("Adam betas must be in [0, 1), got " + beta1 + ", " + beta2);
        }
        if (!(gradClip >= 0) || Double.isInfinite(gradClip)) {
            throw new IllegalArgumentException("gradClip must be >= 0 (0 turns clipping off), got " + gradClip);
        }
        if (!(epsilon > 0) || Double.isInfinite(epsilon)) {
            throw new IllegalArgumentException("epsilon must be finite and > 0, got " + epsilon);
        }
        learningRateScales = copy(learningRateScales, "learning-rate scale");
        weightDecays = copy(weightDecays, "weight decay");
    }

    private static Map<ParamGroup, Double> copy(Map<ParamGroup, Double> set, String what) {
        EnumMap<ParamGroup, Double> m = new EnumMap<>(ParamGroup.class);
        set.forEach((g, v) -> m.put(g, checkGroupValue(what, g, v)));
        return Collections.unmodifiableMap(m);
    }

    /** A group's learning-rate scale or decay: finite and >= 0. */
    static double checkGroupValue(String what, ParamGroup g, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(what + " of " + g + " must be >= 0, got " + v);
        }
        return v;
    }

    /** Learning-rate multiplier of a group as set, or 1 (see {@link #learningRateScale(ParamGroup, int)}). */
    public double learningRateScale(ParamGroup g) {
        return learningRateScales.getOrDefault(g, 1.0);
    }

    /**
     * Learning-rate multiplier of a group in a soup of n experts: as set, or by default 1 for every
     * group. With the default softmax router the alphas sum to 1, so however many experts there are
     * the instantiated weights move by a convex combination of the experts' steps; with one h per
     * sequence, experts at the shared rate won the ablations of docs/results.md (the older default,
     * 1/sqrt(n), came from runs with one h per step and raw alpha, where the merged weights moved
     * with the sum of |alpha|; set it with {@code learningRateScale(EXPERTS, ...)} for raw alpha and
     * many experts).
     */
    public double learningRateScale(ParamGroup g, int experts) {
        Double set = learningRateScales.get(g);
        if (set != null) {
            return set;
        }
        return g == ParamGroup.EXPERTS ? defaultExpertLearningRateScale(experts) : 1.0;
    }

    /** The experts' learning-rate scale in a soup of n experts when none is set: 1. */
    public static double defaultExpertLearningRateScale(int experts) {
        return 1.0;
    }

    /** Decoupled weight decay of a group's matrices (default 0.1; biases and norms never decay). */
    public double weightDecay(ParamGroup g) {
        return weightDecays.getOrDefault(g, DEFAULT_WEIGHT_DECAY);
    }
}
