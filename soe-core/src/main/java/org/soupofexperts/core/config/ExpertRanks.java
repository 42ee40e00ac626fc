package org.soupofexperts.core.config;

import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Which matrices of the base model get low-rank experts. A matrix W (rows x cols) with rank r
 * keeps each expert as two thin factors, {@code E_j = U_j V_j^T} with U_j (rows x r) and V_j
 * (cols x r): its bank holds {@code n r (rows + cols)} values instead of {@code n rows cols}.
 * Rank 0 means dense experts. Vectors (biases, layer-norm gains) are always dense: they are small
 * and a factorisation of a vector saves nothing.
 *
 * <p>A default rank applies to every matrix; rules override it for the tensors whose name
 * matches a regular expression (the whole name, as in {@code h0.mlp.fc.weight} or
 * {@code wte.weight}); the first matching rule wins. A matrix whose factors would hold at least
 * as many values as a dense expert ({@code r (rows + cols) >= rows cols}) gets dense experts:
 * they represent every matrix, in no more memory.
 *
 * <p>Immutable and thread-safe.
 */
public final class ExpertRanks {

    /** Overrides the default rank for the matrices whose name matches {@code pattern}. */
    public record Rule(String pattern, int rank) {
        public Rule {
            Objects.requireNonNull(pattern, "pattern");
            if (pattern.length() > MAX_PATTERN) {
                throw new IllegalArgumentException("expert rank rule patterns are at most " + MAX_PATTERN
                        + " characters, got " + pattern.length());
            }
            checkRank(rank, "rule '" + pattern + "'");
            try {
                Pattern.compile(pattern);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException(
                        "expert rank rule '" + pattern + "' is not a valid regular expression: " + e.getDescription(),
                        e);
            }
        }

        boolean matches(String name) {
            // Patterns come from manifests too: one that backtracks without end (".*.*.*...!") must
            // fail loading, not hang it. Each character read by the matcher counts.
            return Pattern.compile(pattern).matcher(new Budgeted(name, pattern)).matches();
        }
    }

    /** Longest pattern a rule takes: tensor names are short, and so are patterns that name them. */
    public static final int MAX_PATTERN = 256;

    /** Character reads one match may make: a plain pattern needs a few per character of the name. */
    static final long MATCH_BUDGET = 1_000_000;

    /** A tensor name that refuses to be read more than {@link #MATCH_BUDGET} times. */
    private static final class Budgeted implements CharSequence {
        private final String name;
        private final String pattern;
        private long left = MATCH_BUDGET;

        Budgeted(String name, String pattern) {
            this.name = name;
            this.pattern = pattern;
        }

        @Override
        public char charAt(int i) {
            if (--left < 0) {
                throw new IllegalArgumentException("expert rank rule '" + pattern + "' takes more than " + MATCH_BUDGET
                        + " steps to match tensor name '" + name + "': simplify the pattern");
            }
            return name.charAt(i);
        }

        @Override
        public int length() {
            return name.length();
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return name.subSequence(start, end);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private static final ExpertRanks DENSE = new ExpertRanks(0, List.of());

    private final int defaultRank;
    private final List<Rule> rules;

    private ExpertRanks(int defaultRank, List<Rule> rules) {
        checkRank(defaultRank, "default");
        this.defaultRank = defaultRank;
        this.rules = List.copyOf(rules);
    }

    /** Dense experts everywhere (the paper's main setting). */
    public static ExpertRanks dense() {
        return DENSE;
    }

    /** Rank-r experts for every matrix (0: dense). */
    public static ExpertRanks uniform(int rank) {
        return rank == 0 ? DENSE : new ExpertRanks(rank, List.of());
    }

    /** Rules are tried in order before the default; the pattern must match a whole tensor name. */
    public static ExpertRanks of(int defaultRank, List<Rule> rules) {
        return new ExpertRanks(defaultRank, rules);
    }

    /** A copy with one more rule: matrices named like {@code namePattern} get rank r (0: dense). */
    public ExpertRanks with(String namePattern, int rank) {
        List<Rule> more = new ArrayList<>(rules);
        more.add(new Rule(namePattern, rank));
        return new ExpertRanks(defaultRank, more);
    }

    public int defaultRank() {
        return defaultRank;
    }

    public List<Rule> rules() {
        return rules;
    }

    /** Whether every expert is dense. */
    public boolean isDense() {
        return defaultRank == 0 && rules.stream().allMatch(r -> r.rank() == 0);
    }

    /**
     * The rank of the experts of a tensor: 0 (dense) for anything but a matrix, and for a matrix
     * whose rank-r factors would be no smaller than a dense expert.
     */
    public int rankOf(String name, Shape shape) {
        if (shape.dimension() != 2) {
            return 0;
        }
        int r = defaultRank;
        for (Rule rule : rules) {
            if (rule.matches(name)) {
                r = rule.rank();
                break;
            }
        }
        long rows = shape.get(0);
        long cols = shape.get(1);
        return (long) r * (rows + cols) >= rows * cols ? 0 : r;
    }

    private static void checkRank(int rank, String what) {
        if (rank < 0) {
            throw new IllegalArgumentException(
                    "expert rank (" + what + ") must be >= 0 (0: dense experts), got " + rank);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ExpertRanks e && e.defaultRank == defaultRank && e.rules.equals(rules);
    }

    @Override
    public int hashCode() {
        return Objects.hash(defaultRank, rules);
    }

    @Override
    public String toString() {
        if (isDense()) {
            return "dense";
        }
        StringBuilder s = new StringBuilder("rank ").append(defaultRank == 0 ? "dense" : defaultRank);
        for (Rule r : rules) {
            s.append(", ").append(r.pattern()).append("=").append(r.rank() == 0 ? "dense" : r.rank());
        }
        return s.toString();
    }
}
