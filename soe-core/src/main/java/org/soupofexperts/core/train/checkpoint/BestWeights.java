package org.soupofexperts.core.train.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.soupofexperts.core.internal.Djl;
import org.soupofexperts.core.train.optimizer.AdamW;

/**
 * Early stopping's memory: the best evaluation so far, with a copy of its parameters when they
 * are to be restored. Not thread-safe; owned by one run.
 */
public final class BestWeights implements AutoCloseable {
    private final NDManager copies;
    private final List<AdamW.Slot> slots;
    private final boolean keep;
    public List<NDArray> snapshot = List.of();
    public double loss = Double.POSITIVE_INFINITY;
    public int step = -1;
    public int sinceImprovement;

    /** Keeps copies of {@code slots} in a sub-manager of {@code manager} when {@code keep}. */
    public BestWeights(NDManager manager, List<AdamW.Slot> slots, boolean keep) {
        this.copies = manager.newSubManager();
        this.slots = slots;
        this.keep = keep;
    }

    /** Records validation loss {@code v} at {@code atStep}; snapshots the weights on a gain of {@code minDelta}. */
    public void offer(double v, int atStep, double minDelta) {
        if (v < loss - minDelta) {
            loss = v;
            step = atStep;
            sinceImprovement = 0;
            if (keep) {
                try (Djl.NoGrad ng = Djl.noGrad()) {
                    replaceSnapshot(NDArray::duplicate);
                }
            }
        } else {
            sinceImprovement++;
        }
    }

    /**
     * Sets the counters of a checkpoint and, if it kept a copy of the best weights, allocates
     * that copy (filled from the checkpoint next).
     */
    public void restoreFrom(CheckpointJson.BestState b) {
        loss = b.loss();
        step = b.step();
        sinceImprovement = b.sinceImprovement();
        if (b.snapshot() && !keep) {
            throw new IllegalArgumentException("the checkpoint keeps the best weights but this run's early"
                    + " stopping does not restore them: resume needs the same config");
        }
        if (b.snapshot()) {
            replaceSnapshot(NDArray::zerosLike);
        } else {
            snapshot.forEach(NDArray::close);
            snapshot = List.of();
        }
    }

    /** Frees the copy of the best weights and makes a new one, one array per slot, in its own manager. */
    private void replaceSnapshot(UnaryOperator<NDArray> copy) {
        snapshot.forEach(NDArray::close);
        List<NDArray> c = new ArrayList<>();
        for (AdamW.Slot s : slots) {
            NDArray d = copy.apply(s.weight());
            NDScope.unregister(d);
            d.attach(copies);
            c.add(d);
        }
        snapshot = c;
    }

    /** Puts the best parameters back in place (the arrays the caller holds stay the same). */
    public void restore() {
        if (!keep || snapshot.isEmpty()) {
            return;
        }
        try (Djl.NoGradScope scope = Djl.noGradScope()) {
            for (int i = 0; i < slots.size(); i++) {
                // A copy into w's own memory, not w*0 + best (after divergence w holds NaN,
                // and NaN*0 is NaN), nor set() (which would repoint w at a Java buffer).
                Checkpoints.copyInto(slots.get(i).weight(), snapshot.get(i).toByteBuffer());
            }
        }
    }

    @Override
    public void close() {
        copies.close();
    }
}
