package org.soupofexperts.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;

import java.util.ArrayList;
import java.util.List;

/**
 * AdamW with per-slot learning-rate scale and weight decay, updating weights in place through
 * LibTorch's Adam kernel (which also zeroes the gradient). The update for weight w, gradient g
 * (already multiplied by {@code gradScale}), step t:
 *
 * <pre>
 *   w -= lr * wd * w
 *   m = b1 m + (1 - b1) g ;  v = b2 v + (1 - b2) g^2
 *   w -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)
 * </pre>
 *
 * Not thread-safe; owned by one training run.
 */
public final class AdamW implements AutoCloseable {

    /** One trained tensor with its hyperparameters. */
    public record Slot(NDArray weight, double lrScale, double weightDecay) {}

    private final List<Slot> slots;
    private final List<NDArray[]> state = new ArrayList<>();
    private final double beta1;
    private final double beta2;
    private final double epsilon;
    private int t;

    public AdamW(List<Slot> slots, double beta1, double beta2, double epsilon) {
        this.slots = List.copyOf(slots);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        for (Slot s : this.slots) {
            NDArray m = s.weight().zerosLike();
            NDArray v = s.weight().zerosLike();
            NDScope.unregister(m, v);
            state.add(new NDArray[] {m, v});
        }
    }

    /** Number of steps taken. */
    public int stepCount() {
        return t;
    }

    /**
     * One update of every slot with peak-scaled rate {@code lr}, the gradients multiplied by
     * {@code gradScale} (global-norm clipping). Gradients are zeroed afterwards.
     */
    public void step(double lr, double gradScale) {
        t++;
        double correction = Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(beta1, t));
        for (int i = 0; i < slots.size(); i++) {
            Slot s = slots.get(i);
            NDArray w = s.weight();
            NDArray[] mv = state.get(i);
            float rate = (float) (lr * s.lrScale());
            try (NDArray grad = w.getGradient()) {
                w.getNDArrayInternal()
                        .adamUpdate(
                                new NDList(w, grad, mv[0], mv[1]),
                                new NDList(w),
                                rate,
                                (float) (rate * correction),
                                (float) s.weightDecay(),
                                (float) gradScale,
                                -1f,
                                (float) beta1,
                                (float) beta2,
                                (float) epsilon,
                                false,
                                true);
            }
        }
    }

    @Override
    public void close() {
        for (NDArray[] mv : state) {
            mv[0].close();
            mv[1].close();
        }
        state.clear();
    }
}
