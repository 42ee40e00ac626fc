package org.soupofexperts.core.config;

import java.util.Objects;

/**
 * Shape of the base GPT model: the specialist's architecture, and the shape every expert
 * shares. Immutable and thread-safe.
 *
 * <p>The model is a pre-LayerNorm causal decoder with learned positions, GELU MLPs and an output
 * head tied to the token embedding (as in GPT-2 and nanoGPT).
 */
public final class ModelConfig {

    private final int vocabSize;
    private final int layers;
    private final int dModel;
    private final int heads;
    private final int mlpRatio;
    private final int contextLength;
    private final boolean bias;

    private ModelConfig(Builder b) {
        this.vocabSize = b.vocabSize;
        this.layers = b.layers;
        this.dModel = b.dModel;
        this.heads = b.heads;
        this.mlpRatio = b.mlpRatio;
        this.contextLength = b.contextLength;
        this.bias = b.bias;
        requirePositive("vocabSize", vocabSize);
        requirePositive("layers", layers);
        requirePositive("dModel", dModel);
        requirePositive("heads", heads);
        requirePositive("mlpRatio", mlpRatio);
        requirePositive("contextLength", contextLength);
        if (dModel % heads != 0) {
            throw new IllegalArgumentException("dModel (" + dModel + ") must be divisible by heads (" + heads + ")");
        }
    }

    private static void requirePositive(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be >= 1, got " + value);
        }
    }

    /** Returns a builder with small defaults (byte vocabulary, 4 layers, width 256). */
    /**
     * The library's rule for the number of attention heads of a model of width {@code dModel}: one
     * head per 32 dimensions, at least one (the CLI's, the experiments' and the benchmarks' models).
     */
    public static int defaultHeads(int dModel) {
        return Math.max(1, dModel / 32);
    }

    /**
     * Refuses token ids this model cannot read, naming the first: {@code whose} says whose ids
     * they are ("prompt", "validation", ...), for the message.
     *
     * @throws IllegalArgumentException "{whose} token id {t} is outside the vocabulary [0, V)"
     */
    public void checkTokenIds(int[] ids, String whose) {
        for (int t : ids) {
            if (t < 0 || t >= vocabSize) {
                throw new IllegalArgumentException(
                        whose + " token id " + t + " is outside the vocabulary [0, " + vocabSize + ")");
            }
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Returns a builder preset with this config's values. */
    public Builder toBuilder() {
        return new Builder()
                .vocabSize(vocabSize)
                .layers(layers)
                .dModel(dModel)
                .heads(heads)
                .mlpRatio(mlpRatio)
                .contextLength(contextLength)
                .bias(bias);
    }

    public int vocabSize() {
        return vocabSize;
    }

    public int layers() {
        return layers;
    }

    public int dModel() {
        return dModel;
    }

    public int heads() {
        return heads;
    }

    public int headDim() {
        return dModel / heads;
    }

    public int mlpRatio() {
        return mlpRatio;
    }

    public int contextLength() {
        return contextLength;
    }

    /** Whether linear layers and layer norms carry additive bias terms. */
    public boolean bias() {
        return bias;
    }

    /** Number of parameters of one base model (the specialist's size). */
    public long parameterCount() {
        return TensorLayout.of(this).parameterCount();
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ModelConfig)) {
            return false;
        }
        ModelConfig c = (ModelConfig) o;
        return vocabSize == c.vocabSize
                && layers == c.layers
                && dModel == c.dModel
                && heads == c.heads
                && mlpRatio == c.mlpRatio
                && contextLength == c.contextLength
                && bias == c.bias;
    }

    @Override
    public int hashCode() {
        return Objects.hash(vocabSize, layers, dModel, heads, mlpRatio, contextLength, bias);
    }

    @Override
    public String toString() {
        return "ModelConfig{vocab="
                + vocabSize
                + ", layers="
                + layers
                + ", dModel="
                + dModel
                + ", heads="
                + heads
                + ", mlpRatio="
                + mlpRatio
                + ", context="
                + contextLength
                + ", bias="
                + bias
                + ", params="
                + parameterCount()
                + "}";
    }

    /** Builder for {@link ModelConfig}. Not thread-safe. */
    public static final class Builder {
        private int vocabSize = 256;
        private int layers = 4;
        private int dModel = 256;
        private int heads = 4;
        private int mlpRatio = 4;
        private int contextLength = 256;
        private boolean bias = true;

        private Builder() {}

        public Builder vocabSize(int v) {
            this.vocabSize = v;
            return this;
        }

        public Builder layers(int v) {
            this.layers = v;
            return this;
        }

        public Builder dModel(int v) {
            this.dModel = v;
            return this;
        }

        public Builder heads(int v) {
            this.heads = v;
            return this;
        }

        public Builder mlpRatio(int v) {
            this.mlpRatio = v;
            return this;
        }

        public Builder contextLength(int v) {
            this.contextLength = v;
            return this;
        }

        public Builder bias(boolean v) {
            this.bias = v;
            return this;
        }

        /** Validates and builds; throws {@link IllegalArgumentException} naming the bad field. */
        public ModelConfig build() {
            return new ModelConfig(this);
        }
    }
}
