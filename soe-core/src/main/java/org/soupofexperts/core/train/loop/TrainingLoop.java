package org.soupofexperts.core.train.loop;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.config.Seeds;
import org.soupofexperts.core.internal.Djl;
import org.soupofexperts.core.internal.NativeExit;
import org.soupofexperts.core.nn.GptModel;
import org.soupofexperts.core.nn.Router;
import org.soupofexperts.core.train.CheckpointPolicy;
import org.soupofexperts.core.train.EarlyStopping;
import org.soupofexperts.core.train.TrainingPlan;
import org.soupofexperts.core.train.TrainingReport;
import org.soupofexperts.core.train.checkpoint.BestWeights;
import org.soupofexperts.core.train.listener.SpecializationPoint;
import org.soupofexperts.core.train.listener.SpecializationProbe;
import org.soupofexperts.core.train.listener.StepEvent;
import org.soupofexperts.core.train.listener.StepListener;
import org.soupofexperts.core.train.optimizer.AdamW;
import org.soupofexperts.core.train.optimizer.ParameterSlots;

/**
 * The training loop of the paper's Algorithm 2 over a soup's model and router (or a plain model):
 * each step draws m domain weights from the meta-distribution, a batch from their mixtures, and
 * runs one {@link SoupStep}; around it, the listeners, the log, the specialization probe, early
 * stopping and checkpoints. Most users call {@code SoupOfExperts.train} or {@code
 * Specialist.train}; this class is public for those who assemble their own blocks. One run at a
 * time per JVM (DJL allows a single gradient collector): a second run waits for the first to
 * finish.
 */
public final class TrainingLoop {

    private static final Logger LOG = LoggerFactory.getLogger(TrainingLoop.class);
    /** DJL allows one gradient collector per JVM: runs queue here instead of failing mid-run. */
    private static final ReentrantLock RUN = new ReentrantLock();

    private TrainingLoop() {}

    /**
     * Trains {@code model} (with n experts) and {@code router} in place. With a null router the
     * model must have no experts: it is then a plain model trained on the h-mixtures drawn from
     * the meta-distribution (the baselines: generic, domain experts, CRISP; and fine-tuning).
     *
     * @param manager where per-step inputs are created (every temporary is freed each step)
     * @param seed the run's seed: h is drawn from stream "h", batches from stream "data"
     */
    public static TrainingReport run(GptModel model, Router router, NDManager manager, TrainingPlan cfg, long seed) {
        RUN.lock();
        // Held for the whole run, let go between steps: the JVM's exit waits for the step in
        // flight and never runs LibTorch's destructors under a backward pass (NativeExit).
        try (NativeExit.Section held = NativeExit.enter()) {
            return new Run(model, router, manager, cfg, seed, held).execute();
        } finally {
            RUN.unlock();
        }
    }

    /** One run: its inputs, checked once, and its progress. */
    private static final class Run {
        private final GptModel model;
        private final Router router;
        private final NDManager manager;
        private final TrainingPlan cfg;
        private final long seed;
        private final NativeExit.Section held;
        private final int k;
        private final int ctx;
        private final long tokensPerStep;
        private final PhaseClock clock;
        private boolean stopped;
        private final EarlyStopping es;
        private final SpecializationProbe probe;
        private final SplittableRandom hRng;
        private final SplittableRandom dataRng;
        private final float[] losses;
        private final List<TrainingReport.ValidationPoint> points = new ArrayList<>();
        private final List<SpecializationPoint> specialization = new ArrayList<>();
        private int clipped;
        private int stepsRun;
        private int firstStep = 1;
        private double priorSeconds;
        private long start;
        /** Time spent on evaluations and checkpoints, left out of seconds and tokens/s. */
        private long pausedNanos;

        Run(GptModel model, Router router, NDManager manager, TrainingPlan cfg, long seed, NativeExit.Section held) {
            this.model = model;
            this.router = router;
            this.manager = manager;
            this.cfg = cfg;
            this.seed = seed;
            this.held = held;
            if (router == null && model.experts() > 0) {
                throw new IllegalArgumentException("a model with experts needs its router to train");
            }
            this.k = router == null ? cfg.source().numDomains() : router.domains();
            if (cfg.source().numDomains() != k) {
                throw new IllegalArgumentException(
                        "the batch source has " + cfg.source().numDomains() + " domains but the soup has k=" + k);
            }
            this.ctx = cfg.contextLength() == 0 ? model.config().contextLength() : cfg.contextLength();
            if (ctx > model.config().contextLength()) {
                throw new IllegalArgumentException(
                        "training contextLength " + ctx + " exceeds the model's context length "
                                + model.config().contextLength());
            }
            cfg.source().checkLength(ctx + 1);
            this.es = cfg.earlyStopping();
            if (es != null) {
                checkEarlyStopping(es, router, model);
            }
            this.probe = cfg.specializationProbe();
            if (probe != null) {
                if (router == null) {
                    throw new IllegalArgumentException(
                            "a specialization probe measures soups: a plain model has no h to use");
                }
                probe.check(model);
            }
            this.hRng = Seeds.stream(seed, Seeds.H);
            this.dataRng = Seeds.stream(seed, Seeds.DATA);
            this.tokensPerStep = (long) cfg.batchSize() * ctx;
            this.clock = cfg.timePhases() ? new PhaseClock(true) : PhaseClock.OFF;
            this.losses = new float[cfg.steps()];
            this.stepsRun = cfg.steps();
        }

        TrainingReport execute() {
            LOG.info("training {} steps: {}", cfg.steps(), cfg.describe(router != null));
            ParameterSlots slots = new ParameterSlots(model, router, cfg);
            try (AdamW opt = new AdamW(slots.all(), cfg.beta1(), cfg.beta2(), cfg.epsilon(), cfg.fusedUpdate());
                    BestWeights best = es == null ? null : new BestWeights(manager, slots.all(), es.restoreBest())) {
                begin(slots, opt, best);
                try (SoupStep stepper = SoupStep.choose(model, router, manager, slots, opt, cfg)) {
                    stepper.timeWith(clock);
                    return execute(stepper, slots, opt, best);
                }
            }
        }

        private TrainingReport execute(SoupStep stepper, ParameterSlots slots, AdamW opt, BestWeights best) {
            if (router != null || cfg.devices().size() > 1) {
                LOG.info("step: {}", stepper.describe());
            }
            if (probe != null && firstStep == 1) {
                specialization.add(probe.measure(0, model, router, manager));
            }
            start = System.nanoTime();
            try {
                loop(stepper, slots, opt, best);
            } catch (IllegalStateException diverged) {
                if (best != null) {
                    // Leave the model at its best evaluated point rather than at NaN.
                    best.restore();
                }
                throw diverged;
            }
            if (best != null) {
                best.restore();
            }
            return report(best);
        }

        /** Resumes the checkpoint the config names, or takes the first evaluation for early stopping. */
        private void begin(ParameterSlots slots, AdamW opt, BestWeights best) {
            if (cfg.resumeFrom() != null) {
                RunCheckpoints.Resumed r = RunCheckpoints.resume(cfg, seed, slots, opt, best, hRng, dataRng, ctx);
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
        }

        private void loop(SoupStep stepper, ParameterSlots slots, AdamW opt, BestWeights best) {
            long lastCheckpoint = System.nanoTime();
            for (int step = firstStep; step <= cfg.steps(); step++) {
                held.yieldToExit();
                clock.start();
                double[][] hs = GroupBatches.drawH(cfg.metaDistribution(), cfg.hPerStep(), k, hRng);
                TokenBatch tb = GroupBatches.sample(cfg.source(), hs, cfg.batchSize(), ctx + 1, dataRng);
                GroupBatches.check(tb, cfg.batchSize(), ctx + 1, model.config());
                clock.lap("batch");
                double lr = cfg.learningRateAt(step);
                StepResult result = stepper.run(tb, hs, lr, step);
                record(step, result, lr, hs);
                if (probe != null && (step % probe.every() == 0 || step == cfg.steps())) {
                    long p0 = System.nanoTime();
                    SpecializationPoint sp = probe.measure(step, model, router, manager);
                    pausedNanos += System.nanoTime() - p0;
                    specialization.add(sp);
                    LOG.info("specialization at {}", sp);
                }
                if (es != null && evaluateAndStop(step, best)) {
                    stepsRun = step;
                    return;
                }
                CheckpointPolicy policy = cfg.checkpoints();
                if (step < cfg.steps() && stopRequested()) {
                    stepsRun = step;
                    stopped = true;
                    if (policy != null) {
                        // So that the stopped run can be resumed where it stopped.
                        long c0 = System.nanoTime();
                        RunCheckpoints.Progress progress =
                                new RunCheckpoints.Progress(clipped, losses, seconds(c0), points, specialization);
                        Path written = RunCheckpoints.write(policy, step, cfg, seed, slots, opt, best, progress);
                        pausedNanos += System.nanoTime() - c0;
                        LOG.info("checkpoint {} written at the stop", written);
                    }
                    LOG.info("training stopped on request after step {} of {}", step, cfg.steps());
                    return;
                }
                if (policy != null
                        && step < cfg.steps()
                        && policy.due(step, Duration.ofNanos(System.nanoTime() - lastCheckpoint))) {
                    long c0 = System.nanoTime();
                    RunCheckpoints.Progress progress =
                            new RunCheckpoints.Progress(clipped, losses, seconds(c0), points, specialization);
                    Path written = RunCheckpoints.write(policy, step, cfg, seed, slots, opt, best, progress);
                    lastCheckpoint = System.nanoTime();
                    pausedNanos += lastCheckpoint - c0;
                    LOG.info("checkpoint {} written in {} ms", written, (lastCheckpoint - c0) / 1_000_000);
                }
            }
        }

        /** The caller's stop condition, or an interrupt of the training thread (whose flag is kept). */
        private boolean stopRequested() {
            return Thread.currentThread().isInterrupted()
                    || (cfg.stopWhen() != null && cfg.stopWhen().getAsBoolean());
        }

        /** Counts the step, tells the listeners, logs every {@code logEvery} steps. */
        private void record(int step, StepResult result, double lr, double[][] hs) {
            if (result.clipped()) {
                clipped++;
            }
            losses[step - 1] = (float) result.loss();
            double elapsed = seconds(System.nanoTime());
            double tokensPerSecond = step * tokensPerStep / elapsed;
            StepEvent ev = new StepEvent(
                    step,
                    cfg.steps(),
                    result.loss(),
                    lr,
                    result.gradNorm(),
                    result.clipped(),
                    tokensPerSecond,
                    hs[0],
                    hs,
                    elapsed,
                    elapsed / step * (cfg.steps() - step));
            for (StepListener l : cfg.listeners()) {
                l.onStep(ev);
            }
            if (cfg.logEvery() > 0 && (step % cfg.logEvery() == 0 || step == cfg.steps())) {
                LOG.info(String.format(
                        "step %d/%d loss %.4f lr %.2e grad-norm %.3f %.0f tok/s, %s elapsed, %s left",
                        step,
                        cfg.steps(),
                        result.loss(),
                        lr,
                        result.gradNorm(),
                        tokensPerSecond,
                        StepEvent.clock(elapsed),
                        StepEvent.clock(ev.etaSeconds())));
            }
        }

        /** Early stopping's evaluation when due; true when the run should stop here. */
        private boolean evaluateAndStop(int step, BestWeights best) {
            if (step % es.every() != 0 && step != cfg.steps()) {
                return false;
            }
            long v0 = System.nanoTime();
            double v = validationLoss(model, manager, es);
            pausedNanos += System.nanoTime() - v0;
            points.add(new TrainingReport.ValidationPoint(step, step * tokensPerStep, v));
            best.offer(v, step, es.minDelta());
            if (best.sinceImprovement >= es.patience() && step < cfg.steps()) {
                LOG.info(String.format(
                        "early stop at step %d: validation %.4f, best %.4f at step %d", step, v, best.loss, best.step));
                return true;
            }
            return false;
        }

        /** Training seconds up to {@code now}: this launch's, without pauses, plus earlier launches'. */
        private double seconds(long now) {
            return priorSeconds + (now - start - pausedNanos) / 1e9;
        }

        private TrainingReport report(BestWeights best) {
            TrainingReport report = new TrainingReport(
                    stepsRun,
                    stepsRun * tokensPerStep,
                    seconds(System.nanoTime()),
                    Arrays.copyOf(losses, stepsRun),
                    (double) clipped / stepsRun,
                    seed,
                    points,
                    best == null ? -1 : best.step,
                    best == null ? Double.NaN : best.loss,
                    specialization,
                    clock.meanMillis(stepsRun - firstStep + 1),
                    stopped);
            LOG.info("training done: {}", report);
            return report;
        }
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
            model.config().checkTokenIds(b.tokens(), "validation");
        }
    }

    /** Mean held-out loss, without autograd; every temporary is freed. */
    private static double validationLoss(GptModel model, NDManager manager, EarlyStopping es) {
        double nats = 0;
        long sequences = 0;
        try (Djl.NoGrad ng = Djl.noGrad()) {
            for (TokenBatch b : es.validation()) {
                try (Djl.Scope scope = Djl.scope()) {
                    NDArray tokens = manager.create(b.tokens(), new Shape(b.batchSize(), b.length()));
                    nats += model.loss(tokens, null).getFloat() * b.batchSize();
                    sequences += b.batchSize();
                }
            }
        }
        return nats / sequences;
    }
}
