package org.soupofexperts.data.sample;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.soupofexperts.core.batch.BatchSource;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.config.DomainWeights;
import org.soupofexperts.core.config.Domains;

/**
 * The paper's Algorithm 1 over per-domain token streams: for each sequence, domain i with
 * probability h_i, then a uniformly random window of that domain. A domain whose weight is 0 is
 * never read. Subclasses say where tokens live; they must be safe for concurrent reads.
 */
public abstract class WindowSampler implements BatchSource {

    private final List<String> names;

    protected WindowSampler(List<String> names) {
        if (names.isEmpty()) {
            throw new IllegalArgumentException("a sampler needs at least one domain");
        }
        this.names = List.copyOf(names);
        // The names as a domain set takes them (distinct, not blank), checked once here.
        Domains.of(this.names, new long[this.names.size()]);
    }

    /** Number of tokens of domain d. */
    protected abstract long size(int d);

    /** Copies {@code len} tokens of domain d from {@code start} into {@code dst[off..]}. */
    protected abstract void copy(int d, long start, int[] dst, int off, int len);

    @Override
    public final int numDomains() {
        return names.size();
    }

    /** The domains' names and the tokens this sampler draws from, in the order of h. */
    public final Domains domains() {
        long[] s = new long[names.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = size(i);
        }
        return Domains.of(names, s);
    }

    /** Every domain must hold at least one window: a short domain would otherwise fail mid-run. */
    @Override
    public void checkLength(int length) {
        for (int d = 0; d < names.size(); d++) {
            if (size(d) < length) {
                throw new IllegalArgumentException("domain '" + names.get(d) + "' has " + size(d)
                        + " tokens, fewer than one training window of " + length);
            }
        }
    }

    @Override
    public final TokenBatch sample(double[] h, int batchSize, int length, SplittableRandom rng) {
        double[] w = DomainWeights.validate(h, names.size());
        int[] out = new int[batchSize * length];
        int[] domains = new int[batchSize];
        for (int b = 0; b < batchSize; b++) {
            int d = pick(w, rng);
            long n = size(d);
            if (n < length) {
                throw new IllegalArgumentException(
                        "domain '" + names.get(d) + "' has " + n + " tokens, fewer than one window of " + length);
            }
            long start = rng.nextLong(n - length + 1);
            copy(d, start, out, b * length, length);
            domains[b] = d;
        }
        return new TokenBatch(batchSize, length, out, domains);
    }

    /**
     * A sampler over some of this sampler's domains, in the given order (domain i of the result is
     * domain {@code domains[i]} here): for training on some domains and holding others out. It
     * reads the same tokens; its fingerprint names the selection.
     */
    public final WindowSampler select(int... domains) {
        if (domains == null || domains.length == 0) {
            throw new IllegalArgumentException("select needs at least one domain");
        }
        List<String> picked = new ArrayList<>();
        Set<Integer> seen = new HashSet<>();
        for (int d : domains) {
            if (d < 0 || d >= names.size()) {
                throw new IllegalArgumentException("domain " + d + " is not in [0, " + names.size() + ")");
            }
            if (!seen.add(d)) {
                throw new IllegalArgumentException("domain " + d + " (" + names.get(d) + ") is selected twice");
            }
            picked.add(names.get(d));
        }
        int[] map = domains.clone();
        WindowSampler parent = this;
        return new WindowSampler(picked) {
            @Override
            protected long size(int d) {
                return parent.size(map[d]);
            }

            @Override
            protected void copy(int d, long start, int[] dst, int off, int len) {
                parent.copy(map[d], start, dst, off, len);
            }

            @Override
            public String fingerprint() {
                return parent.fingerprint() + "|select" + picked;
            }
        };
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
}
