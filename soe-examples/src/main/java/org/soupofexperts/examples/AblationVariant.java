package org.soupofexperts.examples;

import org.soupofexperts.core.config.ExpertInit;
import org.soupofexperts.core.config.RouterConfig;

/**
 * One soup of the ablation: the meta-distribution, and the optimisation knobs the issue
 * lists (expert initialisation, router output, expert learning rate and decay, warm start).
 */
record AblationVariant(
        String name,
        int experts,
        int support,
        double beta,
        double naturalShare,
        ExpertInit init,
        RouterConfig.Output output,
        double expertLrScale,
        double expertDecay,
        double warmStartShare,
        double lrScale) {

    AblationVariant(String name, int experts, int support, double beta, double naturalShare) {
        this(name, experts, support, beta, naturalShare, ExpertInit.ZEROS, RouterConfig.Output.RAW, 1.0, -1, 0, 1.0);
    }

    AblationVariant named(String newName) {
        Copy c = new Copy(this);
        c.name = newName;
        return c.build();
    }

    AblationVariant withExperts(int n) {
        Copy c = new Copy(this);
        c.experts = n;
        return c.build();
    }

    AblationVariant withMeta(int s, double b) {
        Copy c = new Copy(this);
        c.support = s;
        c.beta = b;
        return c.build();
    }

    AblationVariant withInit(ExpertInit i) {
        Copy c = new Copy(this);
        c.init = i;
        return c.build();
    }

    AblationVariant withOutput(RouterConfig.Output o) {
        Copy c = new Copy(this);
        c.output = o;
        return c.build();
    }

    AblationVariant withExpertLr(double scale) {
        Copy c = new Copy(this);
        c.expertLrScale = scale;
        return c.build();
    }

    AblationVariant withExpertDecay(double decay) {
        Copy c = new Copy(this);
        c.expertDecay = decay;
        return c.build();
    }

    AblationVariant withWarmStart(double share) {
        Copy c = new Copy(this);
        c.warmStartShare = share;
        return c.build();
    }

    AblationVariant withLr(double scale) {
        Copy c = new Copy(this);
        c.lrScale = scale;
        return c.build();
    }

    /** A variant's fields, copied so that a wither changes one and builds the new variant. */
    private static final class Copy {
        String name;
        int experts;
        int support;
        double beta;
        double naturalShare;
        ExpertInit init;
        RouterConfig.Output output;
        double expertLrScale;
        double expertDecay;
        double warmStartShare;
        double lrScale;

        Copy(AblationVariant v) {
            name = v.name;
            experts = v.experts;
            support = v.support;
            beta = v.beta;
            naturalShare = v.naturalShare;
            init = v.init;
            output = v.output;
            expertLrScale = v.expertLrScale;
            expertDecay = v.expertDecay;
            warmStartShare = v.warmStartShare;
            lrScale = v.lrScale;
        }

        AblationVariant build() {
            return new AblationVariant(
                    name,
                    experts,
                    support,
                    beta,
                    naturalShare,
                    init,
                    output,
                    expertLrScale,
                    expertDecay,
                    warmStartShare,
                    lrScale);
        }
    }

    /** Names the finished part; the defaults keep the short form. */
    String key() {
        String k = String.format("soup-n%d-s%d-beta%s-nat%s", experts, support, beta, naturalShare);
        if (init != ExpertInit.ZEROS) {
            k += "-init" + init;
        }
        if (output != RouterConfig.Output.RAW) {
            k += "-router" + output;
        }
        if (expertLrScale != 1.0) {
            k += "-elr" + expertLrScale;
        }
        if (expertDecay >= 0) {
            k += "-ewd" + expertDecay;
        }
        if (warmStartShare > 0) {
            k += "-warm" + warmStartShare;
        }
        if (lrScale != 1.0) {
            k += "-lr" + lrScale;
        }
        return k;
    }
}
