package org.soupofexperts.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import org.soupofexperts.core.config.TensorSpec;

/**
 * One tensor of the base model as a soup holds it: the shared part S (shape {@code shape}) and,
 * when the owning block has n &gt; 0 experts, its expert bank. A dense bank E has shape
 * {@code (n, numel)}, expert j being row j. A low-rank bank (rank r &gt; 0, matrices only) holds
 * expert j of a (rows x cols) matrix as {@code U_j V_j^T}: U of shape {@code (n, rows, r)} in
 * {@code bank} and V of shape {@code (n, cols, r)} in {@code bankV}. A specialist's tensors are
 * the same objects with no bank.
 *
 * @param name stable name, unique within a model (used in manifests and error messages)
 * @param shape the base tensor's shape
 * @param experts the number of experts n of the bank (0 when there is no bank)
 * @param rank the rank r of low-rank experts, 0 for dense ones
 * @param shared the parameter holding S
 * @param bank the parameter holding E (dense) or U (low-rank), or null when there are no experts
 * @param bankV the parameter holding V (low-rank), otherwise null
 * @param init how S starts
 * @param decayed whether weight decay applies (matrices yes; biases and norms no)
 */
public record SoupTensor(
        String name,
        Shape shape,
        int experts,
        int rank,
        Parameter shared,
        Parameter bank,
        Parameter bankV,
        TensorSpec.Init init,
        boolean decayed) {

    public SoupTensor {
        if (rank < 0 || (rank > 0 && shape.dimension() != 2)) {
            throw new IllegalArgumentException("tensor " + name + " of shape " + shape + " cannot have rank-" + rank
                    + " experts: only matrices have low-rank experts");
        }
        if ((rank > 0) != (bankV != null) || (bankV != null && bank == null)) {
            throw new IllegalArgumentException("tensor " + name + ": a low-rank bank needs both factors U and V");
        }
    }

    /**
     * The tensor's value at expert coefficients alpha, {@code S + sum_j alpha_j E_j}. A dense bank
     * takes one matrix product {@code (1 x n) @ (n x P)}, shaped so that the backward pass writes
     * the bank's gradient {@code alpha^T G} contiguously (no transposed copy of the bank). A
     * low-rank bank takes one product of the concatenated factors, {@code [alpha_1 U_1 ..
     * alpha_n U_n] @ [V_1 .. V_n]^T} of inner size n r, so no dense expert is ever built. With no
     * bank, or alpha null, it is S itself.
     *
     * <p>alpha of shape (m, n) gives m values at once, of shape {@code (m, shape...)}: row g is
     * the value at alpha row g (the per-group weights of a training step). The result belongs to
     * alpha's manager.
     */
    public NDArray value(NDArray alpha) {
        NDArray s = shared.getArray();
        if (bank == null || alpha == null) {
            return s;
        }
        // In place: the product is fresh and no backward pass needs it (a product's gradient
        // reads its inputs), so this saves one array of m x P values per tensor and step.
        return expertSum(alpha).addi(s);
    }

    /**
     * {@code sum_j alpha_j E_j} alone, without S (see {@link #value}); the tensor must have
     * experts. alpha of shape (n) gives the tensor's shape, (m, n) gives (m, shape...). The result
     * belongs to alpha's manager.
     */
    public NDArray expertSum(NDArray alpha) {
        if (bank == null) {
            throw new IllegalStateException("tensor " + name + " has no experts");
        }
        Shape as = alpha.getShape();
        boolean grouped = as.dimension() == 2;
        if ((grouped ? as.get(1) : alpha.size()) != experts || as.dimension() > 2) {
            throw new IllegalArgumentException("alpha has " + (grouped ? "shape " + as : alpha.size() + " entries")
                    + " but " + name + " has " + experts + " experts (alpha must be (n) or (m, n))");
        }
        long m = grouped ? as.get(0) : 1;
        Shape out = grouped ? new Shape(m).addAll(shape) : shape;
        if (rank == 0) {
            return alpha.reshape(m, experts).matMul(bank.getArray()).reshape(out);
        }
        long rows = shape.get(0);
        long cols = shape.get(1);
        long nr = (long) experts * rank;
        NDArray v = bankV.getArray().transpose(1, 0, 2).reshape(cols, nr);
        if (!grouped) {
            NDArray u = bank.getArray()
                    .mul(alpha.reshape(experts, 1, 1))
                    .transpose(1, 0, 2)
                    .reshape(rows, nr);
            return u.matMul(v.transpose());
        }
        // (m, n, rows, r) -> (m, rows, n r), then one batched product with the shared V^T.
        NDArray u = bank.getArray()
                .expandDims(0)
                .mul(alpha.reshape(m, experts, 1, 1))
                .transpose(0, 2, 1, 3)
                .reshape(m, rows, nr);
        return u.matMul(v.transpose());
    }

    /** The number of groups m of a value of this tensor: 0 for a plain value, m for (m, shape...). */
    public long groupsOf(NDArray value) {
        Shape s = value.getShape();
        if (s.equals(shape)) {
            return 0;
        }
        if (s.dimension() == shape.dimension() + 1 && s.slice(1).equals(shape)) {
            return s.get(0);
        }
        throw new IllegalArgumentException(
                "tensor " + name + " has shape " + shape + " (or (m, " + shape + ")), got an array of shape " + s);
    }

    /** Whether the experts are low-rank factor pairs. */
    public boolean lowRank() {
        return rank > 0;
    }

    /** Shape of {@code bank}: (n, numel) when dense, (n, rows, r) for U when low-rank. */
    public Shape bankShape() {
        return rank == 0 ? new Shape(experts, numel()) : new Shape(experts, shape.get(0), rank);
    }

    /** Shape of {@code bankV}, V of a low-rank bank: (n, cols, r). */
    public Shape bankVShape() {
        if (rank == 0) {
            throw new IllegalStateException("tensor " + name + " has dense experts: no V factor");
        }
        return new Shape(experts, shape.get(1), rank);
    }

    /** Values stored in the expert bank: n numel when dense, n r (rows + cols) when low-rank. */
    public long bankValues() {
        if (bank == null) {
            return 0;
        }
        return new TensorSpec(name, shape, init, decayed).bankValues(experts, rank);
    }

    /** Number of elements of the base tensor. */
    public long numel() {
        return shape.size();
    }
}
