package org.soupofexperts.core.train;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * When and where a training run writes checkpoints: every {@code everySteps} steps and/or every
 * {@code interval} of training time, into {@code directory/step-NNNNNNNN}, keeping the last
 * {@code keepLast}. A checkpoint holds the whole training state (parameters, AdamW moments, step,
 * the report so far, early-stopping state), so that {@link TrainingPlan.Builder#resumeFrom}
 * continues the run bit for bit; see {@link CheckpointFolder}.
 *
 * <pre>{@code
 * CheckpointPolicy.builder().directory(Path.of("run/checkpoints")).everySteps(500).keepLast(2).build()
 * }</pre>
 *
 * Immutable and thread-safe.
 */
public final class CheckpointPolicy {

    private final Path directory;
    private final int everySteps;
    private final Duration interval;
    private final int keepLast;

    private CheckpointPolicy(Builder b) {
        directory = Objects.requireNonNull(b.directory, "a checkpoint policy needs a directory");
        if (b.everySteps < 0) {
            throw new IllegalArgumentException("everySteps must be >= 0 (0: not by step count), got " + b.everySteps);
        }
        if (b.interval != null && (b.interval.isNegative() || b.interval.isZero())) {
            throw new IllegalArgumentException("the checkpoint interval must be positive, got " + b.interval);
        }
        if (b.everySteps == 0 && b.interval == null) {
            throw new IllegalArgumentException("a checkpoint policy needs everySteps > 0 or an interval");
        }
        if (b.keepLast < 1) {
            throw new IllegalArgumentException("keepLast must be >= 1, got " + b.keepLast);
        }
        everySteps = b.everySteps;
        interval = b.interval;
        keepLast = b.keepLast;
    }

    /** Checkpoints every {@code steps} steps into {@code directory}, keeping the last two. */
    public static CheckpointPolicy everySteps(int steps, Path directory) {
        return builder().directory(directory).everySteps(steps).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Path directory() {
        return directory;
    }

    /** Steps between checkpoints; 0 if only the interval counts. */
    public int everySteps() {
        return everySteps;
    }

    /** Training time between checkpoints, or null if only the step count counts. */
    public Duration interval() {
        return interval;
    }

    public int keepLast() {
        return keepLast;
    }

    /** Whether a checkpoint is due after {@code step}, {@code sinceLast} after the previous one. */
    public boolean due(int step, Duration sinceLast) {
        return (everySteps > 0 && step % everySteps == 0) || (interval != null && sinceLast.compareTo(interval) >= 0);
    }

    @Override
    public String toString() {
        return "CheckpointPolicy{" + directory + (everySteps > 0 ? ", every " + everySteps + " steps" : "")
                + (interval != null ? ", every " + interval : "") + ", keep " + keepLast + "}";
    }

    /** Builder for {@link CheckpointPolicy}. Not thread-safe. */
    public static final class Builder {
        private Path directory;
        private int everySteps;
        private Duration interval;
        private int keepLast = 2;

        private Builder() {}

        /** Folder of the checkpoints (created if missing); one sub-folder per checkpoint. */
        public Builder directory(Path dir) {
            this.directory = dir;
            return this;
        }

        /** A checkpoint after every {@code steps} steps (0: not by count). */
        public Builder everySteps(int steps) {
            this.everySteps = steps;
            return this;
        }

        /** A checkpoint whenever this much training time has passed since the last one. */
        public Builder interval(Duration d) {
            this.interval = d;
            return this;
        }

        /** How many checkpoints to keep (older ones are deleted after a new one is complete); default 2. */
        public Builder keepLast(int k) {
            this.keepLast = k;
            return this;
        }

        public CheckpointPolicy build() {
            return new CheckpointPolicy(this);
        }
    }
}
