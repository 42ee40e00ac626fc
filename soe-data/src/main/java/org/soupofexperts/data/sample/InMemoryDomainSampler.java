package org.soupofexperts.data.sample;

import java.util.Arrays;
import java.util.List;

/**
 * {@link WindowSampler} over token arrays held in memory, one per domain (documents
 * concatenated). Immutable and thread-safe (each call uses only the generator it is given).
 */
public final class InMemoryDomainSampler extends WindowSampler {

    private final int[][] tokens;
    private final String fingerprint;

    /**
     * @param names domain names (for messages)
     * @param tokens per-domain token streams (not copied: do not modify them afterwards)
     */
    public InMemoryDomainSampler(List<String> names, int[][] tokens) {
        super(names);
        if (names.size() != tokens.length) {
            throw new IllegalArgumentException(
                    "need one name per domain, got " + names.size() + " names for " + tokens.length + " domains");
        }
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] == null || tokens[i].length == 0) {
                throw new IllegalArgumentException("domain '" + names.get(i) + "' has no tokens");
            }
        }
        this.tokens = tokens;
        long h = 1125899906842597L;
        for (int[] t : tokens) {
            h = 31 * h + Arrays.hashCode(t);
        }
        this.fingerprint = "in-memory(" + names + ", hash=" + Long.toHexString(h) + ")";
    }

    @Override
    protected long size(int d) {
        return tokens[d].length;
    }

    @Override
    protected void copy(int d, long start, int[] dst, int off, int len) {
        System.arraycopy(tokens[d], (int) start, dst, off, len);
    }

    @Override
    public String fingerprint() {
        return fingerprint;
    }
}
