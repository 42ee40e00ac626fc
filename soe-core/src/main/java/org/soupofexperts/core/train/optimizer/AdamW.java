package org.soupofexperts.core.train.optimizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import java.nio.FloatBuffer;
import java.util.List;
import org.soupofexperts.core.train.AdamWSettings;
import org.soupofexperts.core.train.TrainingPlan;

/**
 * AdamW with per-slot learning-rate scale and weight decay, updating weights in place: on the
 * CPU by a fused one-pass kernel over the tensors' memory ({@link FusedAdamKernel}), elsewhere
 * through LibTorch's Adam kernel; both also zero the gradient. The update for weight w, gradient g
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

    /**
     * One trained tensor with its hyperparameters.
     *
     * @param sharedMomentOf index of an earlier slot whose second moment this slot's update divides
     *     by instead of its own (the slot then has none), or -1 for its own: how an expert bank of
     *     shape (n, P) shares the second moment of its shared tensor (P values); see
     *     {@link TrainingPlan.ExpertUpdate#SHARED_SECOND_MOMENT}
     * @param bfloat16Moments whether the slot's own moments are kept in bfloat16 (half the
     *     bytes, written with stochastic rounding; needs the fused CPU update), see
     *     {@link TrainingPlan.Builder#bankMoments}
     */
    public record Slot(
            NDArray weight, double lrScale, double weightDecay, int sharedMomentOf, boolean bfloat16Moments) {

        /** A slot with its own float32 moments. */
        public Slot(NDArray weight, double lrScale, double weightDecay) {
            this(weight, lrScale, weightDecay, -1, false);
        }

        /** A slot with float32 moments that may share an earlier slot's second moment. */
        public Slot(NDArray weight, double lrScale, double weightDecay, int sharedMomentOf) {
            this(weight, lrScale, weightDecay, sharedMomentOf, false);
        }
    }

    private final List<Slot> slots;
    private final SlotState state;

    private boolean closed;
    private final double beta1;
    private final double beta2;
    private final double epsilon;
    private int t;

    public AdamW(List<Slot> slots, double beta1, double beta2, double epsilon) {
        this(slots, beta1, beta2, epsilon, true);
    }

    /** With the plan's settings: betas, epsilon and whether to try the fused update. */
    public AdamW(List<Slot> slots, AdamWSettings settings) {
        this(slots, settings.beta1(), settings.beta2(), settings.epsilon(), settings.fused());
    }

    /** With {@code tryFused} false, always LibTorch's kernel ({@link AdamWSettings#fused}). */
    public AdamW(List<Slot> slots, double beta1, double beta2, double epsilon, boolean tryFused) {
        this.slots = List.copyOf(slots);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        this.state = new SlotState(this.slots, tryFused);
    }

    /**
     * The engine's type of an array that holds bfloat16 moments: their bits, 2 bytes per value, in
     * a float16 array that only the fused kernel reads (through its memory) and checkpoints copy.
     * Not {@code BFLOAT16}: DJL 0.35.1's PyTorch engine aborts the JVM ("terminate called without
     * an active exception") when it makes a bfloat16 or int16 array, by {@code zeros} or {@code
     * toType}; float16 works, and zero is all-zero bits in both formats.
     */
    public static final DataType BFLOAT16_CARRIER = DataType.FLOAT16;

    /** Whether slot i is updated by the fused one-pass kernel. */
    boolean fused(int i) {
        return state.view(i) != null;
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
        if (closed) {
            throw new IllegalStateException("this optimizer is closed; its state has been freed");
        }
        step(lr, gradScale, Gradients.own(slots.size()), false);
    }

    /**
     * The optimizer's state arrays for a checkpoint, in slot order: each slot's first moment, then
     * its second moment unless it shares an earlier slot's. Live arrays: setting them restores.
     */
    public List<NDArray> stateArrays() {
        return state.arrays();
    }

    /** Sets the step count (bias correction) of a resumed run. */
    public void restoreStepCount(int steps) {
        if (steps < 0) {
            throw new IllegalArgumentException("step count must be >= 0, got " + steps);
        }
        t = steps;
    }

    /** Whether every slot is updated by the fused kernel (the closed-form soup step needs it). */
    public boolean allFused() {
        return state.allFused();
    }

    /**
     * One update from {@code gradients} (see {@link Gradients}: per slot its weight's own, a given
     * one, or a bank's groups' gradients with their alpha). With {@code skipIdle}, experts whose
     * alpha is 0 in every group are not touched. Given gradients are not zeroed; the weights' own
     * are.
     */
    public void step(double lr, double gradScale, Gradients gradients, boolean skipIdle) {
        if (closed) {
            throw new IllegalStateException("this optimizer is closed; its state has been freed");
        }
        if (gradients.slots() != slots.size()) {
            throw new IllegalArgumentException(
                    "gradients for " + gradients.slots() + " slots, this optimizer has " + slots.size());
        }
        t++;
        double correction = Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(beta1, t));
        for (int i = 0; i < slots.size(); i++) {
            float rate = (float) (lr * slots.get(i).lrScale());
            Rates r = new Rates(rate, (float) (rate * correction), (float) gradScale);
            if (gradients.given(i) != null) {
                updateGiven(i, gradients.given(i), gradients.alpha(i), gradients.groups(), skipIdle, r);
            } else {
                updateOwn(i, r);
            }
        }
    }

    /** A step's learning rate of a slot, the same with Adam's bias correction, and the gradient scale. */
    private record Rates(float rate, float corrected, float gradScale) {}

    /** Updates slot i from a given gradient (a bank's: the m groups' G with their alpha) by the fused kernel. */
    private void updateGiven(int i, NDArray grad, float[] bankAlpha, int groups, boolean skipIdle, Rates r) {
        Slot s = slots.get(i);
        SlotState.View view = state.view(i);
        FloatBuffer g = view == null ? null : FusedAdamKernel.buffer(grad);
        if (g == null) {
            throw new IllegalStateException(
                    "slot " + i + " cannot take a given gradient: no direct view of its memory");
        }
        float decay = (float) s.weightDecay();
        if (bankAlpha != null) {
            FusedAdamKernel.updateBank(
                    view.w(),
                    g,
                    bankAlpha,
                    groups,
                    view.m().reseeded(seed(i, 0)),
                    view.v().reseeded(seed(i, 1)),
                    s.sharedMomentOf() >= 0,
                    skipIdle,
                    r.rate(),
                    r.corrected(),
                    decay,
                    r.gradScale(),
                    (float) beta1,
                    (float) beta2,
                    (float) epsilon);
        } else if (s.sharedMomentOf() >= 0) {
            throw new IllegalStateException("slot " + i + " shares a second moment: it needs a bank gradient");
        } else {
            // Not zeroed: the bank slot of the same tensor reads this gradient next.
            fused(i, view, g, r, decay, false);
        }
    }

    /**
     * Updates slot i from its weight's own gradient: the fused kernel where it can, LibTorch's Adam
     * kernel elsewhere.
     */
    private void updateOwn(int i, Rates r) {
        Slot s = slots.get(i);
        NDArray w = s.weight();
        NDArray[] mv = state.moments(i);
        if (s.sharedMomentOf() >= 0) {
            throw new IllegalStateException(
                    "slot " + i + " shares a second moment: it is updated by the closed-form soup step only");
        }
        float decay = (float) s.weightDecay();
        try (NDArray grad = w.getGradient()) {
            SlotState.View view = state.checkedView(i, grad);
            FloatBuffer g = view == null ? null : FusedAdamKernel.buffer(grad);
            if (g != null && g.capacity() == view.w().capacity()) {
                fused(i, view, g, r, decay, true);
                return;
            }
            w.getNDArrayInternal()
                    .adamUpdate(
                            new NDList(w, grad, mv[0], mv[1]),
                            new NDList(w),
                            r.rate(),
                            r.corrected(),
                            decay,
                            r.gradScale(),
                            -1f,
                            (float) beta1,
                            (float) beta2,
                            (float) epsilon,
                            false,
                            true);
        }
    }

    /** The fused one-pass update of one slot's views (w, m, v) from gradient g. */
    private void fused(int i, SlotState.View view, FloatBuffer g, Rates r, float decay, boolean zeroGrad) {
        FusedAdamKernel.update(
                view.w(),
                g,
                view.m().reseeded(seed(i, 0)),
                view.v().reseeded(seed(i, 1)),
                r.rate(),
                r.corrected(),
                decay,
                r.gradScale(),
                (float) beta1,
                (float) beta2,
                (float) epsilon,
                zeroGrad);
    }

    /**
     * The rounding seed of slot i's first (0) or second (1) moment at this step: every step and
     * moment rounds with other random numbers, the same in every run.
     */
    private int seed(int i, int moment) {
        long h = (t * 0x9E3779B97F4A7C15L) ^ ((2L * i + moment) * 0xC2B2AE3D27D4EB4FL);
        h ^= h >>> 29;
        h *= 0xBF58476D1CE4E5B9L;
        return (int) (h ^ (h >>> 32));
    }

    @Override
    public void close() {
        state.close();
        closed = true;
    }
}
