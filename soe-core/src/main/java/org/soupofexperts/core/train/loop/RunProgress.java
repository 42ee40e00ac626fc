package org.soupofexperts.core.train.loop;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.core.train.TrainingPlan;
import org.soupofexperts.core.train.TrainingReport;
import org.soupofexperts.core.train.checkpoint.BestWeights;
import org.soupofexperts.core.train.listener.SpecializationPoint;
import org.soupofexperts.core.train.listener.StepEvent;
import org.soupofexperts.core.train.listener.StepListener;
import org.soupofexperts.core.train.step.PhaseClock;
import org.soupofexperts.core.train.step.StepResult;

/**
 * What one run has done, step by step: the losses, the clipped steps, the validation and
 * specialization points, and its training time (earlier launches of a resumed run included;
 * evaluations, probes and checkpoints left out). Tells the listeners and logs each step, and
 * makes the report. Not thread-safe; owned by one run.
 */
final class RunProgress {

    private static final Logger LOG = LoggerFactory.getLogger(TrainingLoop.class);

    private final TrainingPlan cfg;
    private final long seed;
    private final long tokensPerStep;
    private final PhaseClock clock;
    private final float[] losses;
    private final List<TrainingReport.ValidationPoint> points = new ArrayList<>();
    private final List<SpecializationPoint> specialization = new ArrayList<>();
    private int clipped;
    private int stepsRun;
    private int firstStep = 1;
    private boolean stopped;
    private double priorSeconds;
    private long start;
    /** Time spent on evaluations, probes and checkpoints, left out of seconds and tokens/s. */
    private long pausedNanos;

    RunProgress(TrainingPlan cfg, long seed, long tokensPerStep, PhaseClock clock) {
        this.cfg = cfg;
        this.seed = seed;
        this.tokensPerStep = tokensPerStep;
        this.clock = clock;
        this.losses = new float[cfg.steps()];
        this.stepsRun = cfg.steps();
    }

    /** Continues what a checkpoint recorded: the run goes on after its step. */
    void resume(RunCheckpoints.Resumed r) {
        firstStep = r.step() + 1;
        priorSeconds = r.seconds();
        clipped = r.clipped();
        System.arraycopy(r.losses(), 0, losses, 0, r.step());
        points.addAll(r.validation());
        specialization.addAll(r.specialization());
    }

    int firstStep() {
        return firstStep;
    }

    long tokensPerStep() {
        return tokensPerStep;
    }

    List<TrainingReport.ValidationPoint> points() {
        return points;
    }

    List<SpecializationPoint> specialization() {
        return specialization;
    }

    /** Starts this launch's clock. */
    void start() {
        start = System.nanoTime();
    }

    /** The run ends after {@code step}, early ({@code stopped}: on request, so it can be resumed). */
    void endAt(int step, boolean onRequest) {
        stepsRun = step;
        stopped = onRequest;
    }

    /** Runs {@code work} with its time left out of the run's seconds. */
    <T> T paused(Supplier<T> work) {
        long t0 = System.nanoTime();
        try {
            return work.get();
        } finally {
            pausedNanos += System.nanoTime() - t0;
        }
    }

    /** What a checkpoint records of the run so far. */
    RunCheckpoints.Progress snapshot() {
        return new RunCheckpoints.Progress(clipped, losses, seconds(System.nanoTime()), points, specialization);
    }

    /** Counts the step, tells the listeners, logs every {@code logEvery} steps. */
    void record(int step, StepResult result, double lr, double[][] hs) {
        if (result.clipped()) {
            clipped++;
        }
        losses[step - 1] = (float) result.loss();
        double elapsed = seconds(System.nanoTime());
        StepEvent ev = new StepEvent(
                step,
                cfg.steps(),
                result.loss(),
                lr,
                result.gradNorm(),
                result.clipped(),
                step * tokensPerStep / elapsed,
                hs[0],
                hs,
                elapsed,
                elapsed / step * (cfg.steps() - step));
        for (StepListener l : cfg.listeners()) {
            l.onStep(ev);
        }
        if (cfg.logEvery() > 0 && (step % cfg.logEvery() == 0 || step == cfg.steps())) {
            LOG.info(ev.progressLine());
        }
    }

    /** Training seconds up to {@code now}: this launch's, without pauses, plus earlier launches'. */
    private double seconds(long now) {
        return priorSeconds + (now - start - pausedNanos) / 1e9;
    }

    /** The run's report; {@code best} is early stopping's, or null. */
    TrainingReport report(BestWeights best) {
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
