package org.soupofexperts.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import org.soupofexperts.core.config.TensorSpec;

/**
 * One tensor of the base model as a soup holds it: the shared part S (shape {@code shape}) and
 * its {@link ExpertBank} (none, dense or low-rank). A dense model's tensors are the same objects
 * with no experts.
 *
 * @param name stable name, unique within a model (used in manifests and error messages)
 * @param shape the base tensor's shape
 * @param shared the parameter holding S
 * @param bank the experts
 * @param init how S starts
 * @param decayed whether weight decay applies (matrices yes; biases and norms no)
 */
public record SoupTensor(
        String name, Shape shape, Parameter shared, ExpertBank bank, TensorSpec.Init init, boolean decayed) {

    public SoupTensor {
        if (bank instanceof ExpertBank.LowRank l
                && (shape.dimension() != 2 || l.rows() != shape.get(0) || l.cols() != shape.get(1))) {
            throw new IllegalArgumentException("tensor " + name + " of shape " + shape
                    + " cannot have low-rank experts of a " + l.rows() + " x " + l.cols() + " matrix");
        }
        if (bank instanceof ExpertBank.Dense d && d.numel() != shape.size()) {
            throw new IllegalArgumentException(
                    "tensor " + name + " of shape " + shape + " cannot have dense experts of " + d.numel() + " values");
        }
    }

    /** The number of experts n (0 when there are none). */
    public int experts() {
        return bank.experts();
    }

    /** Whether the tensor has experts. */
    public boolean hasExperts() {
        return !(bank instanceof ExpertBank.None);
    }

    /** The rank r of low-rank experts, 0 for dense ones or none. */
    public int rank() {
        return bank instanceof ExpertBank.LowRank l ? l.rank() : 0;
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
        if (!hasExperts() || alpha == null) {
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
        return expertSum(alpha, false);
    }

    /**
     * As {@link #expertSum(NDArray)}; {@code detached} reads the bank without its gradient, so a
     * backward pass reaches alpha only (the gradient with respect to the coefficients, not the
     * experts).
     */
    public NDArray expertSum(NDArray alpha, boolean detached) {
        if (!hasExperts()) {
            throw new IllegalStateException("tensor " + name + " has no experts");
        }
        Shape as = alpha.getShape();
        boolean grouped = as.dimension() == 2;
        if ((grouped ? as.get(1) : alpha.size()) != experts() || as.dimension() > 2) {
            throw new IllegalArgumentException("alpha has " + (grouped ? "shape " + as : alpha.size() + " entries")
                    + " but " + name + " has " + experts() + " experts (alpha must be (n) or (m, n))");
        }
        int n = experts();
        long m = grouped ? as.get(0) : 1;
        Shape out = grouped ? new Shape(m).addAll(shape) : shape;
        if (bank instanceof ExpertBank.Dense d) {
            return alpha.reshape(m, n).matMul(read(d.weights(), detached)).reshape(out);
        }
        return lowRankSum((ExpertBank.LowRank) bank, alpha, grouped, m, detached);
    }

    private static NDArray read(Parameter p, boolean detached) {
        return detached ? p.getArray().stopGradient() : p.getArray();
    }

    private NDArray lowRankSum(ExpertBank.LowRank l, NDArray alpha, boolean grouped, long m, boolean detached) {
        long nr = (long) l.experts() * l.rank();
        NDArray v = read(l.v(), detached).transpose(1, 0, 2).reshape(l.cols(), nr);
        if (!grouped) {
            NDArray u = read(l.u(), detached)
                    .mul(alpha.reshape(l.experts(), 1, 1))
                    .transpose(1, 0, 2)
                    .reshape(l.rows(), nr);
            return u.matMul(v.transpose());
        }
        // (m, n, rows, r) -> (m, rows, n r), then one batched product with the shared V^T.
        NDArray u = read(l.u(), detached)
                .expandDims(0)
                .mul(alpha.reshape(m, l.experts(), 1, 1))
                .transpose(0, 2, 1, 3)
                .reshape(m, l.rows(), nr);
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
        return bank instanceof ExpertBank.LowRank;
    }

    /** Values stored in the expert bank: 0, n numel when dense, n r (rows + cols) when low-rank. */
    public long bankValues() {
        return bank.values();
    }

    /** Number of elements of the base tensor. */
    public long numel() {
        return shape.size();
    }
}
