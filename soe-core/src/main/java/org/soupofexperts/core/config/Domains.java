package org.soupofexperts.core.config;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The domain set of a corpus: the domains' names, in the order of every h, and their sizes in
 * tokens (of the training split, for a token store and its training sampler). Declared once, by
 * the data: a token store or sampler gives it ({@code store.domains()}, {@code sampler.domains()}),
 * the soup's config ({@link SoupConfig.Settings#domains(Domains)}, which takes its count) and the
 * recommended meta-distribution take it, and it gives the natural h and one-hot h by name. The
 * names a saved soup checks assigners against are its labels ({@code Labels}), made from
 * {@link #names()}.
 *
 * <p>Immutable and thread-safe.
 */
public final class Domains {

    private final List<String> names;
    private final long[] sizes;

    private Domains(List<String> names, long[] sizes) {
        this.names = names;
        this.sizes = sizes;
    }

    /**
     * Domains of the given names and sizes (tokens): at least one domain, names distinct and not
     * blank, one size per name, every size at least 0.
     */
    public static Domains of(List<String> names, long[] sizes) {
        if (names == null || sizes == null) {
            throw new IllegalArgumentException("domains need names and sizes, got " + names + " and "
                    + (sizes == null ? "null" : Arrays.toString(sizes)));
        }
        if (names.isEmpty()) {
            throw new IllegalArgumentException("a domain set needs at least one domain");
        }
        if (names.size() != sizes.length) {
            throw new IllegalArgumentException(
                    "need one size per domain, got " + sizes.length + " sizes for " + names.size() + " names " + names);
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < sizes.length; i++) {
            String n = names.get(i);
            if (n == null || n.isBlank() || !seen.add(n)) {
                throw new IllegalArgumentException("domain names must be distinct and not blank: " + names);
            }
            if (sizes[i] < 0) {
                throw new IllegalArgumentException("domain '" + n + "' has a negative size " + sizes[i]);
            }
        }
        return new Domains(List.copyOf(names), sizes.clone());
    }

    /** Number of domains k. */
    public int count() {
        return names.size();
    }

    /** The names, in the order of h. */
    public List<String> names() {
        return names;
    }

    /** The name of domain d. */
    public String name(int d) {
        checkIndex(d);
        return names.get(d);
    }

    /** The index of the named domain, or -1 when there is none of that name. */
    public int indexOf(String name) {
        return names.indexOf(name);
    }

    /** The index of the named domain; fails naming the domains there are when there is none. */
    public int require(String name) {
        int d = indexOf(name);
        if (d < 0) {
            throw new IllegalArgumentException("no domain named '" + name + "'; the domains are " + names);
        }
        return d;
    }

    /** Training tokens of domain d. */
    public long size(int d) {
        checkIndex(d);
        return sizes[d];
    }

    /** Training tokens of each domain, in order (a copy). */
    public long[] sizes() {
        return sizes.clone();
    }

    /** The natural h: each domain weighted by its share of the tokens; refused when there are none. */
    public double[] natural() {
        double total = Arrays.stream(sizes).sum();
        if (total <= 0) {
            throw new IllegalArgumentException("the domains " + names + " hold no tokens: they have no natural h");
        }
        double[] h = new double[sizes.length];
        for (int i = 0; i < h.length; i++) {
            h[i] = sizes[i] / total;
        }
        return h;
    }

    /** The one-hot h of the named domain. */
    public double[] oneHot(String name) {
        return DomainWeights.oneHot(count(), require(name));
    }

    private void checkIndex(int d) {
        if (d < 0 || d >= names.size()) {
            throw new IllegalArgumentException("domain index " + d + " out of range [0, " + names.size() + ")");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Domains other && names.equals(other.names) && Arrays.equals(sizes, other.sizes);
    }

    @Override
    public int hashCode() {
        return 31 * names.hashCode() + Arrays.hashCode(sizes);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("Domains[");
        for (int i = 0; i < sizes.length; i++) {
            b.append(i == 0 ? "" : ", ").append(names.get(i)).append('=').append(sizes[i]);
        }
        return b.append(']').toString();
    }
}
