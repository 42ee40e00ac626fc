package org.soupofexperts.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import org.soupofexperts.core.config.ExpertRanks;
import org.soupofexperts.core.config.TensorSpec;

/**
 * {@code y = x W + b} with W (in x out) and b (out) souped. With per-group weights (alpha of
 * shape (m, n)), the leading axis of x is split into m equal groups and group g uses W_g, b_g.
 *
 * <p>W is stored (in, out), as GPT-2's {@code Conv1D} stores it, not (out, in) as DJL's {@code
 * Linear} does: the gradient of a product x W comes out (in, out), so with per-group weights the
 * m gradients land in the weights' own layout. Stored (out, in), autograd copied every one of them
 * through a transpose (8-20% of a per-sequence training step; docs/performance.md).
 */
public final class SoupLinear extends AbstractSoupBlock {

    private final int in;
    private final int out;
    private final SoupTensor weight;
    private final SoupTensor bias;

    /**
     * @param in input features
     * @param out output features
     * @param bias whether to add a bias
     * @param experts number of experts n (0: a plain linear layer)
     * @param std standard deviation of the weight's initialisation
     */
    public SoupLinear(String name, int in, int out, boolean bias, int experts, double std) {
        this(name, in, out, bias, experts, std, ExpertRanks.dense());
    }

    /** As above, with the weight's experts low-rank when {@code ranks} gives it a rank. */
    public SoupLinear(String name, int in, int out, boolean bias, int experts, double std, ExpertRanks ranks) {
        this(
                spec(name, in, out, std),
                bias ? TensorSpec.vector(name + ".bias", out, TensorSpec.Init.zeros()) : null,
                experts,
                ranks);
    }

    /**
     * A linear layer declared by its tensors' specs (as {@link
     * org.soupofexperts.core.config.TensorLayout} gives them): weight (in x out), bias (out) or null.
     */
    public SoupLinear(TensorSpec weight, TensorSpec bias, int experts, ExpertRanks ranks) {
        super(experts, ranks);
        if (!weight.isMatrix()
                || (bias != null
                        && !bias.shape().equals(new Shape(weight.shape().get(1))))) {
            throw new IllegalArgumentException(
                    "linear layer needs a matrix weight (in, out) and a bias of its columns, got " + weight.name()
                            + " "
                            + weight.shape() + (bias == null ? "" : ", " + bias.name() + " " + bias.shape()));
        }
        this.in = Math.toIntExact(weight.shape().get(0));
        this.out = Math.toIntExact(weight.shape().get(1));
        this.weight = soupTensor(weight);
        this.bias = bias == null ? null : soupTensor(bias);
    }

    private static TensorSpec spec(String name, int in, int out, double std) {
        if (in < 1 || out < 1) {
            throw new IllegalArgumentException(
                    "linear layer " + name + " needs positive sizes, got in=" + in + " out=" + out);
        }
        return TensorSpec.matrix(name + ".weight", in, out, std);
    }

    @Override
    public NDArray apply(NDArray x, NDArray alpha) {
        NDArray w = value(weight, alpha);
        NDArray b = bias == null ? null : value(bias, alpha);
        long m = weight.groupsOf(w);
        if (m == 0) {
            // LibTorch's fused linear (bias added inside the product) on a transposed view: no
            // copy in inference; in training one copy of W's gradient, which costs less than a
            // separate bias pass (x W + b measured 12% slower for a plain training step).
            return Linear.linear(x, w.transpose(), b).head();
        }
        // One batched product: group g's rows of x times W_g.
        Shape xs = x.getShape();
        NDArray y = x.reshape(m, -1, in).matMul(w);
        if (b != null) {
            y = y.add(b.reshape(m, 1, out));
        }
        return y.reshape(xs.slice(0, xs.dimension() - 1).add(out));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputs) {
        Shape s = inputs[0];
        if (s.get(s.dimension() - 1) != in) {
            throw new IllegalArgumentException("linear layer expects last dimension " + in + ", got shape " + s);
        }
        return new Shape[] {s.slice(0, s.dimension() - 1).add(out)};
    }
}
