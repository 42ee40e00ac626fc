package org.soupofexperts.core.archfixture.layers.nn;

/** A "block" class, above the config layer. */
public class Block {}
