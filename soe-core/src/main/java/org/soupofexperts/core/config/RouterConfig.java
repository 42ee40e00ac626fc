package org.soupofexperts.core.config;

import java.util.Objects;

/**
 * The router MLP that maps domain weights h (length k) to expert coefficients alpha (length n):
 * {@code k -> hidden (x depth, GELU) -> n}. Immutable and thread-safe.
 */
public final class RouterConfig {

    /** How the router's last layer becomes alpha. The paper leaves this open. */
    public enum Output {
        /** alpha is the raw output: experts can be switched off or subtracted. */
        RAW,
        /** alpha = softmax(output): theta stays in S plus the convex hull of the experts. */
        SOFTMAX
    }

    private final int hidden;
    private final int depth;
    private final Output output;
    private final double outputInitScale;

    private RouterConfig(int hidden, int depth, Output output, double outputInitScale) {
        if (hidden < 1) {
            throw new IllegalArgumentException("router hidden width must be >= 1, got " + hidden);
        }
        if (depth < 1) {
            throw new IllegalArgumentException("router depth must be >= 1, got " + depth);
        }
        this.hidden = hidden;
        this.depth = depth;
        this.output = Objects.requireNonNull(output, "router output");
        if (!(outputInitScale >= 0) || Double.isInfinite(outputInitScale)) {
            throw new IllegalArgumentException(
                    "router output init scale must be finite and >= 0, got " + outputInitScale);
        }
        this.outputInitScale = outputInitScale;
    }

    /**
     * The default router: one hidden layer of width 64, softmax output (in the ablations of
     * docs/results.md softmax beat raw alpha on both specialized and generic loss).
     */
    public static RouterConfig defaults() {
        return new RouterConfig(64, 1, Output.SOFTMAX, 1.0);
    }

    /** A router with {@code depth} hidden layers of {@code hidden} units. */
    public static RouterConfig of(int hidden, int depth, Output output) {
        return new RouterConfig(hidden, depth, output, 1.0);
    }

    /**
     * The same router with its output layer's initial weights scaled by {@code scale} (default 1:
     * std 1/sqrt(fan-in)). A small scale starts alpha near the output bias (zero for raw alpha,
     * uniform 1/n for softmax), so every h starts with nearly the same alpha; 0 makes the initial
     * alpha independent of h.
     */
    public RouterConfig withOutputInitScale(double scale) {
        return new RouterConfig(hidden, depth, output, scale);
    }

    public int hidden() {
        return hidden;
    }

    public int depth() {
        return depth;
    }

    public Output output() {
        return output;
    }

    /**
     * Weights and biases of a router of this shape from k domains to n experts: {@code depth}
     * hidden layers, then the output layer (saturating at {@code Long.MAX_VALUE}).
     */
    public long parameterCount(int domains, int experts) {
        try {
            long total = 0;
            long in = domains;
            for (int i = 0; i < depth; i++) {
                total = Math.addExact(total, Math.multiplyExact(in + 1, (long) hidden));
                in = hidden;
            }
            return Math.addExact(total, Math.multiplyExact(in + 1, (long) experts));
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /** Multiplier of the output layer's initial weight std (default 1). */
    public double outputInitScale() {
        return outputInitScale;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RouterConfig
                && ((RouterConfig) o).hidden == hidden
                && ((RouterConfig) o).depth == depth
                && ((RouterConfig) o).output == output
                && ((RouterConfig) o).outputInitScale == outputInitScale;
    }

    @Override
    public int hashCode() {
        return Objects.hash(hidden, depth, output, outputInitScale);
    }

    @Override
    public String toString() {
        return "RouterConfig{hidden=" + hidden + ", depth=" + depth + ", output=" + output
                + (outputInitScale == 1.0 ? "" : ", outputInitScale=" + outputInitScale) + "}";
    }
}
