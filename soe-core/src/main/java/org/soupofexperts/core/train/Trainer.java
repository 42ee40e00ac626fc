package org.soupofexperts.core.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.core.batch.BatchSource;
import org.soupofexperts.core.batch.MetaDistribution;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.config.DomainWeights;
import org.soupofexperts.core.config.Seeds;
import org.soupofexperts.core.internal.Djl;
import org.soupofexperts.core.nn.GptModel;
import org.soupofexperts.core.nn.Router;
import org.soupofexperts.core.nn.SoupTensor;

/**
 * The training loop of the paper's Algorithm 2 over a soup's model and router. Most users call
 * {@code SoupOfExperts.train}; this class is public for those who assemble their own blocks.
 * One run at a time per JVM (DJL allows a single gradient collector): a second run waits for the
 * first to finish.
 */
public final class Trainer {

    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);
    /** DJL allows one gradient collector per JVM: runs queue here instead of failing mid-run. */
    private static final java.util.concurrent.locks.ReentrantLock RUN = new java.util.concurrent.locks.ReentrantLock();

    private Trainer() {}

    /**
     * Trains {@code model} (with n experts) and {@code router} in place. With a null router the
     * model must have no experts: it is then a plain model trained on the h-mixtures drawn from
     * the meta-distribution (the baselines: generic, domain experts, CRISP; and fine-tuning).
     *
     * @param manager where per-step inputs are created (every temporary is freed each step)
     * @param seed the run's seed: h is drawn from stream "h", batches from stream "data"
     */
    public static TrainingReport run(GptModel model, Router router, NDManager manager, TrainingConfig cfg, long seed) {
        RUN.lock();
        try {
            return runExclusive(model, router, manager, cfg, seed);
        } finally {
            RUN.unlock();
        }
    }

    private static TrainingReport runExclusive(
            GptModel model, Router router, NDManager manager, TrainingConfig cfg, long seed) {
        if (router == null && model.experts() > 0) {
            throw new IllegalArgumentException("a model with experts needs its router to train");
        }
        int k = router == null ? cfg.source().numDomains() : router.domains();
        if (cfg.source().numDomains() != k) {
            throw new IllegalArgumentException(
                    "the batch source has " + cfg.source().numDomains() + " domains but the soup has k=" + k);
        }
        int ctx = cfg.contextLength() == 0 ? model.config().contextLength() : cfg.contextLength();
        if (ctx > model.config().contextLength()) {
            throw new IllegalArgumentException("training contextLength " + ctx + " exceeds the model's context length "
                    + model.config().contextLength());
        }
        cfg.source().checkLength(ctx + 1);
        EarlyStopping es = cfg.earlyStopping();
        if (es != null) {
            checkEarlyStopping(es, router, model);
        }
        SpecializationProbe probe = cfg.specializationProbe();
        if (probe != null) {
            if (router == null) {
                throw new IllegalArgumentException(
                        "a specialization probe measures soups: a plain model has no h to use");
            }
            probe.check(model);
        }
        List<AdamW.Slot> slots = slots(model, router, cfg);
        SplittableRandom hRng = Seeds.stream(seed, Seeds.H);
        SplittableRandom dataRng = Seeds.stream(seed, Seeds.DATA);
        Engine engine = Djl.engine();
        int steps = cfg.steps();
        int batch = cfg.batchSize();
        int vocab = model.config().vocabSize();
        float[] losses = new float[steps];
        int clipped = 0;
        long tokensPerStep = (long) batch * ctx;
        LOG.info("training {} steps: {}", steps, cfg);
        List<TrainingReport.ValidationPoint> points = new ArrayList<>();
        List<SpecializationPoint> specialization = new ArrayList<>();
        int m = cfg.hPerStep();
        int stepsRun = steps;
        CheckpointPolicy checkpoints = cfg.checkpoints();
        int bestStep = -1;
        double bestLoss = Double.NaN;
        long start;
        // Time spent measuring the validation loss or writing checkpoints is left out of seconds and tokens/s.
        long validationNanos = 0;
        int firstStep = 1;
        double priorSeconds = 0;
        try (AdamW opt = new AdamW(slots, cfg.beta1(), cfg.beta2(), cfg.epsilon(), cfg.fusedUpdate());
                Best best = es == null ? null : new Best(manager, slots, es.restoreBest())) {
            if (cfg.resumeFrom() != null) {
                Resumed r = resume(cfg, seed, slots, opt, best, hRng, dataRng, ctx);
                firstStep = r.step() + 1;
                priorSeconds = r.seconds();
                clipped = r.clipped();
                System.arraycopy(r.losses(), 0, losses, 0, r.step());
                points.addAll(r.validation());
                specialization.addAll(r.specialization());
            } else if (es != null) {
                double v = validationLoss(model, manager, es);
                points.add(new TrainingReport.ValidationPoint(0, 0, v));
                best.offer(v, 0, es.minDelta());
            }
            // The closed-form step needs every slot in the fused kernel: CPU, float32 (see AnalyticSoupStep).
            TrainingConfig.StepAlgorithm algorithm = cfg.stepAlgorithm();
            if (router != null && algorithm == TrainingConfig.StepAlgorithm.CLOSED_FORM && !opt.allFused()) {
                throw new IllegalArgumentException("StepAlgorithm.CLOSED_FORM needs every parameter in the fused AdamW"
                        + " update (CPU, float32); this soup's parameters are on " + manager.getDevice()
                        + ": use StepAlgorithm.AUTO or AUTOGRAD");
            }
            AnalyticSoupStep analytic =
                    router != null && algorithm != TrainingConfig.StepAlgorithm.AUTOGRAD && opt.allFused()
                            ? new AnalyticSoupStep(model, router, manager, slots, engine)
                            : null;
            if (router != null) {
                LOG.info(
                        "soup step: {}", analytic != null ? "closed form (fused AdamW)" : "autograd through the banks");
            }
            if (analytic == null
                    && router != null
                    && (cfg.skipIdleExperts()
                            || cfg.expertUpdate() == TrainingConfig.ExpertUpdate.SHARED_SECOND_MOMENT)) {
                throw new IllegalArgumentException("skipIdleExperts and ExpertUpdate.SHARED_SECOND_MOMENT need the"
                        + " closed-form soup step (CPU, float32); use ExpertUpdate.ADAM without skipIdleExperts here");
            }
            if (probe != null && firstStep == 1) {
                specialization.add(probe.measure(0, model, router, manager));
            }
            start = System.nanoTime();
            try {
                long lastCheckpoint = System.nanoTime();
                for (int step = firstStep; step <= steps; step++) {
                    double[][] hs = new double[m][];
                    for (int g = 0; g < m; g++) {
                        hs[g] = DomainWeights.validate(cfg.metaDistribution().sample(hRng), k);
                    }
                    TokenBatch tb = sample(cfg.source(), hs, batch, ctx + 1, dataRng);
                    checkBatch(tb, batch, ctx + 1, vocab);
                    double lr = cfg.learningRateAt(step);
                    StepResult result = analytic != null
                            ? analytic.run(opt, tb, hs, lr, cfg.gradClip(), step, cfg.skipIdleExperts())
                            : autogradStep(
                                    model, router, manager, engine, slots, opt, tb, hs, lr, cfg.gradClip(), step);
                    double loss = result.loss();
                    double norm = result.gradNorm();
                    if (result.clipped()) {
                        clipped++;
                    }
                    losses[step - 1] = (float) loss;
                    double seconds = priorSeconds + (System.nanoTime() - start - validationNanos) / 1e9;
                    StepEvent ev = new StepEvent(
                            step, steps, loss, lr, norm, result.clipped(), step * tokensPerStep / seconds, hs[0], hs);
                    for (TrainingListener l : cfg.listeners()) {
                        l.onStep(ev);
                    }
                    if (cfg.logEvery() > 0 && (step % cfg.logEvery() == 0 || step == steps)) {
                        LOG.info(String.format(
                                "step %d/%d loss %.4f lr %.2e grad-norm %.3f %.0f tok/s",
                                step, steps, loss, lr, norm, ev.tokensPerSecond()));
                    }
                    if (probe != null && (step % probe.every() == 0 || step == steps)) {
                        long p0 = System.nanoTime();
                        SpecializationPoint sp = probe.measure(step, model, router, manager);
                        validationNanos += System.nanoTime() - p0;
                        specialization.add(sp);
                        LOG.info("specialization at {}", sp);
                    }
                    if (es != null && (step % es.every() == 0 || step == steps)) {
                        long v0 = System.nanoTime();
                        double v = validationLoss(model, manager, es);
                        validationNanos += System.nanoTime() - v0;
                        points.add(new TrainingReport.ValidationPoint(step, step * tokensPerStep, v));
                        best.offer(v, step, es.minDelta());
                        if (best.sinceImprovement >= es.patience() && step < steps) {
                            LOG.info(String.format(
                                    "early stop at step %d: validation %.4f, best %.4f at step %d",
                                    step, v, best.loss, best.step));
                            stepsRun = step;
                            break;
                        }
                    }
                    if (checkpoints != null
                            && step < steps
                            && checkpoints.due(step, java.time.Duration.ofNanos(System.nanoTime() - lastCheckpoint))) {
                        long c0 = System.nanoTime();
                        double secondsSoFar = priorSeconds + (c0 - start - validationNanos) / 1e9;
                        Path written = checkpoint(
                                checkpoints,
                                step,
                                cfg,
                                seed,
                                slots,
                                opt,
                                best,
                                losses,
                                clipped,
                                secondsSoFar,
                                points,
                                specialization);
                        lastCheckpoint = System.nanoTime();
                        validationNanos += lastCheckpoint - c0;
                        LOG.info("checkpoint {} written in {} ms", written, (lastCheckpoint - c0) / 1_000_000);
                    }
                }
            } catch (IllegalStateException diverged) {
                if (es != null) {
                    // Leave the model at its best evaluated point rather than at NaN.
                    best.restore();
                }
                throw diverged;
            }
            if (es != null) {
                best.restore();
                bestStep = best.step;
                bestLoss = best.loss;
            }
        }
        double seconds = priorSeconds + (System.nanoTime() - start - validationNanos) / 1e9;
        TrainingReport report = new TrainingReport(
                stepsRun,
                stepsRun * tokensPerStep,
                seconds,
                java.util.Arrays.copyOf(losses, stepsRun),
                (double) clipped / stepsRun,
                seed,
                points,
                bestStep,
                bestLoss,
                specialization);
        LOG.info("training done: {}", report);
        return report;
    }

    /** The state a resumed run starts from (its arrays are already back in place). */
    private record Resumed(
            int step,
            double seconds,
            int clipped,
            float[] losses,
            List<TrainingReport.ValidationPoint> validation,
            List<SpecializationPoint> specialization) {}

    /**
     * Every array of the training state, in checkpoint order: the trained weights, the optimizer's
     * moments, then the best evaluation's copy of the weights when early stopping keeps one.
     */
    private static List<NDArray> stateArrays(List<AdamW.Slot> slots, AdamW opt, Best best) {
        List<NDArray> all = new ArrayList<>();
        for (AdamW.Slot s : slots) {
            all.add(s.weight());
        }
        all.addAll(opt.stateArrays());
        if (best != null) {
            all.addAll(best.snapshot);
        }
        return all;
    }

    private static Path checkpoint(
            CheckpointPolicy policy,
            int step,
            TrainingConfig cfg,
            long seed,
            List<AdamW.Slot> slots,
            AdamW opt,
            Best best,
            float[] losses,
            int clipped,
            double seconds,
            List<TrainingReport.ValidationPoint> points,
            List<SpecializationPoint> specialization) {
        com.google.gson.JsonObject st = new com.google.gson.JsonObject();
        st.addProperty("totalSteps", cfg.steps());
        st.addProperty("optimizerStep", opt.stepCount());
        st.addProperty("seed", seed);
        st.addProperty("training", cfg.toString());
        st.addProperty("clipped", clipped);
        st.add("seconds", CheckpointJson.number(seconds));
        st.add("validation", CheckpointJson.validation(points));
        st.add("specialization", CheckpointJson.specialization(specialization));
        if (best != null) {
            st.add("best", CheckpointJson.best(best.loss, best.step, best.sinceImprovement, !best.snapshot.isEmpty()));
        }
        try (Djl.NoGrad ng = Djl.noGrad()) {
            return Checkpoints.write(policy, step, st, stateArrays(slots, opt, best), losses);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(
                    "cannot write the checkpoint of step " + step + " into " + policy.directory() + ": "
                            + e.getMessage(),
                    e);
        }
    }

    /**
     * Loads a checkpoint into the live run and moves the seed streams to where the run stopped, by
     * drawing (and discarding) every h and batch of the steps already done: the streams are
     * {@link SplittableRandom}s, whose position is the sequence of draws, and replaying the draws
     * works with any {@link BatchSource} and {@link MetaDistribution}.
     */
    private static Resumed resume(
            TrainingConfig cfg,
            long seed,
            List<AdamW.Slot> slots,
            AdamW opt,
            Best best,
            SplittableRandom hRng,
            SplittableRandom dataRng,
            int ctx) {
        Path from = cfg.resumeFrom();
        Checkpoints.Read read;
        try {
            read = Checkpoints.read(
                    from,
                    state -> {
                        CheckpointJson.requireSame(from, state, cfg, seed);
                        if (best != null) {
                            best.restoreFrom(CheckpointJson.bestOf(from, state));
                        } else if (state.has("best")) {
                            throw new org.soupofexperts.core.io.SoupFormatException(
                                    from + " was written by a run with early stopping; this run has none");
                        }
                        return stateArrays(slots, opt, best);
                    },
                    cfg.steps());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot resume from " + from + ": " + e.getMessage(), e);
        }
        com.google.gson.JsonObject st = read.state();
        int step = read.step();
        Resumed resumed;
        try {
            opt.restoreStepCount(CheckpointJson.integer(st, "optimizerStep", from));
            resumed = new Resumed(
                    step,
                    CheckpointJson.real(st, "seconds"),
                    CheckpointJson.integer(st, "clipped", from),
                    read.losses(),
                    CheckpointJson.validationOf(st),
                    CheckpointJson.specializationOf(st));
        } catch (RuntimeException e) {
            throw new java.io.UncheckedIOException(new org.soupofexperts.core.io.SoupFormatException(
                    "cannot resume from " + from + ": the trainer state in its manifest is malformed (" + e.getMessage()
                            + ")",
                    e));
        }
        int k = cfg.source().numDomains();
        int m = cfg.hPerStep();
        for (int s = 1; s <= step; s++) {
            double[][] hs = new double[m][];
            for (int g = 0; g < m; g++) {
                hs[g] = DomainWeights.validate(cfg.metaDistribution().sample(hRng), k);
            }
            sample(cfg.source(), hs, cfg.batchSize(), ctx + 1, dataRng);
        }
        LOG.info("resumed from {} at step {} of {}", from, step, cfg.steps());
        return resumed;
    }

    /** What one training step did. */
    record StepResult(double loss, double gradNorm, boolean clipped) {}

    /** The m groups' h as one array: shape (k) for one group (the one-h step), (m, k) otherwise. */
    static NDArray domainWeights(NDManager manager, double[][] hs) {
        if (hs.length == 1) {
            return Djl.engineOwned(manager.create(Djl.floats(hs[0])));
        }
        int k = hs[0].length;
        float[] flat = new float[hs.length * k];
        for (int g = 0; g < hs.length; g++) {
            System.arraycopy(Djl.floats(hs[g]), 0, flat, g * k, k);
        }
        return Djl.engineOwned(manager.create(flat, new Shape(hs.length, k)));
    }

    /** batch/m sequences from each group's mixture, in group order (one call for one group). */
    static TokenBatch sample(BatchSource source, double[][] hs, int batch, int length, SplittableRandom rng) {
        if (hs.length == 1) {
            return source.sample(hs[0], batch, length, rng);
        }
        int per = batch / hs.length;
        int[] tokens = new int[batch * length];
        int[] domains = new int[batch];
        boolean labelled = true;
        for (int g = 0; g < hs.length; g++) {
            TokenBatch part = source.sample(hs[g], per, length, rng);
            checkBatch(part, per, length, Integer.MAX_VALUE);
            System.arraycopy(part.tokens(), 0, tokens, g * per * length, per * length);
            if (part.domains() != null) {
                System.arraycopy(part.domains(), 0, domains, g * per, per);
            } else {
                labelled = false;
            }
        }
        return new TokenBatch(batch, length, tokens, labelled ? domains : null);
    }

    /** One step by autograd through the whole soup. */
    private static StepResult autogradStep(
            GptModel model,
            Router router,
            NDManager manager,
            Engine engine,
            List<AdamW.Slot> slots,
            AdamW opt,
            TokenBatch tb,
            double[][] hs,
            double lr,
            double clip,
            int step) {
        try (NDScope scope = new NDScope();
                GradientCollector gc = engine.newGradientCollector()) {
            scope.suppressNotUsedWarning();
            NDArray tokens = manager.create(tb.tokens(), new Shape(tb.batchSize(), tb.length()));
            NDArray alpha = router == null ? null : router.alpha(domainWeights(manager, hs));
            NDArray lossArray = model.loss(tokens, alpha);
            gc.backward(lossArray);
            double loss = lossArray.getFloat();
            double norm = globalNorm(slots);
            if (!Double.isFinite(loss) || !Double.isFinite(norm)) {
                zeroGradients(slots);
                throw diverged(step, loss, norm);
            }
            double scale = clip > 0 && norm > clip ? clip / norm : 1.0;
            opt.step(lr, scale);
            return new StepResult(loss, norm, scale < 1.0);
        }
    }

    /**
     * The error of a diverged step. The caller first zeroes the gradients: the optimizer is what
     * clears them, and without a step they would poison the next run on this soup.
     */
    static IllegalStateException diverged(int step, double loss, double norm) {
        return new IllegalStateException("training diverged at step " + step + ": loss=" + loss + ", gradient norm="
                + norm + "; lower the learning rate or enable gradClip");
    }

    private static void checkEarlyStopping(EarlyStopping es, Router router, GptModel model) {
        if (router != null) {
            throw new IllegalArgumentException(
                    "early stopping applies to plain models (a Specialist): a soup's validation loss depends on h");
        }
        int max = model.config().contextLength() + 1;
        if (es.length() < 2 || es.length() > max) {
            throw new IllegalArgumentException("validation sequences must have 2 to " + max
                    + " tokens (the model's context + 1), got " + es.length());
        }
        for (TokenBatch b : es.validation()) {
            for (int t : b.tokens()) {
                if (t < 0 || t >= model.config().vocabSize()) {
                    throw new IllegalArgumentException("validation token id " + t + " is outside the vocabulary [0, "
                            + model.config().vocabSize() + ")");
                }
            }
        }
    }

    /** Mean held-out loss, without autograd; every temporary is freed. */
    private static double validationLoss(GptModel model, NDManager manager, EarlyStopping es) {
        double nats = 0;
        long sequences = 0;
        try (Djl.NoGrad ng = Djl.noGrad()) {
            for (TokenBatch b : es.validation()) {
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDArray tokens = manager.create(b.tokens(), new Shape(b.batchSize(), b.length()));
                    nats += model.loss(tokens, null).getFloat() * b.batchSize();
                    sequences += b.batchSize();
                }
            }
        }
        return nats / sequences;
    }

    /** The best evaluation so far, with a copy of its parameters when they are to be restored. */
    private static final class Best implements AutoCloseable {
        private final NDManager copies;
        private final List<AdamW.Slot> slots;
        private final boolean keep;
        private List<NDArray> snapshot = List.of();
        private double loss = Double.POSITIVE_INFINITY;
        private int step = -1;
        private int sinceImprovement;

        Best(NDManager manager, List<AdamW.Slot> slots, boolean keep) {
            this.copies = manager.newSubManager();
            this.slots = slots;
            this.keep = keep;
        }

        void offer(double v, int atStep, double minDelta) {
            if (v < loss - minDelta) {
                loss = v;
                step = atStep;
                sinceImprovement = 0;
                if (keep) {
                    try (Djl.NoGrad ng = Djl.noGrad()) {
                        replaceSnapshot(NDArray::duplicate);
                    }
                }
            } else {
                sinceImprovement++;
            }
        }

        /**
         * Sets the counters of a checkpoint and, if it kept a copy of the best weights, allocates
         * that copy (filled from the checkpoint next).
         */
        void restoreFrom(CheckpointJson.BestState b) {
            loss = b.loss();
            step = b.step();
            sinceImprovement = b.sinceImprovement();
            if (b.snapshot() && !keep) {
                throw new IllegalArgumentException("the checkpoint keeps the best weights but this run's early"
                        + " stopping does not restore them: resume needs the same config");
            }
            if (b.snapshot()) {
                replaceSnapshot(NDArray::zerosLike);
            } else {
                snapshot.forEach(NDArray::close);
                snapshot = List.of();
            }
        }

        /** Frees the copy of the best weights and makes a new one, one array per slot, in its own manager. */
        private void replaceSnapshot(java.util.function.UnaryOperator<NDArray> copy) {
            snapshot.forEach(NDArray::close);
            List<NDArray> c = new ArrayList<>();
            for (AdamW.Slot s : slots) {
                NDArray d = copy.apply(s.weight());
                NDScope.unregister(d);
                d.attach(copies);
                c.add(d);
            }
            snapshot = c;
        }

        /** Puts the best parameters back in place (the arrays the caller holds stay the same). */
        void restore() {
            if (!keep || snapshot.isEmpty()) {
                return;
            }
            try (Djl.NoGrad ng = Djl.noGrad();
                    NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                for (int i = 0; i < slots.size(); i++) {
                    // A copy into w's own memory, not w*0 + best (after divergence w holds NaN,
                    // and NaN*0 is NaN), nor set() (which would repoint w at a Java buffer).
                    Checkpoints.copyInto(slots.get(i).weight(), snapshot.get(i).toByteBuffer());
                }
            }
        }

        @Override
        public void close() {
            copies.close();
        }
    }

    private static List<AdamW.Slot> slots(GptModel model, Router router, TrainingConfig cfg) {
        List<AdamW.Slot> slots = new ArrayList<>();
        boolean shareV = cfg.expertUpdate() == TrainingConfig.ExpertUpdate.SHARED_SECOND_MOMENT;
        for (SoupTensor t : model.soupTensors()) {
            int sharedIndex = slots.size();
            slots.add(slot(t.shared().getArray(), ParamGroup.SHARED, t.decayed(), cfg, model.experts()));
            if (t.bank() != null) {
                AdamW.Slot bank = slot(t.bank().getArray(), ParamGroup.EXPERTS, t.decayed(), cfg, model.experts());
                slots.add(
                        shareV && !t.lowRank()
                                ? new AdamW.Slot(bank.weight(), bank.lrScale(), bank.weightDecay(), sharedIndex)
                                : bank);
            }
            if (t.bankV() != null) {
                slots.add(slot(t.bankV().getArray(), ParamGroup.EXPERTS, t.decayed(), cfg, model.experts()));
            }
        }
        for (SoupTensor t : router == null ? List.<SoupTensor>of() : router.soupTensors()) {
            slots.add(slot(t.shared().getArray(), ParamGroup.ROUTER, t.decayed(), cfg, model.experts()));
        }
        return slots;
    }

    private static AdamW.Slot slot(NDArray w, ParamGroup g, boolean decayed, TrainingConfig cfg, int experts) {
        return new AdamW.Slot(w, cfg.learningRateScale(g, experts), decayed ? cfg.weightDecay(g) : 0.0);
    }

    static void zeroGradients(List<AdamW.Slot> slots) {
        for (AdamW.Slot s : slots) {
            Djl.zeroGradient(s.weight());
        }
    }

    /** Global L2 norm of all gradients, with one synchronisation. */
    private static double globalNorm(List<AdamW.Slot> slots) {
        NDArray total = null;
        for (AdamW.Slot s : slots) {
            NDArray g = s.weight().getGradient();
            // norm() reads the gradient once; square().sum() would also write a full-size copy.
            NDArray sq = g.norm().square();
            total = total == null ? sq : total.add(sq);
        }
        return Math.sqrt(total.getFloat());
    }

    private static void checkBatch(TokenBatch tb, int batch, int length, int vocab) {
        if (tb == null || tb.batchSize() != batch || tb.length() != length) {
            throw new IllegalStateException("batch source returned "
                    + (tb == null ? "null" : tb.batchSize() + " x " + tb.length())
                    + ", expected " + batch + " x " + length);
        }
        for (int t : tb.tokens()) {
            if (t < 0 || t >= vocab) {
                throw new IllegalStateException(
                        "batch source returned token id " + t + " outside the vocabulary [0, " + vocab + ")");
            }
        }
    }
}
