package org.soupofexperts.data.sample;

import org.soupofexperts.core.DomainWeights;
import org.soupofexperts.core.train.BatchSource;
import org.soupofexperts.core.train.TokenBatch;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The paper's Algorithm 1 over token arrays held in memory, one per domain: for each sequence,
 * domain i with probability h_i, then a uniformly random window of that domain's tokens. A
 * domain whose weight is 0 is never read. Immutable and thread-safe (each call uses only the
 * generator it is given).
 */
public final class InMemoryDomainSampler implements BatchSource {

    private final List<String> names;
    private final int[][] tokens;
    private final String fingerprint;

    /**
     * @param names domain names (for messages)
     * @param tokens per-domain token streams (documents concatenated)
     */
    public InMemoryDomainSampler(List<String> names, int[][] tokens) {
        if (names.size() != tokens.length || tokens.length == 0) {
            throw new IllegalArgumentException(
                    "need one name per domain and at least one domain, got " + names.size() + " names for "
                            + tokens.length + " domains");
        }
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] == null || tokens[i].length == 0) {
                throw new IllegalArgumentException("domain '" + names.get(i) + "' has no tokens");
            }
        }
        this.names = List.copyOf(names);
        this.tokens = tokens;
        long h = 1125899906842597L;
        for (int[] t : tokens) {
            h = 31 * h + Arrays.hashCode(t);
        }
        this.fingerprint = "in-memory(" + this.names + ", hash=" + Long.toHexString(h) + ")";
    }

    @Override
    public int numDomains() {
        return tokens.length;
    }

    public List<String> domainNames() {
        return names;
    }

    /** Token count of each domain. */
    public long[] sizes() {
        long[] s = new long[tokens.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = tokens[i].length;
        }
        return s;
    }

    @Override
    public TokenBatch sample(double[] h, int batchSize, int length, SplittableRandom rng) {
        double[] w = DomainWeights.validate(h, tokens.length);
        int[] out = new int[batchSize * length];
        int[] domains = new int[batchSize];
        for (int b = 0; b < batchSize; b++) {
            int d = pick(w, rng);
            int[] src = tokens[d];
            if (src.length < length) {
                throw new IllegalArgumentException(
                        "domain '" + names.get(d) + "' has " + src.length + " tokens, fewer than one window of "
                                + length);
            }
            int start = rng.nextInt(src.length - length + 1);
            System.arraycopy(src, start, out, b * length, length);
            domains[b] = d;
        }
        return new TokenBatch(batchSize, length, out, domains);
    }

    /** Categorical draw; entries with weight 0 can never be returned. */
    static int pick(double[] w, SplittableRandom rng) {
        double u = rng.nextDouble();
        double acc = 0;
        int last = -1;
        for (int i = 0; i < w.length; i++) {
            if (w[i] > 0) {
                acc += w[i];
                last = i;
                if (u < acc) {
                    return i;
                }
            }
        }
        return last; // rounding left u above the total: the last non-zero domain
    }

    @Override
    public String fingerprint() {
        return fingerprint;
    }
}
