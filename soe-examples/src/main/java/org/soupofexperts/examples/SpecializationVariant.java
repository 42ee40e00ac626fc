package org.soupofexperts.examples;

import java.util.ArrayList;
import java.util.List;
import org.soupofexperts.core.config.RouterConfig;
import org.soupofexperts.core.train.TrainingPlan;

/**
 * One soup of {@link SpecializationAblations}: domain weights per step m ({@code 0}: one h per
 * sequence), router output, meta-distribution, natural share, the experts' learning-rate scale and
 * update rule, and bank moments; its key names its finished part.
 */
record SpecializationVariant(
        String name,
        int m,
        RouterConfig.Output output,
        String meta,
        double naturalShare,
        double expertLr,
        TrainingPlan.ExpertUpdate update,
        boolean bf16Moments) {

    SpecializationVariant(
            String name,
            int m,
            RouterConfig.Output output,
            String meta,
            double naturalShare,
            double expertLr,
            TrainingPlan.ExpertUpdate update) {
        this(name, m, output, meta, naturalShare, expertLr, update, false);
    }

    String key() {
        return String.format("soup-m%d-%s-%s-nat%s-elr%s-%s", m, output, meta, naturalShare, expertLr, update)
                + (bf16Moments ? "-bf16" : "");
    }

    /** This soup with its bank moments in bfloat16 (its name and key say so). */
    SpecializationVariant halfMoments() {
        return new SpecializationVariant(
                name + ", bf16 bank moments", m, output, meta, naturalShare, expertLr, update, true);
    }

    static List<SpecializationVariant> variants(int n) {
        RouterConfig.Output raw = RouterConfig.Output.RAW;
        RouterConfig.Output softmax = RouterConfig.Output.SOFTMAX;
        TrainingPlan.ExpertUpdate adam = TrainingPlan.ExpertUpdate.ADAM;
        double invSqrt = 1 / Math.sqrt(n);
        // Most telling first: an interrupted run has the rows that matter most. The softmax router won
        // over raw alpha (first rows), so the later rows vary one setting of the softmax soup.
        return List.of(
                new SpecializationVariant("one h per sequence (m=16), raw alpha", 0, raw, "onehot", 0.25, 1, adam),
                new SpecializationVariant("one h per step (m=1), raw alpha", 1, raw, "onehot", 0.25, 1, adam),
                new SpecializationVariant("m=16, softmax router", 0, softmax, "onehot", 0.25, 1, adam),
                new SpecializationVariant(
                        "m=16, raw alpha, expert lr x1/sqrt(n)", 0, raw, "onehot", 0.25, invSqrt, adam),
                new SpecializationVariant("m=16, softmax, natural share 0.5", 0, softmax, "onehot", 0.5, 1, adam),
                new SpecializationVariant(
                        "m=16, softmax, experts share S's second moment",
                        0,
                        softmax,
                        "onehot",
                        0.25,
                        1,
                        TrainingPlan.ExpertUpdate.SHARED_SECOND_MOMENT),
                new SpecializationVariant("m=4, softmax", 4, softmax, "onehot", 0.25, 1, adam),
                new SpecializationVariant(
                        "m=16, softmax, Dirichlet(3) over all domains", 0, softmax, "dirichlet3", 0.25, 1, adam),
                new SpecializationVariant(
                        "m=1, softmax, Dirichlet(3), expert lr x1/sqrt(n) (the previous defaults)",
                        1,
                        softmax,
                        "dirichlet3",
                        0.25,
                        invSqrt,
                        adam));
    }

    /** The library's defaults (softmax router, one-hot h or the natural mixture half each) at each m. */
    static List<SpecializationVariant> groupVariants(List<Integer> ms, int batch) {
        List<SpecializationVariant> v = new ArrayList<>();
        for (int m : ms) {
            if (m < 1 || batch % m != 0) {
                throw new IllegalArgumentException("--groups " + m + " does not divide --batch " + batch);
            }
            v.add(new SpecializationVariant(
                    "m=" + m + " (batch " + batch + "), library defaults",
                    m,
                    RouterConfig.Output.SOFTMAX,
                    "onehot",
                    0.5,
                    1,
                    TrainingPlan.ExpertUpdate.ADAM));
        }
        return v;
    }
}
