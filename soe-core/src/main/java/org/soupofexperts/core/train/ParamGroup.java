package org.soupofexperts.core.train;

/** The three parameter groups of a soup, each with its own learning-rate scale and decay. */
public enum ParamGroup {
    /** Shared parameters S. */
    SHARED,
    /** Expert banks E_1..E_n. */
    EXPERTS,
    /** Router MLP weights. */
    ROUTER
}
