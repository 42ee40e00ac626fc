package org.soupofexperts.core.archfixture.layers.config;

import org.soupofexperts.core.archfixture.layers.nn.Block;

/** A "config" class that imports a block above it: what the leaf rule forbids. */
public class LeafConfig {
    public Block block() {
        return new Block();
    }
}
