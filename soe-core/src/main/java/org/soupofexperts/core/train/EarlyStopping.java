package org.soupofexperts.core.train;

import java.util.List;
import java.util.Objects;
import org.soupofexperts.core.batch.TokenBatch;

/**
 * Early stopping for fine-tuning a plain model: every {@code every} steps (and once before the
 * first step) the mean loss on fixed validation batches is measured; training stops after
 * {@code patience} evaluations without an improvement of more than {@code minDelta} nats/token,
 * and with {@code restoreBest} the parameters of the best evaluation are put back. The measured
 * points are in {@link TrainingReport#validation()}, which is what a loss-versus-tokens curve
 * (the paper's Figure 5) is drawn from. Immutable and thread-safe.
 *
 * <p>Only plain models (a {@code Specialist}) use it: a soup has no single validation loss, since
 * its loss depends on h.
 */
public final class EarlyStopping {

    private final List<TokenBatch> validation;
    private final int every;
    private final int patience;
    private final double minDelta;
    private final boolean restoreBest;

    private EarlyStopping(Builder b) {
        Objects.requireNonNull(b.validation, "EarlyStopping needs validation batches");
        if (b.validation.isEmpty()) {
            throw new IllegalArgumentException("EarlyStopping needs at least one validation batch");
        }
        int length = b.validation.get(0).length();
        for (TokenBatch t : b.validation) {
            if (t.length() != length) {
                throw new IllegalArgumentException("validation batches must all have the same sequence length, got "
                        + length + " and " + t.length());
            }
        }
        if (b.every < 1) {
            throw new IllegalArgumentException("EarlyStopping.every must be >= 1 step, got " + b.every);
        }
        if (b.patience < 1) {
            throw new IllegalArgumentException("EarlyStopping.patience must be >= 1 evaluation, got " + b.patience);
        }
        if (!(b.minDelta >= 0) || Double.isInfinite(b.minDelta)) {
            throw new IllegalArgumentException("EarlyStopping.minDelta must be finite and >= 0, got " + b.minDelta);
        }
        validation = List.copyOf(b.validation);
        every = b.every;
        patience = b.patience;
        minDelta = b.minDelta;
        restoreBest = b.restoreBest;
    }

    public static Builder builder() {
        return new Builder();
    }

    public List<TokenBatch> validation() {
        return validation;
    }

    /** Sequence length (context + 1) of the validation batches. */
    public int length() {
        return validation.get(0).length();
    }

    public int every() {
        return every;
    }

    public int patience() {
        return patience;
    }

    public double minDelta() {
        return minDelta;
    }

    public boolean restoreBest() {
        return restoreBest;
    }

    @Override
    public String toString() {
        int sequences = validation.stream().mapToInt(TokenBatch::batchSize).sum();
        return "EarlyStopping{every=" + every + ", patience=" + patience + ", minDelta=" + minDelta + ", restoreBest="
                + restoreBest + ", validation=" + sequences + "x" + length() + "}";
    }

    /** Builder for {@link EarlyStopping}. Not thread-safe. */
    public static final class Builder {
        private List<TokenBatch> validation;
        private int every = 50;
        private int patience = 3;
        private double minDelta;
        private boolean restoreBest = true;

        private Builder() {}

        /** Held-out batches (required); never the data the model trains on. */
        public Builder validation(List<TokenBatch> batches) {
            this.validation = batches;
            return this;
        }

        /** Steps between evaluations (default 50). */
        public Builder every(int steps) {
            this.every = steps;
            return this;
        }

        /** Evaluations without improvement before stopping (default 3). */
        public Builder patience(int evaluations) {
            this.patience = evaluations;
            return this;
        }

        /** Smallest decrease in nats/token that counts as an improvement (default 0). */
        public Builder minDelta(double v) {
            this.minDelta = v;
            return this;
        }

        /** Whether to end with the parameters of the best evaluation (default true). */
        public Builder restoreBest(boolean v) {
            this.restoreBest = v;
            return this;
        }

        public EarlyStopping build() {
            return new EarlyStopping(this);
        }
    }
}
