package org.soupofexperts.core.config;

/**
 * How the expert banks start. The paper does not say; both choices are offered.
 *
 * <p>With {@link #ZEROS} every instantiated model starts equal to the shared parameters and the
 * experts grow from the gradient {@code alpha_j * G}. With {@link #SCALED_NOISE} each expert
 * starts as the base initialisation's noise scaled by {@code 1/sqrt(n)}, so the sum over experts
 * keeps the base init's scale.
 *
 * <p>Low-rank experts {@code E_j = U_j V_j^T} always start with V as noise of std {@code 1/sqrt(r)}
 * (two zero factors would never get a gradient); U is zero under {@link #ZEROS}, so E_j starts at
 * zero too, and noise of the dense expert's std under {@link #SCALED_NOISE}, so E_j has that std.
 */
public enum ExpertInit {
    ZEROS,
    SCALED_NOISE
}
