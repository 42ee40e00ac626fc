package org.soupofexperts.data.eval;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.function.LongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.core.DenseModel;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.batch.BatchSource;
import org.soupofexperts.core.batch.MetaDistribution;
import org.soupofexperts.core.train.TrainingPlan;
import org.soupofexperts.core.train.listener.SpecializationProbe;
import org.soupofexperts.data.finetune.DomainWeightFit;
import org.soupofexperts.data.finetune.FineTuning;
import org.soupofexperts.data.sample.HistogramStats;
import org.soupofexperts.data.sample.MetaDistributions;
import org.soupofexperts.data.store.TokenStore;
import org.soupofexperts.data.tokenize.Tokenizer;

/**
 * The protocol for specialists of data the soup never trained on: split a labelled token store's
 * domains into folds; per fold, train a soup and the generic model on the other domains only,
 * then give each held-out domain its specialist by Algorithm 3 (the histogram of N of its
 * training documents over the soup's domains) and score every model on its validation split:
 * the generic model at its better learning rate (chosen on the held-out domains, which favours
 * it), optionally the generic model given the soup's wall time (its steps counted by training
 * the soup in turns, each followed by a model of the generic shape trained until its time caught
 * up, in this process), the soup at its natural h, the histogram
 * specialist, the soup at h fitted to the same documents' tokens from their histogram
 * ({@link org.soupofexperts.data.finetune.DomainWeightFit}; optionally with alpha tuned after
 * it), the best h of a small search on
 * validation windows (the oracle), and both fine-tuned on the same documents. The soup's
 * domains are the training domains' labels, or k-means clusters of their documents
 * ({@link DomainSplit}). Built by {@link #builder()}; not thread-safe (it trains).
 */
public final class LeaveDomainsOut {

    private static final Logger LOG = LoggerFactory.getLogger(LeaveDomainsOut.class);

    private final TokenStore store;
    private final Tokenizer tokenizer;
    private final List<List<Integer>> folds;
    private final IntFunction<SoupOfExperts> soups;
    private final LongFunction<DenseModel> generics;
    private final Function<long[], MetaDistribution> meta;
    private final DomainSplit split;
    private final Schedule schedule;
    private final List<Integer> specialistDocuments;
    private final int fineTuneSteps;
    private final int evalWindows;
    private final int fitWindows;
    private final int fitEvaluations;
    private final int alphaFitEvaluations;
    private final int layerFitSteps;
    private final boolean equalTime;
    private final int probeEvery;
    private final long seed;

    private LeaveDomainsOut(Builder b) {
        store = Objects.requireNonNull(b.store, "LeaveDomainsOut needs a token store: call store(...)");
        tokenizer = Objects.requireNonNull(b.tokenizer, "LeaveDomainsOut needs the store's tokenizer");
        soups = Objects.requireNonNull(b.soups, "LeaveDomainsOut needs soup(k -> new soup of k domains)");
        generics = Objects.requireNonNull(b.generics, "LeaveDomainsOut needs generic(seed -> new DenseModel)");
        meta = b.meta;
        split = b.split;
        schedule = Objects.requireNonNull(b.schedule, "LeaveDomainsOut needs schedule(...)");
        specialistDocuments = List.copyOf(b.specialistDocuments);
        fineTuneSteps = b.fineTuneSteps;
        evalWindows = b.evalWindows;
        fitWindows = b.fitWindows;
        fitEvaluations = b.fitEvaluations;
        alphaFitEvaluations = b.alphaFitEvaluations;
        layerFitSteps = b.layerFitSteps;
        equalTime = b.equalTime;
        probeEvery = b.probeEvery;
        seed = b.seed;
        folds = b.folds != null ? b.folds : roundRobin(store.domains().count(), b.foldCount, seed);
        checkFolds();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The folds: each a list of held-out domain indices of the store. */
    public List<List<Integer>> folds() {
        return folds;
    }

    /** Runs every fold. */
    public List<UnseenDomains.FoldResult> run() {
        List<UnseenDomains.FoldResult> all = new ArrayList<>();
        for (int f = 0; f < folds.size(); f++) {
            all.add(run(f));
        }
        return all;
    }

    /** Runs fold {@code f} alone (so that a long protocol can be run, and kept, fold by fold). */
    public UnseenDomains.FoldResult run(int f) {
        return fold(f).execute();
    }

    private FoldRun fold(int f) {
        List<Integer> heldOut = folds.get(f);
        List<Integer> training = new ArrayList<>();
        for (int d = 0; d < store.domains().count(); d++) {
            if (!heldOut.contains(d)) {
                training.add(d);
            }
        }
        DomainSplit.Training domains = split.domains(store, tokenizer, training, schedule.contextLength(), seed);
        LOG.info(
                "fold {}: held out {}, the soup trains over {} domains",
                f,
                names(heldOut),
                domains.domains().count());
        MetaDistribution pi = meta.apply(domains.sampler().domains().sizes());
        return new FoldRun(this, f, heldOut, domains, pi);
    }

    /**
     * The generic model at the soup's wall time on fold {@code f} alone, for a fold kept from a run
     * without it: trains the fold's soup in turns, paced as {@link #run(int)} does with {@link
     * Builder#equalTime}, then the generic model at {@code genericLearningRate} for the steps that
     * fit in the soup's time, and scores it on the held-out domains. The result also holds the paced
     * soup's losses at the natural h, so that a caller can check it against the kept fold's soup.
     *
     * @param f the fold
     * @param genericLearningRate the generic model's rate (the kept fold's better one)
     * @return what was measured
     */
    public UnseenDomains.EqualTime equalTime(int f, double genericLearningRate) {
        if (f < 0 || f >= folds.size()) {
            throw new IllegalArgumentException("no fold " + f + " of " + folds.size());
        }
        if (!(genericLearningRate > 0) || Double.isInfinite(genericLearningRate)) {
            throw new IllegalArgumentException(
                    "the generic learning rate must be finite and > 0, got " + genericLearningRate);
        }
        return fold(f).equalTimeAlone(genericLearningRate);
    }

    /**
     * A fold kept from a run whose equal-time column was not paced, with that column measured now
     * by {@link #equalTime(int, double)} at the fold's generic learning rate; everything else kept.
     * The fold's soup is trained again for it: the log warns if its losses at the natural h differ
     * from the kept fold's (the code no longer trains it as it did then), and the result holds both.
     *
     * @param kept the fold's kept result (of this protocol's settings)
     * @return the fold with its equal-time figures paced
     */
    public UnseenDomains.FoldResult paced(UnseenDomains.FoldResult kept) {
        int f = kept.fold().index();
        LOG.info("fold {}: pacing its equal-time column", f);
        UnseenDomains.EqualTime e = equalTime(f, kept.fold().genericLearningRate());
        double[] before = kept.domains().stream()
                .mapToDouble(UnseenDomains.Domain::soupNatural)
                .toArray();
        if (!Arrays.equals(before, e.soupNatural())) {
            LOG.warn(
                    "fold {}: the soup trained again for pacing scores {} at the natural h, the kept one {}",
                    f,
                    Arrays.toString(e.soupNatural()),
                    Arrays.toString(before));
        }
        return kept.withEqualTime(e);
    }

    /** A training config for {@code steps} at {@code lr} over {@code source}. */
    TrainingPlan config(BatchSource source, MetaDistribution pi, int steps, double lr) {
        return schedule.config(source, pi, steps, lr, seed, null);
    }

    /** {@link #config}'s builder, for a caller to add to. */
    TrainingPlan.Builder plan(BatchSource source, MetaDistribution pi, int steps, double lr) {
        return schedule.plan(source, pi, steps, lr, seed);
    }

    /** As {@link #config}, with a specialization probe (null: none). */
    TrainingPlan config(BatchSource source, MetaDistribution pi, int steps, double lr, SpecializationProbe probe) {
        return schedule.config(source, pi, steps, lr, seed, probe);
    }

    TokenStore store() {
        return store;
    }

    Tokenizer tokenizer() {
        return tokenizer;
    }

    Schedule schedule() {
        return schedule;
    }

    List<Integer> specialistDocuments() {
        return specialistDocuments;
    }

    int fineTuneSteps() {
        return fineTuneSteps;
    }

    int evalWindows() {
        return evalWindows;
    }

    /** The fit of h to a held-out domain's specialist documents, for this soup. */
    DomainWeightFit fit(SoupOfExperts soup) {
        return DomainWeightFit.builder()
                .soup(soup)
                .tokenizer(tokenizer)
                .windows(fitWindows)
                .contextLength(schedule.contextLength())
                .maxEvaluations(fitEvaluations)
                .alphaEvaluations(alphaFitEvaluations)
                .layerSteps(layerFitSteps)
                .build();
    }

    int alphaFitEvaluations() {
        return alphaFitEvaluations;
    }

    int layerFitSteps() {
        return layerFitSteps;
    }

    int probeEvery() {
        return probeEvery;
    }

    boolean equalTime() {
        return equalTime;
    }

    long seed() {
        return seed;
    }

    SoupOfExperts newSoup(int k) {
        return soups.apply(k);
    }

    DenseModel newGeneric() {
        return generics.apply(seed);
    }

    /** A copy of {@code model} through a saved folder (DenseModel has no in-memory copy). */
    static DenseModel copy(DenseModel model) {
        try {
            Path dir = Files.createTempDirectory("leave-domains-out");
            try {
                model.save(dir.resolve("model"));
                return DenseModel.load(dir.resolve("model"));
            } finally {
                try (var files = Files.walk(dir)) {
                    for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy a model through a temporary folder", e);
        }
    }

    /** Fine-tunes {@code model} in place on {@code docs} (the last tenth held out for early stopping). */
    void fineTune(DenseModel model, List<String> docs) {
        FineTuning.builder()
                .tokenizer(tokenizer)
                .documents(docs)
                .steps(fineTuneSteps)
                .learningRate(schedule.fineTuneLearningRate())
                .seed(seed)
                .build()
                .run(model);
    }

    static HistogramStats stats(double[] h) {
        return HistogramStats.of(h);
    }

    List<String> names(List<Integer> domains) {
        return domains.stream().map(d -> store.domains().name(d)).toList();
    }

    private void checkFolds() {
        int k = store.domains().count();
        boolean[] seen = new boolean[k];
        for (List<Integer> fold : folds) {
            if (fold.isEmpty() || fold.size() >= k) {
                throw new IllegalArgumentException(
                        "a fold must hold out at least one domain and keep at least one of " + k + ", got " + fold);
            }
            for (int d : fold) {
                if (d < 0 || d >= k) {
                    throw new IllegalArgumentException(
                            "fold " + fold + " names domain " + d + ", not in [0, " + k + ")");
                }
                if (seen[d]) {
                    throw new IllegalArgumentException(
                            "domain " + store.domains().name(d) + " is held out twice");
                }
                seen[d] = true;
            }
        }
        if (specialistDocuments.isEmpty() || specialistDocuments.stream().anyMatch(n -> n < 1)) {
            throw new IllegalArgumentException("specialistDocuments must be >= 1, got " + specialistDocuments);
        }
    }

    /** {@code count} folds of a seeded shuffle of the k domains, dealt round-robin. */
    static List<List<Integer>> roundRobin(int k, int count, long seed) {
        if (count < 2 || count > k) {
            throw new IllegalArgumentException("folds must be in [2, k=" + k + "], got " + count);
        }
        List<Integer> order = new ArrayList<>();
        for (int d = 0; d < k; d++) {
            order.add(d);
        }
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = k - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            order.set(i, order.set(j, order.get(i)));
        }
        List<List<Integer>> folds = new ArrayList<>();
        for (int f = 0; f < count; f++) {
            folds.add(new ArrayList<>());
        }
        for (int i = 0; i < k; i++) {
            folds.get(i % count).add(order.get(i));
        }
        folds.forEach(f -> f.sort(Integer::compare));
        return folds.stream().map(List::copyOf).toList();
    }

    /**
     * How every model trains: steps, batch, context, the soup's and the generic model's
     * learning rates, and the fine-tuning rate. Warm-up is a tenth of the steps (at most 100).
     *
     * @param steps training steps of the soup and of the generic model
     * @param batchSize sequences per step
     * @param contextLength tokens per window
     * @param soupLearningRate the soup's peak learning rate
     * @param genericLearningRates the generic model's candidates (the better one is its baseline)
     * @param fineTuneLearningRate the fine-tuning rate
     */
    public record Schedule(
            int steps,
            int batchSize,
            int contextLength,
            double soupLearningRate,
            List<Double> genericLearningRates,
            double fineTuneLearningRate) {

        public Schedule {
            if (steps < 1 || batchSize < 1 || contextLength < 2) {
                throw new IllegalArgumentException("steps, batch and context must be positive (context >= 2)");
            }
            genericLearningRates = List.copyOf(genericLearningRates);
            if (genericLearningRates.isEmpty()) {
                throw new IllegalArgumentException("give the generic model at least one learning rate");
            }
        }

        TrainingPlan config(
                BatchSource source, MetaDistribution pi, int n, double lr, long seed, SpecializationProbe probe) {
            TrainingPlan.Builder b = plan(source, pi, n, lr, seed);
            if (probe != null) {
                b.specializationProbe(probe);
            }
            return b.build();
        }

        /** The builder of {@link #config} without a probe, for a caller to add to. */
        TrainingPlan.Builder plan(BatchSource source, MetaDistribution pi, int n, double lr, long seed) {
            return TrainingPlan.builder()
                    .source(source)
                    .metaDistribution(pi)
                    .steps(n)
                    .batchSize(batchSize)
                    .contextLength(contextLength)
                    .learningRate(lr)
                    .warmup(Math.min(100, n / 10))
                    .logEvery(Math.max(1, n / 5))
                    .seed(seed);
        }
    }

    /** Builder of {@link LeaveDomainsOut}. Not thread-safe. */
    public static final class Builder {
        private TokenStore store;
        private Tokenizer tokenizer;
        private List<List<Integer>> folds;
        private int foldCount = 4;
        private IntFunction<SoupOfExperts> soups;
        private LongFunction<DenseModel> generics;
        private Function<long[], MetaDistribution> meta = MetaDistributions.fromSpec("recommended");
        private DomainSplit split = DomainSplit.labels(200);
        private Schedule schedule;
        private List<Integer> specialistDocuments = List.of(20, 100);
        private int fineTuneSteps = 400;
        private int evalWindows = 64;
        private int fitWindows = 64;
        private int fitEvaluations;
        private int alphaFitEvaluations;
        private int layerFitSteps;
        private boolean equalTime;
        private int probeEvery;
        private long seed = 1;

        private Builder() {}

        /** The labelled corpus, as a token store, and its tokenizer. */
        public Builder store(TokenStore s, Tokenizer t) {
            store = s;
            tokenizer = t;
            return this;
        }

        /** Number of folds (default 4): a seeded shuffle of the domains dealt round-robin. */
        public Builder folds(int count) {
            foldCount = count;
            folds = null;
            return this;
        }

        /** The folds by domain name: each held out once at most. */
        public Builder folds(List<List<String>> heldOut) {
            Objects.requireNonNull(store, "call store(...) before folds(names)");
            List<List<Integer>> f = new ArrayList<>();
            for (List<String> fold : heldOut) {
                List<Integer> idx = new ArrayList<>();
                for (String name : fold) {
                    int d = store.domains().indexOf(name);
                    if (d < 0) {
                        throw new IllegalArgumentException(
                                "no domain '" + name + "' in " + store.domains().names());
                    }
                    idx.add(d);
                }
                f.add(List.copyOf(idx));
            }
            folds = List.copyOf(f);
            return this;
        }

        /** A new, untrained soup over k domains (its seed is yours to set). */
        public Builder soup(IntFunction<SoupOfExperts> factory) {
            soups = factory;
            return this;
        }

        /** A new, untrained generic model from a seed. */
        public Builder generic(LongFunction<DenseModel> factory) {
            generics = factory;
            return this;
        }

        /** The soup's meta-distribution from its domains' sizes (default: recommended). */
        public Builder metaDistribution(Function<long[], MetaDistribution> m) {
            meta = Objects.requireNonNull(m);
            return this;
        }

        /** Which domains the soup trains over (default: the training domains' labels). */
        public Builder domains(DomainSplit s) {
            split = Objects.requireNonNull(s);
            return this;
        }

        public Builder schedule(Schedule s) {
            schedule = s;
            return this;
        }

        /** The sizes N of the specialist sets (default 20 and 100); the largest is the headline. */
        public Builder specialistDocuments(Integer... n) {
            specialistDocuments = List.of(n);
            return this;
        }

        /** Fine-tuning steps at most (default 400; 0: no fine-tuning). */
        public Builder fineTuneSteps(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("fineTuneSteps must be >= 0, got " + n);
            }
            fineTuneSteps = n;
            return this;
        }

        /** Validation windows per held-out domain (default 64). */
        public Builder evalWindows(int n) {
            if (n < 2) {
                throw new IllegalArgumentException("evalWindows must be >= 2 (the oracle splits them), got " + n);
            }
            evalWindows = n;
            return this;
        }

        /**
         * The fit of h to each held-out domain's specialist documents ({@link DomainWeightFit}):
         * windows of their tokens it measures the loss on (default 64), and losses it may compute
         * (default 0: the fit's own default).
         */
        public Builder fit(int windows, int maxEvaluations) {
            if (windows < 1 || maxEvaluations < 0) {
                throw new IllegalArgumentException("the fit needs windows >= 1 and maxEvaluations >= 0, got " + windows
                        + " and " + maxEvaluations);
            }
            fitWindows = windows;
            fitEvaluations = maxEvaluations;
            return this;
        }

        /**
         * Also tune the expert coefficients alpha from router(fitted h) on the same windows, with at
         * most this many more losses ({@link DomainWeightFit.Builder#alphaEvaluations}), and score
         * the soup there (default 0: not tuned).
         */
        public Builder alphaFit(int evaluations) {
            if (evaluations < 0) {
                throw new IllegalArgumentException("alphaFit must be >= 0 evaluations (0: off), got " + evaluations);
            }
            alphaFitEvaluations = evaluations;
            return this;
        }

        /**
         * Then give every layer group its own alpha by this many gradient steps from the tuned alpha
         * ({@link DomainWeightFit.Builder#layerSteps}) and score the soup there (default 0: not run).
         */
        public Builder layerFit(int steps) {
            if (steps < 0) {
                throw new IllegalArgumentException("layerFit must be >= 0 steps (0: off), got " + steps);
            }
            layerFitSteps = steps;
            return this;
        }

        /**
         * Also train the generic model for the soup's wall time (default false). The soup then
         * trains in {@value PacedTraining#TURNS} turns, each after the first resumed from the last
         * one's checkpoint in a temporary folder (deleted after; one checkpoint of the soup's
         * weights and optimizer state at a time), and each followed by a model of the generic shape
         * trained until its training time caught up; the generic steps so counted are the
         * equal-time model's budget. This costs about one more soup's time per fold.
         */
        public Builder equalTime(boolean on) {
            equalTime = on;
            return this;
        }

        /**
         * Every this many steps of the soup's training, measure the h gain on each held-out domain
         * (its loss at the natural h minus at its histogram h, on validation windows): the curve
         * that shows whether unseen-domain gains come later in training. 0 (the default): none.
         */
        public Builder probeEvery(int steps) {
            if (steps < 0) {
                throw new IllegalArgumentException("probeEvery must be >= 0 steps, got " + steps);
            }
            probeEvery = steps;
            return this;
        }

        /** Seed of the folds, the data streams and the fine-tuning (default 1). */
        public Builder seed(long s) {
            seed = s;
            return this;
        }

        public LeaveDomainsOut build() {
            return new LeaveDomainsOut(this);
        }
    }
}
