package org.soupofexperts.core.config;

import ai.djl.ndarray.types.Shape;
import java.util.Objects;

/**
 * One tensor of the base model as {@link TensorLayout} declares it: its stable name (used in save
 * files, manifests, rank rules and error messages), its shape, how its shared part starts, and
 * whether weight decay applies. Immutable and thread-safe.
 *
 * @param name stable name, unique within a model
 * @param shape the base tensor's shape
 * @param init how the shared part S starts
 * @param decayed whether weight decay applies (matrices yes; biases and norms no)
 */
public record TensorSpec(String name, Shape shape, Init init, boolean decayed) {

    public TensorSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(init, "init");
        for (long d : shape.getShape()) {
            if (d < 1) {
                throw new IllegalArgumentException("tensor " + name + " needs positive sizes, got shape " + shape);
            }
        }
    }

    /** A matrix, initialised from N(0, std^2) and decayed. */
    public static TensorSpec matrix(String name, long rows, long cols, double std) {
        return new TensorSpec(name, new Shape(rows, cols), Init.normal(std), true);
    }

    /** A vector of constant start value (zeros for biases, ones for norm gains), not decayed. */
    public static TensorSpec vector(String name, long size, Init init) {
        return new TensorSpec(name, new Shape(size), init, false);
    }

    /** Number of elements. */
    public long numel() {
        return shape.size();
    }

    /** Whether the tensor is a matrix (only matrices can have low-rank experts). */
    public boolean isMatrix() {
        return shape.dimension() == 2;
    }

    /**
     * Values an expert bank of n experts holds for this tensor at the given rank (0: dense):
     * {@code n numel} when dense, {@code n r (rows + cols)} for low-rank factors.
     */
    public long bankValues(int experts, int rank) {
        return rank == 0 ? experts * numel() : (long) experts * rank * (shape.get(0) + shape.get(1));
    }

    /** How the shared part of a tensor is initialised. */
    public record Init(Kind kind, double std) {
        /** Initialisation kinds. */
        public enum Kind {
            NORMAL,
            ZEROS,
            ONES
        }

        /** From N(0, std^2). */
        public static Init normal(double std) {
            return new Init(Kind.NORMAL, std);
        }

        /** All zeros. */
        public static Init zeros() {
            return new Init(Kind.ZEROS, 0);
        }

        /** All ones. */
        public static Init ones() {
            return new Init(Kind.ONES, 0);
        }
    }
}
