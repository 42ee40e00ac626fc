package org.soupofexperts.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;

import org.soupofexperts.core.ExpertInit;
import org.soupofexperts.core.internal.SeedStreams;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Seeded parameter initialisation from the library's own random stream (DJL's initializers
 * draw from a global generator, which would make runs depend on what else the JVM did).
 */
public final class Initializer {

    private Initializer() {}

    /**
     * Sets every tensor's shared part (and bank, when present) in order, drawing from rng.
     * Arrays are created in {@code manager}, require gradients, and are detached from any open
     * {@link NDScope}.
     */
    public static void initialize(
            List<SoupTensor> tensors, NDManager manager, SplittableRandom rng, ExpertInit expertInit) {
        for (SoupTensor t : tensors) {
            float[] s = new float[Math.toIntExact(t.numel())];
            switch (t.init().kind()) {
                case NORMAL:
                    for (int i = 0; i < s.length; i++) {
                        s[i] = (float) (SeedStreams.gaussian(rng) * t.init().std());
                    }
                    break;
                case ONES:
                    java.util.Arrays.fill(s, 1f);
                    break;
                case ZEROS:
                default:
                    break;
            }
            t.shared().setArray(trainable(manager.create(s, t.shape())));
            if (t.bank() != null) {
                long n = t.experts();
                Shape bankShape = new Shape(n, t.numel());
                NDArray bank;
                if (expertInit == ExpertInit.ZEROS) {
                    bank = manager.zeros(bankShape);
                } else {
                    double std = (t.init().kind() == SoupTensor.Init.Kind.NORMAL ? t.init().std() : 0.02)
                            / Math.sqrt(n);
                    float[] e = new float[Math.toIntExact(bankShape.size())];
                    for (int i = 0; i < e.length; i++) {
                        e[i] = (float) (SeedStreams.gaussian(rng) * std);
                    }
                    bank = manager.create(e, bankShape);
                }
                t.bank().setArray(trainable(bank));
            }
        }
    }

    private static NDArray trainable(NDArray a) {
        NDScope.unregister(a);
        a.setRequiresGradient(true);
        return a;
    }
}
