package org.soupofexperts.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

/**
 * One tensor of the base model as a soup holds it: the shared part S (shape {@code shape}) and,
 * when the owning block has n &gt; 0 experts, the bank E of shape {@code (n, numel)}, expert j
 * being row j. A specialist's tensors are the same objects with no bank.
 *
 * @param name stable name, unique within a model (used in manifests and error messages)
 * @param shape the base tensor's shape
 * @param experts the number of experts n of the bank (0 when there is no bank)
 * @param shared the parameter holding S
 * @param bank the parameter holding E, or null when the block has no experts
 * @param init how S starts
 * @param decayed whether weight decay applies (matrices yes; biases and norms no)
 */
public record SoupTensor(
        String name,
        Shape shape,
        int experts,
        Parameter shared,
        Parameter bank,
        Init init,
        boolean decayed) {

    /**
     * The tensor's value at expert coefficients alpha: {@code S + alpha @ E}, one matrix product
     * over the whole bank. The product is {@code (1 x n) @ (n x P)} so that the backward pass
     * writes the bank's gradient {@code alpha^T G} contiguously (no transposed copy of the
     * bank). With no bank, or alpha null, it is S itself. The result belongs to alpha's manager.
     */
    public NDArray value(NDArray alpha) {
        NDArray s = shared.getArray();
        if (bank == null || alpha == null) {
            return s;
        }
        if (alpha.size() != experts) {
            throw new IllegalArgumentException(
                    "alpha has " + alpha.size() + " entries but " + name + " has " + experts
                            + " experts");
        }
        return alpha.reshape(1, experts).matMul(bank.getArray()).reshape(shape).add(s);
    }

    /** Number of elements of the base tensor. */
    public long numel() {
        return shape.size();
    }

    /** How the shared part of a tensor is initialised. */
    public record Init(Kind kind, double std) {
        /** Initialisation kinds. */
        public enum Kind {
            NORMAL,
            ZEROS,
            ONES
        }

        public static Init normal(double std) {
            return new Init(Kind.NORMAL, std);
        }

        public static Init zeros() {
            return new Init(Kind.ZEROS, 0);
        }

        public static Init ones() {
            return new Init(Kind.ONES, 0);
        }
    }
}
