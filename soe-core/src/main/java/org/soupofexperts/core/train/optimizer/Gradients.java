package org.soupofexperts.core.train.optimizer;

import ai.djl.ndarray.NDArray;
import java.util.Arrays;

/**
 * What one {@link AdamW} update reads, slot by slot: a slot's weight's own autograd gradient
 * unless a gradient is given for it here, either plain (the shape of the weight) or grouped (an
 * expert bank's m per-group gradients G_g with the groups' alpha, from which the update forms
 * expert j's gradient sum_g alpha_gj G_g without building it). Not thread-safe: one step's.
 */
public final class Gradients {

    private final int groups;
    private final NDArray[] given;
    private final float[][] alpha;

    private Gradients(int slots, int groups) {
        if (groups < 1) {
            throw new IllegalArgumentException("groups must be >= 1, got " + groups);
        }
        this.groups = groups;
        this.given = new NDArray[slots];
        this.alpha = new float[slots][];
    }

    /** Every slot from its weight's own gradient. */
    public static Gradients own(int slots) {
        return new Gradients(slots, 1);
    }

    /** A step over {@code groups} groups of domain weights, each slot from its own gradient until given. */
    public static Gradients forGroups(int slots, int groups) {
        return new Gradients(slots, groups);
    }

    /** Slot {@code slot} from {@code gradient}, of its weight's shape. */
    public Gradients plain(int slot, NDArray gradient) {
        check(slot, gradient);
        given[slot] = gradient;
        alpha[slot] = null;
        return this;
    }

    /**
     * Bank slot {@code slot} (n experts) from the groups' gradients {@code perGroup} (m gradients
     * of an expert's shape, one after the other) and their alpha ({@code m x n}, row-major).
     */
    public Gradients grouped(int slot, NDArray perGroup, float[] groupAlpha) {
        check(slot, perGroup);
        if (groupAlpha == null || groupAlpha.length % groups != 0 || groupAlpha.length == 0) {
            throw new IllegalArgumentException("slot " + slot + ": alpha must hold " + groups
                    + " rows of n experts, got " + (groupAlpha == null ? "none" : groupAlpha.length + " values"));
        }
        if (perGroup.size() % groups != 0) {
            throw new IllegalArgumentException("slot " + slot + ": the per-group gradients must hold " + groups
                    + " equal parts, got shape " + perGroup.getShape());
        }
        given[slot] = perGroup;
        alpha[slot] = groupAlpha;
        return this;
    }

    private void check(int slot, NDArray gradient) {
        if (slot < 0 || slot >= given.length) {
            throw new IllegalArgumentException("slot " + slot + " is not in [0, " + given.length + ")");
        }
        if (gradient == null) {
            throw new IllegalArgumentException("slot " + slot + ": a given gradient must not be null");
        }
    }

    int slots() {
        return given.length;
    }

    int groups() {
        return groups;
    }

    /** Slot i's given gradient, or null: its weight's own. */
    NDArray given(int i) {
        return given[i];
    }

    /** Slot i's groups' alpha when its gradient is grouped, else null. */
    float[] alpha(int i) {
        return alpha[i];
    }

    @Override
    public String toString() {
        return "Gradients[" + given.length + " slots, " + groups + " groups, given "
                + Arrays.stream(given).filter(g -> g != null).count() + "]";
    }
}
