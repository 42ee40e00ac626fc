package org.soupofexperts.core.nn;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.util.List;

/**
 * The experts of one tensor of the base model: none (a dense model's tensor, or a soup of 0
 * experts), a dense bank E of shape {@code (n, numel)} whose row j is expert j, or a low-rank bank
 * whose expert j of a (rows x cols) matrix is {@code U_j V_j^T}, with U of shape {@code (n, rows, r)}
 * and V of shape {@code (n, cols, r)}. Code that treats the kinds differently switches over them;
 * code that does not uses {@link #parameters()} and {@link #shapes()}. Immutable (the parameters'
 * arrays are set by initialisation or loading).
 */
public sealed interface ExpertBank permits ExpertBank.None, ExpertBank.Dense, ExpertBank.LowRank {

    /** The number of experts n (0 for none). */
    int experts();

    /** The stored parameters, in save order: none; E; or U then V. */
    List<Parameter> parameters();

    /** The shapes of {@link #parameters()}, in the same order. */
    List<Shape> shapes();

    /** Values stored: 0, n numel, or n r (rows + cols). */
    default long values() {
        return shapes().stream().mapToLong(Shape::size).sum();
    }

    /** No experts. */
    record None() implements ExpertBank {
        @Override
        public int experts() {
            return 0;
        }

        @Override
        public List<Parameter> parameters() {
            return List.of();
        }

        @Override
        public List<Shape> shapes() {
            return List.of();
        }
    }

    /**
     * Dense experts: E of shape {@code (experts, numel)}.
     *
     * @param weights the parameter holding E
     * @param experts n
     * @param numel the base tensor's number of elements
     */
    record Dense(Parameter weights, int experts, long numel) implements ExpertBank {
        /** Shape of E. */
        public Shape shape() {
            return new Shape(experts, numel);
        }

        @Override
        public List<Parameter> parameters() {
            return List.of(weights);
        }

        @Override
        public List<Shape> shapes() {
            return List.of(shape());
        }
    }

    /**
     * Low-rank experts of a (rows x cols) matrix: {@code E_j = U_j V_j^T}.
     *
     * @param u the parameter holding U, shape {@code (experts, rows, rank)}
     * @param v the parameter holding V, shape {@code (experts, cols, rank)}
     * @param experts n
     * @param rank r
     * @param rows the matrix's rows
     * @param cols the matrix's columns
     */
    record LowRank(Parameter u, Parameter v, int experts, int rank, long rows, long cols) implements ExpertBank {
        /** Shape of U. */
        public Shape uShape() {
            return new Shape(experts, rows, rank);
        }

        /** Shape of V. */
        public Shape vShape() {
            return new Shape(experts, cols, rank);
        }

        @Override
        public List<Parameter> parameters() {
            return List.of(u, v);
        }

        @Override
        public List<Shape> shapes() {
            return List.of(uShape(), vShape());
        }
    }
}
