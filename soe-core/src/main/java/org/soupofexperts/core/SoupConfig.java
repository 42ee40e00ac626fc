package org.soupofexperts.core;

import java.util.Objects;

/**
 * Everything that fixes a soup's parameters before training: base model, number of domains k,
 * number of experts n, router, expert initialisation and the seed (mandatory, so that two builds
 * with the same config are identical). Immutable and thread-safe.
 */
public final class SoupConfig {

    private final ModelConfig model;
    private final int domains;
    private final int experts;
    private final RouterConfig router;
    private final ExpertInit expertInit;
    private final long seed;

    private SoupConfig(Builder b) {
        this.model = Objects.requireNonNull(b.model, "soup needs a model config");
        if (b.domains == null) {
            throw new IllegalArgumentException("soup needs the number of domains: call domains(k)");
        }
        if (b.domains < 1) {
            throw new IllegalArgumentException("number of domains k must be >= 1, got " + b.domains);
        }
        if (b.experts < 1) {
            throw new IllegalArgumentException("number of experts n must be >= 1, got " + b.experts);
        }
        if (b.seed == null) {
            throw new IllegalArgumentException(
                    "soup needs a seed: call seed(long) (it fixes initialisation and training streams)");
        }
        this.domains = b.domains;
        this.experts = b.experts;
        // A bank is one native array built from one Java array and saved through one byte array.
        long d = b.model.dModel();
        long largest = Math.max(Math.max(b.model.vocabSize(), b.model.contextLength()) * d,
                Math.max(3, b.model.mlpRatio()) * d * d);
        if (largest * b.experts > Integer.MAX_VALUE / 4) {
            throw new IllegalArgumentException("the largest expert bank would hold " + largest * b.experts
                    + " values (n=" + b.experts + " x " + largest + "), over this version's limit of "
                    + Integer.MAX_VALUE / 4 + " (2 GiB of float32); use fewer experts or a smaller vocabulary/width");
        }
        this.router = Objects.requireNonNull(b.router, "router config");
        this.expertInit = Objects.requireNonNull(b.expertInit, "expert init");
        this.seed = b.seed;
    }

    public static Builder builder() {
        return new Builder();
    }

    public ModelConfig model() {
        return model;
    }

    public int domains() {
        return domains;
    }

    public int experts() {
        return experts;
    }

    public RouterConfig router() {
        return router;
    }

    public ExpertInit expertInit() {
        return expertInit;
    }

    public long seed() {
        return seed;
    }

    @Override
    public String toString() {
        return "SoupConfig{" + model + ", k=" + domains + ", n=" + experts + ", " + router
                + ", expertInit=" + expertInit + ", seed=" + seed + "}";
    }

    /** Builder for {@link SoupConfig}. Not thread-safe. */
    public static final class Builder {
        private ModelConfig model = ModelConfig.builder().build();
        private Integer domains;
        private int experts = 16;
        private RouterConfig router = RouterConfig.defaults();
        private ExpertInit expertInit = ExpertInit.ZEROS;
        private Long seed;

        private Builder() {}

        public Builder model(ModelConfig m) {
            this.model = m;
            return this;
        }

        /** Number of data domains k (required). */
        public Builder domains(int k) {
            this.domains = k;
            return this;
        }

        /** Number of experts n (default 16). */
        public Builder experts(int n) {
            this.experts = n;
            return this;
        }

        public Builder router(RouterConfig r) {
            this.router = r;
            return this;
        }

        public Builder expertInit(ExpertInit e) {
            this.expertInit = e;
            return this;
        }

        /** Master seed (required). */
        public Builder seed(long s) {
            this.seed = s;
            return this;
        }

        public SoupConfig build() {
            return new SoupConfig(this);
        }
    }
}
