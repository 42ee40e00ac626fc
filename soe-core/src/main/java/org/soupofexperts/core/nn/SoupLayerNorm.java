package org.soupofexperts.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;
import org.soupofexperts.core.config.ExpertRanks;
import org.soupofexperts.core.config.TensorSpec;

/**
 * Layer normalisation over the last axis with souped gain and (optional) bias. With per-group
 * weights (alpha of shape (m, n)), the leading axis of x is split into m equal groups and group g
 * uses gain_g and bias_g.
 */
public final class SoupLayerNorm extends AbstractSoupBlock {

    private static final float EPS = 1e-5f;

    private final int dim;
    private final SoupTensor gain;
    private final SoupTensor bias;

    /** A layer norm named {@code name} over {@code dim} features, with a bias if asked, souped over n experts. */
    public SoupLayerNorm(String name, int dim, boolean bias, int experts) {
        this(
                gainSpec(name, dim),
                bias ? TensorSpec.vector(name + ".bias", dim, TensorSpec.Init.zeros()) : null,
                experts);
    }

    /** A layer norm declared by its tensors' specs: gain (dim) and bias (dim) or null. */
    public SoupLayerNorm(TensorSpec gain, TensorSpec bias, int experts) {
        super(experts, ExpertRanks.dense());
        if (gain.shape().dimension() != 1 || (bias != null && !bias.shape().equals(gain.shape()))) {
            throw new IllegalArgumentException("layer norm needs a vector gain and a bias of its size, got "
                    + gain.name() + " " + gain.shape() + (bias == null ? "" : ", " + bias.name() + " " + bias.shape()));
        }
        this.dim = Math.toIntExact(gain.shape().get(0));
        this.gain = soupTensor(gain);
        this.bias = bias == null ? null : soupTensor(bias);
    }

    private static TensorSpec gainSpec(String name, int dim) {
        if (dim < 1) {
            throw new IllegalArgumentException("layer norm " + name + " needs dim >= 1, got " + dim);
        }
        return TensorSpec.vector(name + ".gain", dim, TensorSpec.Init.ones());
    }

    @Override
    public NDArray apply(NDArray x, NDArray alpha) {
        NDArray g = value(gain, alpha);
        NDArray b = bias == null ? null : value(bias, alpha);
        long m = gain.groupsOf(g);
        if (m == 0) {
            NDArray beta = b == null ? x.getManager().zeros(new Shape(dim), x.getDataType()) : b;
            return LayerNorm.layerNorm(x, new Shape(dim), g, beta, EPS).head();
        }
        NDArray ones = x.getManager().ones(new Shape(dim), x.getDataType());
        NDArray zeros = x.getManager().zeros(new Shape(dim), x.getDataType());
        NDArray normed =
                LayerNorm.layerNorm(x, new Shape(dim), ones, zeros, EPS).head();
        Shape xs = x.getShape();
        NDArray y = normed.reshape(m, -1, dim).mul(g.reshape(m, 1, dim));
        if (b != null) {
            y = y.add(b.reshape(m, 1, dim));
        }
        return y.reshape(xs);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputs) {
        return new Shape[] {inputs[0]};
    }
}
