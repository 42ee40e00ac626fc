package org.soupofexperts.core.train.loop;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.time.Duration;
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
import org.soupofexperts.core.train.optimizer.AdamW;
import org.soupofexperts.core.train.optimizer.ParameterSlots;
import org.soupofexperts.core.train.step.PhaseClock;
import org.soupofexperts.core.train.step.SoupStep;

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
    private static final ReentrantLock RUN = Djl.gradientLock();

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

    /** One run: its inputs, checked once, and its control flow; {@link RunProgress} keeps the accounts. */
    private static final class Run {
        private final GptModel model;
        private final Router router;
        private final NDManager manager;
        private final TrainingPlan cfg;
        private final long seed;
        private final NativeExit.Section held;
        private final int k;
        private final int ctx;
        private final PhaseClock clock;
        private final EarlyStop early;
        private final SpecializationProbe probe;
        private final SplittableRandom hRng;
        private final SplittableRandom dataRng;
        private final RunProgress progress;

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
            this.k = router == null ? cfg.source().numDomains() : router.numDomains();
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
            EarlyStopping es = cfg.earlyStopping();
            this.early = es == null ? null : new EarlyStop(es, router, model, manager);
            this.probe = cfg.specializationProbe();
            if (probe != null) {
                probe.check(model, router);
            }
            this.hRng = Seeds.stream(seed, Seeds.H);
            this.dataRng = Seeds.stream(seed, Seeds.DATA);
            this.clock = cfg.timePhases() ? new PhaseClock(true) : PhaseClock.OFF;
            this.progress = new RunProgress(cfg, seed, (long) cfg.batchSize() * ctx, clock);
        }

        TrainingReport execute() {
            LOG.info("training {} steps: {}", cfg.steps(), cfg.describe(router != null));
            ParameterSlots slots = new ParameterSlots(model, router, cfg);
            try (AdamW opt = new AdamW(slots.all(), cfg.optimizer());
                    BestWeights best = early == null
                            ? null
                            : new BestWeights(
                                    manager, slots.all(), cfg.earlyStopping().restoreBest())) {
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
            if (probe != null && progress.firstStep() == 1) {
                progress.specialization().add(probe.measure(0, model, router, manager));
            }
            progress.start();
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
            return progress.report(best);
        }

        /** Resumes the checkpoint the config names, or takes the first evaluation for early stopping. */
        private void begin(ParameterSlots slots, AdamW opt, BestWeights best) {
            if (cfg.resumeFrom() != null) {
                progress.resume(RunCheckpoints.resume(cfg, seed, slots, opt, best, hRng, dataRng, ctx));
            } else if (early != null) {
                early.first(best, progress.points());
            }
        }

        private void loop(SoupStep stepper, ParameterSlots slots, AdamW opt, BestWeights best) {
            long lastCheckpoint = System.nanoTime();
            for (int step = progress.firstStep(); step <= cfg.steps(); step++) {
                held.yieldToExit();
                clock.start();
                double[][] hs = GroupBatches.drawH(
                        cfg.metaDistribution(), cfg.soupStep().hPerStep(), k, hRng);
                TokenBatch tb = GroupBatches.sample(cfg.source(), hs, cfg.batchSize(), ctx + 1, dataRng);
                GroupBatches.check(tb, cfg.batchSize(), ctx + 1, model.config());
                clock.lap("batch");
                double lr = cfg.schedule().at(step);
                progress.record(step, stepper.run(tb, hs, lr, step), lr, hs);
                if (evaluate(step, best)) {
                    progress.endAt(step, false);
                    return;
                }
                CheckpointPolicy policy = cfg.checkpoints();
                if (step < cfg.steps() && stopRequested()) {
                    progress.endAt(step, true);
                    if (policy != null) {
                        // So that the stopped run can be resumed where it stopped.
                        checkpoint(policy, step, slots, opt, best, "at the stop");
                    }
                    LOG.info("training stopped on request after step {} of {}", step, cfg.steps());
                    return;
                }
                if (policy != null
                        && step < cfg.steps()
                        && policy.due(step, Duration.ofNanos(System.nanoTime() - lastCheckpoint))) {
                    checkpoint(policy, step, slots, opt, best, "on schedule");
                    lastCheckpoint = System.nanoTime();
                }
            }
        }

        /** The probe and early stopping's evaluation, when due; true when early stopping ends the run. */
        private boolean evaluate(int step, BestWeights best) {
            if (probe != null && (step % probe.every() == 0 || step == cfg.steps())) {
                SpecializationPoint sp = progress.paused(() -> probe.measure(step, model, router, manager));
                progress.specialization().add(sp);
                LOG.info("specialization at {}", sp);
            }
            return early != null
                    && progress.paused(() -> early.evaluateAndStop(
                            step, cfg.steps(), progress.tokensPerStep(), best, progress.points()));
        }

        /** Writes a checkpoint after {@code step}; its time is left out of the run's seconds. */
        private void checkpoint(
                CheckpointPolicy policy, int step, ParameterSlots slots, AdamW opt, BestWeights best, String when) {
            long c0 = System.nanoTime();
            Path written = progress.paused(
                    () -> RunCheckpoints.write(policy, step, cfg, seed, slots, opt, best, progress.snapshot()));
            LOG.info("checkpoint {} written {} in {} ms", written, when, (System.nanoTime() - c0) / 1_000_000);
        }

        /** The caller's stop condition, or an interrupt of the training thread (whose flag is kept). */
        private boolean stopRequested() {
            return Thread.currentThread().isInterrupted()
                    || (cfg.stopWhen() != null && cfg.stopWhen().getAsBoolean());
        }
    }
}
