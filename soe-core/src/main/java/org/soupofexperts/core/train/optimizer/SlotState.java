package org.soupofexperts.core.train.optimizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * AdamW's state: each slot's first and second moment (float32, or bfloat16 bits), a second moment
 * shared with an earlier slot where the slot says so, and, where the fused kernel can run, direct
 * views of each slot's weight and moments. Not thread-safe; owned by one {@link AdamW}.
 */
final class SlotState implements AutoCloseable {

    /** Direct views of one slot's weight and moments for the fused kernel. */
    record View(FloatBuffer w, Moments m, Moments v) {}

    private final List<AdamW.Slot> slots;
    private final List<NDArray[]> state = new ArrayList<>();
    /** Per slot: direct views of w, m, v for the fused kernel, or null to use LibTorch's kernel. */
    private final List<View> views = new ArrayList<>();
    /** Per slot: whether the gradient's direct buffer was checked to be its memory (first step). */
    private final boolean[] gradChecked;

    /** Zero moments for every slot; with {@code tryFused}, direct views where the kernel can run. */
    SlotState(List<AdamW.Slot> slots, boolean tryFused) {
        this.slots = slots;
        for (int i = 0; i < slots.size(); i++) {
            AdamW.Slot s = slots.get(i);
            NDArray m = moment(s);
            int from = s.sharedMomentOf();
            if (from >= i || from < -1) {
                m.close();
                close();
                throw new IllegalArgumentException(
                        "slot " + i + " can share the second moment of an earlier slot only, got " + from);
            }
            NDArray v = from >= 0 ? state.get(from)[1] : moment(s);
            if (from < 0) {
                NDScope.unregister(v);
            }
            state.add(new NDArray[] {m, v});
        }
        boolean fused = tryFused
                && !slots.isEmpty()
                && FusedAdamKernel.supports(slots.get(0).weight());
        for (int i = 0; i < slots.size(); i++) {
            View view = fused ? view(slots.get(i).weight(), state.get(i)[0], state.get(i)[1]) : null;
            if (view == null && slots.get(i).sharedMomentOf() >= 0) {
                close();
                throw new IllegalArgumentException("a shared second moment needs the fused CPU float32 update (slot "
                        + i + " has no direct view of its memory); use ExpertUpdate.ADAM on this device");
            }
            if (view == null && slots.get(i).bfloat16Moments()) {
                close();
                throw new IllegalArgumentException("bfloat16 moments need the fused CPU float32 update (slot " + i
                        + " has no direct view of its memory); use MomentPrecision.FLOAT32 on this device");
            }
            views.add(view);
        }
        gradChecked = new boolean[slots.size()];
    }

    /** A zero moment for slot s, float32 or bfloat16 bits, on the weight's device. */
    private static NDArray moment(AdamW.Slot s) {
        NDArray w = s.weight();
        NDArray m;
        if (s.bfloat16Moments()) {
            try (NDArray zeros = w.zerosLike()) {
                m = zeros.toType(AdamW.BFLOAT16_CARRIER, true);
            }
        } else {
            m = w.zerosLike();
        }
        NDScope.unregister(m);
        return m;
    }

    /**
     * Direct views of w (float32), m and v (float32 or bfloat16), or null unless each is exactly
     * the tensor's memory.
     */
    private static View view(NDArray w, NDArray m, NDArray v) {
        if (w.getDataType() != DataType.FLOAT32) {
            return null;
        }
        FloatBuffer wb = FusedAdamKernel.buffer(w);
        Moments mm = moments(m);
        Moments vm = moments(v);
        if (wb == null || wb.capacity() != w.size() || mm == null || vm == null) {
            return null;
        }
        return new View(wb, mm, vm);
    }

    private static Moments moments(NDArray a) {
        if (a.getDataType() == DataType.FLOAT32) {
            FloatBuffer b = FusedAdamKernel.buffer(a);
            return b == null || b.capacity() != a.size() ? null : Moments.of(b);
        }
        if (a.getDataType() != AdamW.BFLOAT16_CARRIER) {
            return null;
        }
        ByteBuffer bb = a.toByteBuffer(true);
        if (!bb.isDirect()) {
            return null;
        }
        ShortBuffer b = bb.order(ByteOrder.nativeOrder()).asShortBuffer();
        return b.capacity() != a.size() ? null : Moments.bfloat16(b, 0);
    }

    /** Slot i's first and second moment. */
    NDArray[] moments(int i) {
        return state.get(i);
    }

    /** Slot i's direct views, or null when LibTorch's kernel updates it. */
    View view(int i) {
        return views.get(i);
    }

    /**
     * Slot i's direct views for an update from its weight's own gradient {@code grad}, or null. On
     * the first step the gradient is checked to be a direct view of its memory: a copy would never
     * be zeroed by the kernel, so the slot falls back to LibTorch's (refused with bfloat16 moments,
     * which only the kernel writes).
     */
    View checkedView(int i, NDArray grad) {
        View view = views.get(i);
        if (view != null && !gradChecked[i]) {
            if (!FusedAdamKernel.supports(grad)) {
                if (slots.get(i).bfloat16Moments()) {
                    throw new IllegalStateException("slot " + i + " keeps bfloat16 moments, which need the fused"
                            + " update, but its gradient is not a direct view of its memory");
                }
                views.set(i, null);
                view = null;
            }
            gradChecked[i] = true;
        }
        return view;
    }

    /** Whether every slot has direct views. */
    boolean allFused() {
        return views.stream().allMatch(Objects::nonNull);
    }

    /**
     * The state arrays for a checkpoint, in slot order: each slot's first moment, then its second
     * moment unless it shares an earlier slot's. Live arrays: setting them restores.
     */
    List<NDArray> arrays() {
        List<NDArray> out = new ArrayList<>();
        for (int i = 0; i < state.size(); i++) {
            out.add(state.get(i)[0]);
            if (slots.get(i).sharedMomentOf() < 0) {
                out.add(state.get(i)[1]);
            }
        }
        return out;
    }

    @Override
    public void close() {
        for (int i = 0; i < state.size(); i++) {
            state.get(i)[0].close();
            if (slots.get(i).sharedMomentOf() < 0) {
                state.get(i)[1].close();
            }
        }
        state.clear();
        views.clear();
    }
}
