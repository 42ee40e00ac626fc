package org.soupofexperts.core;

/**
 * How the expert banks start. The paper does not say; both choices are offered.
 *
 * <p>With {@link #ZEROS} every instantiated model starts equal to the shared parameters and the
 * experts grow from the gradient {@code alpha_j * G}. With {@link #SCALED_NOISE} each expert
 * starts as the base initialisation's noise scaled by {@code 1/sqrt(n)}, so the sum over experts
 * keeps the base init's scale.
 */
public enum ExpertInit {
    ZEROS,
    SCALED_NOISE
}
