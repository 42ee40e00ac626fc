package org.soupofexperts.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

/**
 * Keys and values of the positions a specialist has already read, per layer, so that generation
 * feeds each new token alone instead of the whole text again: a new token then costs one
 * position's products and attention over the cached ones, not a forward pass over the context.
 * Keys are kept as {@code [B, heads, headDim, T]} and values as {@code [B, heads, T, headDim]}
 * (the layouts the attention's products take). The arrays live in the cache's own manager, freed
 * by {@link #close}. Not thread-safe: one cache per generated text.
 */
public final class KvCache implements AutoCloseable {

    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private final int capacity;
    private int length;

    /** An empty cache for a model of {@code layers} layers and context length {@code capacity}. */
    public KvCache(NDManager parent, int layers, int capacity) {
        this.manager = parent.newSubManager();
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
        this.capacity = capacity;
    }

    /** Positions held (the next token's position). */
    public int length() {
        return length;
    }

    /** The most positions the model reads (its context length). */
    public int capacity() {
        return capacity;
    }

    NDArray keys(int layer) {
        return keys[layer];
    }

    NDArray values(int layer) {
        return values[layer];
    }

    /** Replaces layer {@code layer}'s arrays by ones that also hold the new positions. */
    void put(int layer, NDArray k, NDArray v) {
        keep(k);
        keep(v);
        if (keys[layer] != null) {
            keys[layer].close();
            values[layer].close();
        }
        keys[layer] = k;
        values[layer] = v;
    }

    /** Counts {@code t} new positions, once every layer has put them. */
    void advance(int t) {
        length += t;
    }

    /** Moves an array made inside a forward pass's scope into the cache's manager. */
    private void keep(NDArray a) {
        NDScope.unregister(a);
        a.attach(manager);
    }

    @Override
    public void close() {
        manager.close();
    }
}
