package org.soupofexperts.core.batch;

import java.util.SplittableRandom;

/**
 * The meta-distribution pi over domain weights that training samples h from, once per step.
 * Implementations (uniform, sparse Dirichlet, one-hot, natural, fixed) live in soe-data.
 */
public interface MetaDistribution {

    /** Number of domains k. */
    int numDomains();

    /** Draws one h on the simplex (length k, non-negative, sums to 1), using only rng. */
    double[] sample(SplittableRandom rng);

    /** A short description recorded with trained soups. */
    default String describe() {
        return getClass().getSimpleName();
    }
}
