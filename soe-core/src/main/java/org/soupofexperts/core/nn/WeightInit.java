package org.soupofexperts.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.soupofexperts.core.config.ExpertInit;
import org.soupofexperts.core.config.Seeds;
import org.soupofexperts.core.config.TensorLayout;
import org.soupofexperts.core.config.TensorSpec;
import org.soupofexperts.core.internal.Djl;

/**
 * Seeded parameter initialisation from the library's own random stream (DJL's initializers
 * draw from a global generator, which would make runs depend on what else the JVM did).
 */
public final class WeightInit {

    private WeightInit() {}

    /**
     * Sets every tensor's shared part (and bank, when present) in order: shared parts draw from
     * {@code rng}, expert banks from {@code expertRng}, so that the shared parameters (and what is
     * drawn after them, such as the router) are the same whatever the experts are: dense or
     * low-rank, of any rank, zero or noise. Arrays are created in {@code manager}, require
     * gradients, and are detached from any open {@link NDScope}.
     */
    public static void initialize(
            List<SoupTensor> tensors,
            NDManager manager,
            SplittableRandom rng,
            SplittableRandom expertRng,
            ExpertInit expertInit) {
        for (SoupTensor t : tensors) {
            float[] s = new float[Math.toIntExact(t.numel())];
            switch (t.init().kind()) {
                case NORMAL:
                    for (int i = 0; i < s.length; i++) {
                        s[i] = (float) (Seeds.gaussian(rng) * t.init().std());
                    }
                    break;
                case ONES:
                    Arrays.fill(s, 1f);
                    break;
                case ZEROS:
                default:
                    break;
            }
            t.shared().setArray(trainable(manager.create(s, t.shape())));
            if (t.bank() instanceof ExpertBank.LowRank l) {
                initLowRank(t, l, manager, expertRng, expertInit);
            } else if (t.bank() instanceof ExpertBank.Dense d) {
                NDArray bank = expertInit == ExpertInit.ZEROS
                        ? manager.zeros(d.shape())
                        : manager.create(gaussian(expertRng, d.shape().size(), expertStd(t)), d.shape());
                d.weights().setArray(trainable(bank));
            }
        }
    }

    /** Scaled noise of one expert: the base init's std over sqrt(n), so the sum keeps its scale. */
    private static double expertStd(SoupTensor t) {
        return (t.init().kind() == TensorSpec.Init.Kind.NORMAL ? t.init().std() : TensorLayout.STD)
                / Math.sqrt(t.experts());
    }

    /**
     * Low-rank experts E_j = U_j V_j^T. V is always noise of std 1/sqrt(r): with both factors at
     * zero neither would ever get a gradient (dU_j = alpha_j G V_j, dV_j = alpha_j G^T U_j), and
     * this scale makes a unit change of U's entries move E_j's entries by about one unit, as a
     * dense expert's would. U starts at zero ({@link ExpertInit#ZEROS}, so E_j = 0 as for dense
     * experts) or with the dense expert's std ({@link ExpertInit#SCALED_NOISE}, so E_j has it too).
     */
    private static void initLowRank(
            SoupTensor t, ExpertBank.LowRank l, NDManager manager, SplittableRandom rng, ExpertInit expertInit) {
        Shape uShape = l.uShape();
        Shape vShape = l.vShape();
        NDArray u = expertInit == ExpertInit.ZEROS
                ? manager.zeros(uShape)
                : manager.create(gaussian(rng, uShape.size(), expertStd(t)), uShape);
        NDArray v = manager.create(gaussian(rng, vShape.size(), 1 / Math.sqrt(l.rank())), vShape);
        l.u().setArray(trainable(u));
        l.v().setArray(trainable(v));
    }

    private static float[] gaussian(SplittableRandom rng, long size, double std) {
        float[] e = new float[Math.toIntExact(size)];
        for (int i = 0; i < e.length; i++) {
            e[i] = (float) (Seeds.gaussian(rng) * std);
        }
        return e;
    }

    private static NDArray trainable(NDArray fromJava) {
        NDArray a = Djl.engineOwned(fromJava);
        NDScope.unregister(a);
        a.setRequiresGradient(true);
        return a;
    }
}
