package org.soupofexperts.core.config;

import java.util.List;
import java.util.Objects;

/**
 * Everything that fixes a soup's parameters before training: base model, number of domains k,
 * number of experts n, dense or low-rank experts, router, expert initialisation and the seed
 * (mandatory, so that two builds with the same config are identical). Immutable and thread-safe.
 */
public final class SoupConfig {

    private final ModelConfig model;
    private final int domains;
    private final int experts;
    private final ExpertRanks ranks;
    private final long bankParameterCount;
    private final RouterConfig router;
    private final ExpertInit expertInit;
    private final long seed;

    private SoupConfig(Settings<?> b) {
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
        this.ranks = Objects.requireNonNull(b.ranks, "expert ranks");
        this.bankParameterCount = checkBanks(b.model, b.experts, b.ranks);
        this.router = Objects.requireNonNull(b.router, "router config");
        this.expertInit = Objects.requireNonNull(b.expertInit, "expert init");
        this.seed = b.seed;
    }

    /**
     * Every rank rule must name a matrix of the model (a typo would otherwise leave experts dense
     * without a word), and every bank must fit this version's limit: a bank is one native array
     * built from one Java array and saved through one byte array.
     */
    private static long checkBanks(ModelConfig model, int experts, ExpertRanks ranks) {
        TensorLayout layout = TensorLayout.of(model);
        List<ExpertRanks.Rule> rules = ranks.rules();
        for (int i = 0; i < rules.size(); i++) {
            ExpertRanks.Rule rule = rules.get(i);
            List<ExpertRanks.Rule> earlier = rules.subList(0, i);
            List<TensorSpec> named = layout.specs().stream()
                    .filter(t -> t.isMatrix() && rule.matches(t.name()))
                    .toList();
            if (named.isEmpty()) {
                throw new IllegalArgumentException(
                        "expert rank rule '" + rule.pattern() + "' matches no matrix of the model;"
                                + " matrices are named like wte.weight, wpe.weight, h0.attn.qkv.weight, h0.attn.proj.weight,"
                                + " h0.mlp.fc.weight, h0.mlp.proj.weight");
            }
            if (named.stream().allMatch(t -> earlier.stream().anyMatch(e -> e.matches(t.name())))) {
                throw new IllegalArgumentException(
                        "expert rank rule '" + rule.pattern() + "' never applies: every matrix it"
                                + " matches is matched by an earlier rule (the first matching rule wins)");
            }
        }
        for (TensorSpec t : layout.specs()) {
            int rank = TensorLayout.rankOf(t, experts, ranks);
            long largest = rank == 0
                    ? t.bankValues(experts, 0)
                    : (long) experts
                            * rank
                            * Math.max(t.shape().get(0), t.shape().get(1));
            if (largest > Integer.MAX_VALUE / 4) {
                throw new IllegalArgumentException("the expert bank of " + t.name() + " would hold " + largest
                        + " values (n=" + experts + "), over this version's limit of " + Integer.MAX_VALUE / 4
                        + " (2 GiB of float32); use fewer experts, low-rank experts or a smaller vocabulary/width");
            }
        }
        return layout.bankValues(experts, ranks);
    }

    public static Builder builder() {
        return new Builder();
    }

    public ModelConfig model() {
        return model;
    }

    /** The number of domains k (the length of every h). */
    public int numDomains() {
        return domains;
    }

    public int experts() {
        return experts;
    }

    /** Which matrices have low-rank experts (dense by default). */
    public ExpertRanks expertRanks() {
        return ranks;
    }

    /**
     * Values the expert banks will hold: n times each tensor's size for dense experts, n r (rows
     * + cols) for a rank-r matrix. Known before the soup is created (no memory is allocated).
     */
    public long bankParameterCount() {
        return bankParameterCount;
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
        return "SoupConfig{" + model + ", k=" + domains + ", n=" + experts
                + (ranks.isDense() ? "" : ", experts " + ranks) + ", " + router + ", expertInit=" + expertInit
                + ", seed=" + seed + "}";
    }

    /** Builder for {@link SoupConfig}. Not thread-safe. */
    public static final class Builder extends Settings<Builder> {
        private Builder() {}

        @Override
        protected Builder self() {
            return this;
        }

        public SoupConfig build() {
            return toConfig();
        }
    }

    /**
     * The settings of a soup, shared by {@link Builder} and the soup's own builder (which adds a
     * device and builds the soup itself). Not thread-safe.
     *
     * @param <B> the concrete builder, returned by every setter
     */
    public abstract static class Settings<B extends Settings<B>> {
        private ModelConfig model = ModelConfig.builder().build();
        private Integer domains;
        private int experts = 16;
        private ExpertRanks ranks = ExpertRanks.dense();
        private RouterConfig router = RouterConfig.defaults();
        private ExpertInit expertInit = ExpertInit.ZEROS;
        private Long seed;

        protected Settings() {}

        /** This builder, typed as its concrete class. */
        protected abstract B self();

        /** The config these settings describe; throws naming the first missing or wrong one. */
        public final SoupConfig toConfig() {
            return new SoupConfig(this);
        }

        /** The base model (default: {@code ModelConfig.builder().build()}). */
        public final B model(ModelConfig m) {
            this.model = m;
            return self();
        }

        /** Number of data domains k (required). */
        public final B domains(int k) {
            this.domains = k;
            return self();
        }

        /** The data's domains: k is their count (required, this or {@link #domains(int)}). */
        public final B domains(Domains d) {
            this.domains = d.count();
            return self();
        }

        /** Number of experts n (default 16). */
        public final B experts(int n) {
            this.experts = n;
            return self();
        }

        /**
         * Rank r of every matrix's experts, each expert stored as U_j V_j^T (default 0: dense).
         * Keeps the rules added by {@link #expertRank(String, int)}.
         */
        public final B expertRank(int r) {
            this.ranks = ExpertRanks.of(r, ranks.rules());
            return self();
        }

        /** Rank r (0: dense) for the matrices whose whole name matches {@code namePattern}. */
        public final B expertRank(String namePattern, int r) {
            this.ranks = ranks.with(namePattern, r);
            return self();
        }

        /** Replaces the default rank and every rule. */
        public final B expertRanks(ExpertRanks r) {
            this.ranks = r;
            return self();
        }

        /** The router MLP (default {@link RouterConfig#defaults()}). */
        public final B router(RouterConfig r) {
            this.router = r;
            return self();
        }

        /** How the expert banks start (default {@link ExpertInit#ZEROS}). */
        public final B expertInit(ExpertInit e) {
            this.expertInit = e;
            return self();
        }

        /** Master seed (required). */
        public final B seed(long s) {
            this.seed = s;
            return self();
        }
    }
}
