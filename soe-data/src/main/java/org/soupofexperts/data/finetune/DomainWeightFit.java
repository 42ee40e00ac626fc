package org.soupofexperts.data.finetune;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.ToDoubleFunction;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.Specialist;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.config.DomainAssigner;
import org.soupofexperts.core.config.DomainWeights;
import org.soupofexperts.core.config.RouterConfig;
import org.soupofexperts.data.tokenize.Tokenizer;

/**
 * Domain weights fitted to a specialist set's own tokens: the h at which the soup's loss on windows
 * of the documents is lowest, found by a compass search on the simplex that starts from another
 * estimate (the nearest-centroid histogram, typically). Where the histogram only says which training
 * domains the documents resemble, the fit asks the soup which mixture models them best; it tunes k
 * numbers, not the model's weights, so a few documents are enough and the result is still an
 * instantiation of the soup.
 *
 * <pre>{@code
 * DomainWeightFit fit = DomainWeightFit.builder().soup(soup).tokenizer(tok).start(histogram).build();
 * try (Specialist s = soup.specialize(docs, fit)) { ... }
 * }</pre>
 *
 * <p>The search: from the start h, it tries, domain after domain and round again, moving a share t
 * of the mass onto domain i ({@code (1 - t) h + t e_i}) and taking a share t of i's own mass away
 * (spread over the others in proportion); a move is kept when it lowers the loss, and the next try
 * is the next domain's, so every domain gets its turn in order whatever is kept (with a budget of
 * at least 2k + 1 losses, every domain gets at least one).
 * When every move of a round was tried since the last kept one, t halves; the search ends when t
 * falls below {@code minStep} or the evaluations run out. The windows are the same at every
 * evaluation, so the search is deterministic and the result is never worse than the start on
 * them.
 *
 * <p>With {@link Builder#alphaEvaluations}, a second search of the same form then tunes the
 * expert coefficients alpha themselves, from router(fitted h): n numbers instead of k, and models
 * the router reaches from no h (with the default softmax router, alpha stays on the simplex, where
 * the soup trained; a raw router is refused). {@link #specialize} instantiates at the fitted alpha; as
 * an assigner ({@code soup.specialize(docs, fit)}) the fit gives only h.
 *
 * <p>With {@link Builder#layerSteps}, a gradient descent then gives every layer group its own
 * alpha ({@link SoupOfExperts#instantiateLayerAlpha}), from the fitted alpha: n coefficients per
 * layer group instead of n in all, each row on the simplex.
 *
 * <p>With {@link Builder#timeLimit}, a fit that runs out of time (or whose thread is interrupted)
 * stops at the next loss and returns the best it found so far ({@link Result#stoppedEarly}): the
 * start's loss is always computed, so the result is still never worse than the start. Such a fit
 * depends on the machine's speed, so it is not reproducible; without a time limit it is.
 *
 * <p>Immutable; thread-safe when its tokenizer and start assigner are (the soup's loss may be
 * called from many threads).
 */
public final class DomainWeightFit implements DomainAssigner {

    private final SoupOfExperts soup;
    private final Tokenizer tokenizer;
    private final DomainAssigner start;
    private final int windows;
    private final int context;
    private final int batch;
    private final int maxEvaluations;
    private final double initialStep;
    private final double minStep;
    private final int alphaEvaluations;
    private final int layerSteps;
    private final double layerRate;
    /** Nanoseconds a fit may run, {@code Long.MAX_VALUE} for no limit. */
    private final long timeLimitNanos;

    private final LongSupplier clock;

    /**
     * A fit's outcome.
     *
     * @param h the fitted domain weights
     * @param start the h the search started from
     * @param startLoss the soup's loss at the start h on the fitting windows (nats per token)
     * @param loss the loss at the fitted h on the same windows
     * @param evaluations losses computed, the alpha search's included
     * @param alpha the expert coefficients to instantiate at: fitted when the fit tunes alpha,
     *     else router(h)
     * @param alphaLoss the loss at alpha on the same windows (equal to {@code loss} when alpha is
     *     not tuned)
     * @param layerAlpha with {@link Builder#layerSteps}, the rows of the layer-wise alpha to
     *     instantiate at ({@link SoupOfExperts#instantiateLayerAlpha}); else no rows
     * @param layerLoss the loss at the layer-wise alpha on the same windows (equal to {@code
     *     alphaLoss} without one)
     * @param stoppedEarly whether the time limit ({@link Builder#timeLimit}) or an interrupt ended
     *     the fit before its budget: the rest is the best found until then (the alpha search and
     *     the layer-wise descent are skipped once it has stopped; a layer-wise descent stopped
     *     before a step improved on its start leaves no rows)
     */
    public record Result(
            double[] h,
            double[] start,
            double startLoss,
            double loss,
            int evaluations,
            double[] alpha,
            double alphaLoss,
            double[][] layerAlpha,
            double layerLoss,
            boolean stoppedEarly) {

        public Result {
            h = h.clone();
            start = start.clone();
            alpha = alpha.clone();
            layerAlpha = copyRows(layerAlpha);
        }

        @Override
        public double[][] layerAlpha() {
            return copyRows(layerAlpha);
        }

        @Override
        public double[] alpha() {
            return alpha.clone();
        }

        @Override
        public double[] h() {
            return h.clone();
        }

        @Override
        public double[] start() {
            return start.clone();
        }
    }

    private static double[][] copyRows(double[][] a) {
        if (a == null) {
            return new double[0][];
        }
        double[][] out = new double[a.length][];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i].clone();
        }
        return out;
    }

    private DomainWeightFit(Builder b) {
        this.soup = Objects.requireNonNull(b.soup, "soup");
        this.tokenizer = Objects.requireNonNull(b.tokenizer, "tokenizer");
        this.start = b.start;
        if (start != null && start.numDomains() != soup.config().numDomains()) {
            throw new IllegalArgumentException("the start assigner has " + start.numDomains()
                    + " domains but the soup has k=" + soup.config().numDomains());
        }
        int modelContext = soup.config().model().contextLength();
        this.context = b.context == 0 ? modelContext : b.context;
        if (context < 1 || context > modelContext) {
            throw new IllegalArgumentException(
                    "the fit's context must be within 1.." + modelContext + " (the model's), got " + b.context);
        }
        if (b.windows < 1 || b.batch < 1 || b.maxEvaluations < 0) {
            throw new IllegalArgumentException(
                    "a domain-weight fit needs windows, batch >= 1 and maxEvaluations >= 0; got " + b.windows + ", "
                            + b.batch + ", " + b.maxEvaluations);
        }
        if (!(b.initialStep > 0 && b.initialStep < 1) || !(b.minStep > 0 && b.minStep <= b.initialStep)) {
            throw new IllegalArgumentException("steps must satisfy 0 < minStep <= initialStep < 1; got initialStep="
                    + b.initialStep + " minStep=" + b.minStep);
        }
        this.windows = b.windows;
        this.batch = b.batch;
        this.maxEvaluations =
                b.maxEvaluations == 0 ? defaultEvaluations(soup.config().numDomains()) : b.maxEvaluations;
        this.initialStep = b.initialStep;
        this.minStep = b.minStep;
        if (b.alphaEvaluations < 0) {
            throw new IllegalArgumentException("alphaEvaluations must be >= 0 (0: h only), got " + b.alphaEvaluations);
        }
        if (b.layerSteps < 0 || !(b.layerRate > 0 && b.layerRate < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("layerSteps must be >= 0 (0: no layer-wise alpha) and layerRate"
                    + " positive and finite; got " + b.layerSteps + ", " + b.layerRate);
        }
        if ((b.alphaEvaluations > 0 || b.layerSteps > 0)
                && soup.config().router().output() != RouterConfig.Output.SOFTMAX) {
            // The moves shift shares of mass on the simplex; a raw router's alpha is not a point there.
            throw new IllegalArgumentException("alphaEvaluations and layerSteps need a soup with a softmax router,"
                    + " whose alpha lies on the simplex; this soup's router output is "
                    + soup.config().router().output());
        }
        this.alphaEvaluations = b.alphaEvaluations;
        this.layerSteps = b.layerSteps;
        this.layerRate = b.layerRate;
        if (b.timeLimit != null && (b.timeLimit.isNegative() || b.timeLimit.isZero())) {
            throw new IllegalArgumentException("a fit's time limit must be positive (null: none), got " + b.timeLimit);
        }
        // Durations past Long.MAX_VALUE nanoseconds (292 years) are no limit.
        this.timeLimitNanos = b.timeLimit == null || b.timeLimit.compareTo(Duration.ofNanos(Long.MAX_VALUE)) >= 0
                ? Long.MAX_VALUE
                : b.timeLimit.toNanos();
        this.clock = b.clock;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public int numDomains() {
        return soup.config().numDomains();
    }

    @Override
    public List<String> domainNames() {
        return start != null ? start.domainNames() : soup.labels().domains();
    }

    /**
     * The fitted h for the documents (the h search only: as an assigner, for
     * {@code soup.specialize(docs, fit)}, only h is used; {@link #specialize} gives the tuned alpha).
     * Documents too short to hold one window get the start's h unfitted (the histogram, typically),
     * as a server needs an h for any documents; {@link #fit} refuses them.
     */
    @Override
    public double[] domainWeights(List<String> documents) {
        Deadline deadline = deadline();
        double[] h0 = startFor(documents);
        return canFit(documents) ? fit(documents, h0, false, deadline).h() : h0;
    }

    /**
     * Fits h to the documents, starting from the start assigner's h (uniform without one), then
     * alpha with {@link Builder#alphaEvaluations}.
     */
    public Result fit(List<String> documents) {
        Deadline deadline = deadline(); // the start assigner's time counts against the limit
        return fit(documents, startFor(documents), true, deadline);
    }

    /**
     * The h search alone from the start assigner's h, as {@link #domainWeights} runs it, with its
     * whole result (a server reports whether it stopped early). Refuses documents too short to fit.
     */
    public Result fitH(List<String> documents) {
        Deadline deadline = deadline();
        return fit(documents, startFor(documents), false, deadline);
    }

    private Deadline deadline() {
        return new Deadline(clock, timeLimitNanos);
    }

    private double[] startFor(List<String> documents) {
        if (documents == null || documents.isEmpty()) {
            throw new IllegalArgumentException("the specialist set is empty: give at least one document");
        }
        int k = numDomains();
        return start != null ? start.domainWeightsFor(documents, k) : DomainWeights.uniform(k);
    }

    /**
     * The most token positions the soup reads to fit h for one set of documents (as an assigner:
     * the h search), whatever the documents: {@code maxEvaluations x windows x (context + 1)}, plus
     * the start assigner's own (saturating at {@code Long.MAX_VALUE}). A server adds it to a
     * request's cost ({@code SpecialistServer} refuses a fit that leaves no room for a window of
     * documents within its per-request limit).
     */
    @Override
    public long maxTokenPositions() {
        long own;
        try {
            own = Math.multiplyExact(Math.multiplyExact((long) maxEvaluations, windows), context + 1L);
            return Math.addExact(own, start == null ? 0 : start.maxTokenPositions());
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /**
     * Token positions of the soup's model the start assigner reads (0 without one): all that
     * {@link #domainWeights} reads for documents too short to fit ({@link #canFit}).
     */
    public long maxStartPositions() {
        return start == null ? 0 : start.maxTokenPositions();
    }

    /**
     * Whether the documents hold at least one window to fit h on (context + 1 tokens); {@link #fit}
     * refuses them otherwise.
     */
    public boolean canFit(List<String> documents) {
        return documents != null && !documents.isEmpty() && FineTuning.stream(tokenizer, documents).length > context;
    }

    /**
     * The specialist for the documents: the soup instantiated at the fitted alpha (with
     * {@link Builder#alphaEvaluations}) or at the fitted h. The caller owns it and should close it.
     */
    public Specialist specialize(List<String> documents) {
        return instantiate(fit(documents));
    }

    /**
     * The soup instantiated as a fit's result says: at its layer-wise alpha when it has one, else
     * at its alpha when this fit tunes alpha, else at its h. The caller owns it and should close it.
     */
    public Specialist instantiate(Result r) {
        Objects.requireNonNull(r, "result");
        double[][] rows = r.layerAlpha();
        if (rows.length > 0) {
            return soup.instantiateLayerAlpha(rows, r.h());
        }
        return alphaEvaluations > 0 ? soup.instantiateAlpha(r.alpha(), r.h()) : soup.instantiate(r.h());
    }

    /** The soup it fits to. */
    public SoupOfExperts soup() {
        return soup;
    }

    /**
     * Whether {@link #specialize} goes past the fitted h: a tuned alpha ({@link
     * Builder#alphaEvaluations}) or a layer-wise alpha ({@link Builder#layerSteps}). As an assigner
     * the fit gives only h either way.
     */
    public boolean tunesBeyondH() {
        return alphaEvaluations > 0 || layerSteps > 0;
    }

    /**
     * The most token positions {@link #specialize} reads for one set of documents, whatever the
     * documents: the h search's ({@link #maxTokenPositions}), the alpha search's ({@code
     * alphaEvaluations x windows x (context + 1)}), and, with layer steps, {@code layerSteps + 1}
     * losses with their gradients, each counted as three passes (a backward pass costs about two
     * forward ones), saturating at {@code Long.MAX_VALUE}. A server counts it against a request's
     * budget before any work.
     */
    public long maxSpecializePositions() {
        try {
            long window = Math.multiplyExact((long) windows, context + 1L);
            long alpha = Math.multiplyExact((long) alphaEvaluations, window);
            long layers = Math.multiplyExact(Math.multiplyExact(layerSteps == 0 ? 0 : layerSteps + 1L, 3L), window);
            return Math.addExact(Math.addExact(maxTokenPositions(), alpha), layers);
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /**
     * Fits h (then alpha with {@link Builder#alphaEvaluations}, then a layer-wise alpha with {@link
     * Builder#layerSteps}) to the documents from a given start h.
     */
    public Result fit(List<String> documents, double[] startH) {
        return fit(documents, startH, true, deadline());
    }

    private Result fit(List<String> documents, double[] startH, boolean beyondH, Deadline deadline) {
        if (documents == null || documents.isEmpty()) {
            throw new IllegalArgumentException("the specialist set is empty: give at least one document");
        }
        double[] h0 = DomainWeights.validate(startH, numDomains());
        List<TokenBatch> batches = windows(documents);
        long tokens = batches.stream()
                .mapToLong(b -> (long) b.batchSize() * (b.length() - 1))
                .sum();
        ToDoubleFunction<double[]> loss = h -> {
            double sum = 0;
            for (TokenBatch b : batches) {
                sum += soup.loss(b, h) * b.batchSize() * (b.length() - 1);
            }
            return sum / tokens;
        };
        Result hFit = search(loss, h0, initialStep, minStep, maxEvaluations, deadline::passed);
        double[] alpha0 = soup.alpha(hFit.h());
        // A search that ended at its budget past the limit stops the fit too: what comes next is skipped.
        boolean stopped = hFit.stoppedEarly() || (beyondH && tunesBeyondH() && deadline.passed());
        Result aFit = beyondH && alphaEvaluations > 0 && !stopped ? alphaFit(batches, tokens, alpha0, deadline) : null;
        Result r = aFit == null
                ? withAlpha(hFit, alpha0, hFit.loss(), 0, stopped)
                : withAlpha(hFit, aFit.h(), aFit.loss(), aFit.evaluations(), aFit.stoppedEarly());
        if (!beyondH || layerSteps == 0 || r.stoppedEarly()) {
            return r;
        }
        if (deadline.passed()) {
            return withAlpha(r, r.alpha(), r.alphaLoss(), 0, true);
        }
        LayerAlphaDescent.Outcome o =
                new LayerAlphaDescent(soup, batches).run(r.alpha(), layerSteps, layerRate, deadline);
        if (o.alpha() == null || (o.stoppedEarly() && o.bestStep() == 0)) {
            // Stopped before a step improved on the start: no layer-wise alpha to give.
            return withAlpha(r, r.alpha(), r.alphaLoss(), 0, true);
        }
        return new Result(
                r.h(),
                r.start(),
                r.startLoss(),
                r.loss(),
                r.evaluations(),
                r.alpha(),
                r.alphaLoss(),
                o.alpha(),
                o.loss(),
                o.stoppedEarly());
    }

    private Result alphaFit(List<TokenBatch> batches, long tokens, double[] alpha0, Deadline deadline) {
        ToDoubleFunction<double[]> alphaLoss = a -> {
            double sum = 0;
            for (TokenBatch b : batches) {
                sum += soup.lossAtAlpha(b, a) * b.batchSize() * (b.length() - 1);
            }
            return sum / tokens;
        };
        // Same moves as h's: alpha from a softmax router is a point on the simplex too.
        return search(alphaLoss, alpha0, initialStep, minStep, alphaEvaluations, deadline::passed);
    }

    private static Result withAlpha(
            Result hFit, double[] alpha, double alphaLoss, int moreEvaluations, boolean stoppedEarly) {
        return new Result(
                hFit.h(),
                hFit.start(),
                hFit.startLoss(),
                hFit.loss(),
                hFit.evaluations() + moreEvaluations,
                alpha,
                alphaLoss,
                new double[0][],
                alphaLoss,
                stoppedEarly);
    }

    /** Up to {@code windows} windows of context + 1 tokens spread evenly over the documents' tokens. */
    private List<TokenBatch> windows(List<String> documents) {
        int[] tokens = FineTuning.stream(tokenizer, documents);
        long available = (tokens.length - 1L) / context;
        if (available < 1) {
            throw new IllegalArgumentException("the specialist set holds " + tokens.length
                    + " tokens, fewer than one window of " + (context + 1) + " to fit h on");
        }
        int n = (int) Math.min(windows, available);
        List<TokenBatch> out = new ArrayList<>();
        for (int from = 0; from < n; from += batch) {
            int[][] rows = new int[Math.min(batch, n - from)][];
            for (int r = 0; r < rows.length; r++) {
                // Window w starts at an even spread of the available window starts.
                long w = (from + r) * available / n;
                rows[r] = Arrays.copyOfRange(tokens, (int) (w * context), (int) (w * context) + context + 1);
            }
            out.add(TokenBatch.of(rows));
        }
        return out;
    }

    /** The default budget: 120 losses, or 4k + 1 when k is larger, so every domain gets at least two turns. */
    static int defaultEvaluations(int k) {
        return Math.max(120, 4 * k + 1);
    }

    /** The compass search on the simplex with no time limit; package-private for its tests. */
    static Result search(ToDoubleFunction<double[]> loss, double[] h0, double step, double minStep, int budget) {
        return search(loss, h0, step, minStep, budget, () -> false);
    }

    /**
     * The compass search on the simplex (see the class comment), which stops before any loss after
     * the start's once {@code stop} says so; package-private for its tests.
     */
    static Result search(
            ToDoubleFunction<double[]> loss,
            double[] h0,
            double step,
            double minStep,
            int budget,
            BooleanSupplier stop) {
        double[] h = h0.clone();
        double best = loss.applyAsDouble(h);
        if (!Double.isFinite(best)) {
            // No move could be compared with it: fail rather than return the start as if fitted.
            throw new IllegalStateException("the soup's loss at the start h is " + best
                    + " on the documents' windows; are the soup's weights finite?");
        }
        int evaluations = 1;
        double startLoss = best;
        double t = step;
        int moves = 2 * h.length;
        int tried = 0; // moves tried since the last kept one (or since t changed)
        boolean stopped = false;
        for (int m = 0; t >= minStep && evaluations < budget; m = (m + 1) % moves) {
            double[] c = move(h, m / 2, t, m % 2 == 0);
            if (c != null && stop.getAsBoolean()) {
                stopped = true;
                break;
            }
            if (c != null) {
                double l = loss.applyAsDouble(c);
                evaluations++;
                if (l < best) {
                    best = l;
                    h = c;
                    tried = 0;
                    m |= 1; // on to the next domain: taking back what was just moved cannot help
                    continue;
                }
            }
            if (++tried >= moves) {
                t /= 2;
                tried = 0;
            }
        }
        return new Result(h, h0, startLoss, best, evaluations, h, best, new double[0][], best, stopped);
    }

    /** h with a share t of the mass moved onto domain i, or a share t of i's mass taken away; null if no change. */
    static double[] move(double[] h, int i, double t, boolean raise) {
        double[] c = h.clone();
        if (raise) {
            if (h[i] >= 1) {
                return null;
            }
            for (int j = 0; j < c.length; j++) {
                c[j] = (1 - t) * h[j] + (j == i ? t : 0);
            }
        } else {
            double rest = 0; // the others' mass, summed rather than 1 - h[i], so no rounding is lost
            for (int j = 0; j < h.length; j++) {
                rest += j == i ? 0 : h[j];
            }
            if (h[i] <= 0 || rest <= 0) {
                return null;
            }
            double taken = t * h[i];
            for (int j = 0; j < c.length; j++) {
                c[j] = j == i ? h[i] - taken : h[j] + taken * h[j] / rest;
            }
        }
        return c;
    }

    /** When a fit must stop: its time limit passed, or its thread was interrupted (the flag is kept). */
    static final class Deadline {
        private final LongSupplier clock;
        private final long start;
        private final long limit;

        Deadline(LongSupplier clock, long limitNanos) {
            this.clock = clock;
            this.start = clock.getAsLong();
            this.limit = limitNanos;
        }

        boolean passed() {
            return Thread.currentThread().isInterrupted() || remainingNanos() <= 0;
        }

        /** Nanoseconds left, 0 once passed ({@code Long.MAX_VALUE} without a limit). */
        long remainingNanos() {
            if (limit == Long.MAX_VALUE) {
                return Long.MAX_VALUE;
            }
            return Math.max(0, limit - (clock.getAsLong() - start));
        }
    }

    /** Settings of a fit; only the soup and the tokenizer are required. */
    public static final class Builder {
        private SoupOfExperts soup;
        private Tokenizer tokenizer;
        private DomainAssigner start;
        private int windows = 64;
        private int context;
        private int batch = 16;
        private int maxEvaluations;
        private double initialStep = 0.25;
        private double minStep = 1.0 / 64;
        private int alphaEvaluations;
        private int layerSteps;
        private double layerRate = 0.05;
        private Duration timeLimit;
        private LongSupplier clock = System::nanoTime;

        private Builder() {}

        /** The soup whose loss is minimised (required). */
        public Builder soup(SoupOfExperts s) {
            this.soup = s;
            return this;
        }

        /** The soup's tokenizer (required). */
        public Builder tokenizer(Tokenizer t) {
            this.tokenizer = t;
            return this;
        }

        /** Where the search starts: this assigner's h for the documents (default: uniform h). */
        public Builder start(DomainAssigner a) {
            this.start = a;
            return this;
        }

        /** Windows of context + 1 tokens the loss is measured on (default 64). */
        public Builder windows(int n) {
            this.windows = n;
            return this;
        }

        /**
         * Tokens of context a window gives the model (default 0: the model's context length); a
         * window holds one more, the last one predicted. Set it to the context the soup trained at.
         */
        public Builder contextLength(int tokens) {
            this.context = tokens;
            return this;
        }

        /** Windows per forward pass (default 16). */
        public Builder batch(int n) {
            this.batch = n;
            return this;
        }

        /**
         * At most this many losses are computed, the start's included (default 0: 120, or
         * {@code 4 k + 1} for more than 29 domains, so that every domain gets at least two turns).
         */
        public Builder maxEvaluations(int n) {
            this.maxEvaluations = n;
            return this;
        }

        /** The first share of mass a move shifts (default 0.25). */
        public Builder initialStep(double t) {
            this.initialStep = t;
            return this;
        }

        /** The search ends when the share falls below this (default 1/64). */
        public Builder minStep(double t) {
            this.minStep = t;
            return this;
        }

        /**
         * Losses the second search, over the expert coefficients alpha from router(fitted h), may
         * compute (default 0: no second search; the specialist is the soup at the fitted h). About
         * 4n + 1 give every expert two turns.
         */
        public Builder alphaEvaluations(int n) {
            this.alphaEvaluations = n;
            return this;
        }

        /**
         * Adam steps of a gradient descent on a layer-wise alpha after the searches (default 0:
         * none): one row of expert coefficients per layer group ({@link
         * SoupOfExperts#layerGroups}), each a softmax of its own logits, all starting at the fitted
         * alpha; {@link #specialize} then instantiates at the rows with the lowest loss seen. The
         * descent makes steps + 1 forward and backward passes over the windows, each about a
         * training step's work per batch of windows and each holding the JVM's gradient lock (no
         * model trains during a pass; do not train this soup while it fits).
         */
        public Builder layerSteps(int n) {
            this.layerSteps = n;
            return this;
        }

        /** Adam's step size on the layer-wise alpha's logits (default 0.05). */
        public Builder layerRate(double rate) {
            this.layerRate = rate;
            return this;
        }

        /**
         * The longest a fit may run, the start assigner's h included (default null: no limit, and
         * the fit is reproducible). A fit past it stops before its next loss and returns the best
         * found so far ({@link Result#stoppedEarly}); a layer-wise descent waits for the JVM's
         * gradient lock (held by another model's training run) only until then. A fit runs past
         * the limit by at most one loss (of the h or the alpha search) or one batch of windows of a
         * layer-wise step; the start's loss is always computed. Not bounded: the wait for the
         * soup's own lock, which a training run of this soup holds for the whole run (a soup
         * scores and instantiates nothing while it trains). For a server, the limit bounds the time
         * one request's fit holds a worker, whether or not its client still waits.
         */
        public Builder timeLimit(Duration limit) {
            this.timeLimit = limit;
            return this;
        }

        /** The clock a time limit is measured by, in nanoseconds (tests advance their own). */
        Builder clock(LongSupplier nanos) {
            this.clock = Objects.requireNonNull(nanos, "clock");
            return this;
        }

        public DomainWeightFit build() {
            return new DomainWeightFit(this);
        }
    }
}
