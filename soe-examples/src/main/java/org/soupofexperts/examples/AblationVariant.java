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
        return new AblationVariant(
                newName,
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

    AblationVariant withExperts(int n) {
        return new AblationVariant(
                name,
                n,
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

    AblationVariant withMeta(int s, double b) {
        return new AblationVariant(
                name, experts, s, b, naturalShare, init, output, expertLrScale, expertDecay, warmStartShare, lrScale);
    }

    AblationVariant withInit(ExpertInit i) {
        return new AblationVariant(
                name,
                experts,
                support,
                beta,
                naturalShare,
                i,
                output,
                expertLrScale,
                expertDecay,
                warmStartShare,
                lrScale);
    }

    AblationVariant withOutput(RouterConfig.Output o) {
        return new AblationVariant(
                name,
                experts,
                support,
                beta,
                naturalShare,
                init,
                o,
                expertLrScale,
                expertDecay,
                warmStartShare,
                lrScale);
    }

    AblationVariant withExpertLr(double scale) {
        return new AblationVariant(
                name, experts, support, beta, naturalShare, init, output, scale, expertDecay, warmStartShare, lrScale);
    }

    AblationVariant withExpertDecay(double decay) {
        return new AblationVariant(
                name,
                experts,
                support,
                beta,
                naturalShare,
                init,
                output,
                expertLrScale,
                decay,
                warmStartShare,
                lrScale);
    }

    AblationVariant withWarmStart(double share) {
        return new AblationVariant(
                name, experts, support, beta, naturalShare, init, output, expertLrScale, expertDecay, share, lrScale);
    }

    AblationVariant withLr(double scale) {
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
                scale);
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
