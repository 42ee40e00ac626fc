package org.soupofexperts.core.batch;

import java.util.SplittableRandom;

/**
 * Draws training batches from the mixture of k domains given by domain weights h (the paper's
 * Algorithm 1: each sequence picks domain i with probability h_i, then a window of that
 * domain). Implementations live in soe-data; the trainer calls {@link #sample} from one thread.
 */
public interface BatchSource {

    /** Number of domains k. */
    int numDomains();

    /**
     * Draws {@code batchSize} sequences of {@code length} tokens from the h-weighted mixture,
     * using only {@code rng} for randomness (so a seeded run replays exactly).
     */
    TokenBatch sample(double[] h, int batchSize, int length, SplittableRandom rng);

    /**
     * Fails fast, before training starts, if sequences of {@code length} tokens cannot be drawn
     * (for example a domain shorter than one window), naming the problem. Default: no check.
     */
    default void checkLength(int length) {}

    /** A short text identifying the data (recorded with trained soups). */
    default String fingerprint() {
        return getClass().getName();
    }
}
