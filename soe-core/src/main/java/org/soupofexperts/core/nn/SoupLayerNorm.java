package org.soupofexperts.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;

import org.soupofexperts.core.ExpertRanks;

/** Layer normalisation over the last axis with souped gain and (optional) bias. */
public final class SoupLayerNorm extends AbstractSoupBlock {

    private static final float EPS = 1e-5f;

    private final int dim;
    private final SoupTensor gain;
    private final SoupTensor bias;

    public SoupLayerNorm(String name, int dim, boolean bias, int experts) {
        super(experts, ExpertRanks.dense());
        if (dim < 1) {
            throw new IllegalArgumentException("layer norm " + name + " needs dim >= 1, got " + dim);
        }
        this.dim = dim;
        this.gain = soupTensor(name + ".gain", new Shape(dim), SoupTensor.Init.ones(), false);
        this.bias = bias ? soupTensor(name + ".bias", new Shape(dim), SoupTensor.Init.zeros(), false) : null;
    }

    @Override
    public NDArray apply(NDArray x, NDArray alpha) {
        NDArray g = value(gain, alpha);
        NDArray b = bias == null ? x.getManager().zeros(new Shape(dim), x.getDataType()) : value(bias, alpha);
        return LayerNorm.layerNorm(x, new Shape(dim), g, b, EPS).head();
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputs) {
        return new Shape[] {inputs[0]};
    }
}
