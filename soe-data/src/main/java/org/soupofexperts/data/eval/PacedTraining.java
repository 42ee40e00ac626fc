package org.soupofexperts.data.eval;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.core.DenseModel;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.train.CheckpointFolder;
import org.soupofexperts.core.train.CheckpointPolicy;
import org.soupofexperts.core.train.TrainingPlan;
import org.soupofexperts.core.train.TrainingReport;
import org.soupofexperts.core.train.listener.SpecializationProbe;

/**
 * Counts the generic steps that fit in a soup's training time by alternation: the soup trains its
 * whole plan in turns (each resumed from the checkpoint of the last), and after each turn a pace
 * model of the generic shape trains until its training time has caught up with that turn's. Both
 * run in this process one after the other, so the machine's drift over the run enters both sides
 * alike. Step costs timed on short blocks of fresh models disagreed with such turns by up to 1.8x
 * on the development machine (docs/performance.md): the pacing spans the soup's real run instead.
 * Not thread-safe.
 */
final class PacedTraining {

    private static final Logger LOG = LoggerFactory.getLogger(PacedTraining.class);
    /** Turns of the soup's run: enough that one turn is a small share of it. */
    static final int TURNS = 20;
    /** Steps of each model's untimed warm-up, so that neither pays the process's cold start in its turns. */
    private static final int WARM_UP = 25;
    /** Steps of one pace plan: it stops on time long before; another plan follows if it does not. */
    private static final int PACE_PLAN_STEPS = 100_000;

    /** The soup's run and what the pace model did in the same time. */
    record Paced(TrainingReport soup, int turns, int genericSteps, double genericSeconds) {}

    private final IntFunction<TrainingPlan.Builder> soupPlan;
    private final IntFunction<TrainingPlan.Builder> pacePlan;

    /**
     * @param soupPlan the soup's plan builder, fresh on every call, for the given number of steps
     *     (without a probe or checkpoints)
     * @param pacePlan the generic model's plan builder for the given number of steps (its rate
     *     does not change a step's cost)
     */
    PacedTraining(IntFunction<TrainingPlan.Builder> soupPlan, IntFunction<TrainingPlan.Builder> pacePlan) {
        this.soupPlan = soupPlan;
        this.pacePlan = pacePlan;
    }

    /**
     * An untimed warm-up of a throwaway soup and of the pace model, so that neither pays the
     * process's cold start (compilation, LibTorch's set-up) in its first turn.
     */
    void warmUp(SoupOfExperts throwaway, DenseModel pace, int steps) {
        throwaway.train(soupPlan.apply(Math.min(WARM_UP, steps)).build());
        pace.train(pacePlan.apply(WARM_UP).build());
    }

    /**
     * Trains {@code soup} for {@code steps} in turns, each followed by a turn of {@code pace} of the
     * same training time (after {@link #warmUp}). The soup's plan gets {@code probe} (null: none);
     * its measurements are left out of the training time. The soup's checkpoints go to a temporary
     * folder (one at a time: its weights and optimizer state), deleted when this returns.
     */
    Paced train(SoupOfExperts soup, DenseModel pace, int steps, SpecializationProbe probe) {
        int turns = Math.min(TURNS, steps);
        Path dir = tempDirectory();
        try {
            CheckpointPolicy policy = CheckpointPolicy.builder()
                    .directory(dir)
                    .everySteps(Integer.MAX_VALUE)
                    .keepLast(1)
                    .build();
            int from = 0;
            double soupSeconds = 0;
            int genericSteps = 0;
            double genericSeconds = 0;
            TrainingReport last = null;
            for (int t = 1; t <= turns; t++) {
                TrainingPlan.Builder plan = soupPlan.apply(steps).checkpoints(policy);
                if (probe != null) {
                    plan.specializationProbe(probe);
                }
                last = soupTurn(soup, plan, dir, from, (int) ((long) steps * t / turns), t == turns);
                double[] caughtUp = paceTurn(pace, last.seconds() - soupSeconds);
                genericSteps += (int) caughtUp[0];
                genericSeconds += caughtUp[1];
                soupSeconds = last.seconds();
                from = last.steps();
            }
            LOG.info(
                    "paced over {} turns: the soup {} steps in {} s, the generic shape {} steps in {} s",
                    turns,
                    steps,
                    soupSeconds,
                    genericSteps,
                    genericSeconds);
            return new Paced(last, turns, genericSteps, genericSeconds);
        } finally {
            deleteQuietly(dir);
        }
    }

    /** One turn of the soup, from step {@code from} (its checkpoint; none at 0) to {@code to}. */
    private static TrainingReport soupTurn(
            SoupOfExperts soup, TrainingPlan.Builder plan, Path dir, int from, int to, boolean last) {
        if (from > 0) {
            plan.resumeFrom(dir.resolve(CheckpointFolder.nameOf(from)));
        }
        if (!last) {
            int[] at = {from};
            plan.listener(e -> at[0] = e.step()).stopWhen(() -> at[0] >= to);
        }
        TrainingReport r = soup.train(plan.build());
        if (r.steps() != to) {
            throw new IllegalStateException("the soup's turn ended at step " + r.steps() + " instead of " + to
                    + (r.stopped() ? " (interrupted)" : ""));
        }
        return r;
    }

    /** Trains the pace model until {@code seconds} of training time; its steps and seconds. */
    private double[] paceTurn(DenseModel pace, double seconds) {
        double done = 0;
        int steps = 0;
        while (done < seconds) {
            double need = seconds - done;
            double[] at = {0};
            TrainingReport r = pace.train(pacePlan.apply(PACE_PLAN_STEPS)
                    .listener(e -> at[0] = e.elapsedSeconds())
                    .stopWhen(() -> at[0] >= need)
                    .build());
            if (r.stopped() && at[0] < need) {
                // Stopped by an interrupt, not by its time: every further plan would stop after a step.
                throw new IllegalStateException("the pace model's turn was interrupted");
            }
            done += r.seconds();
            steps += r.steps();
        }
        return new double[] {steps, done};
    }

    private static Path tempDirectory() {
        try {
            return Files.createTempDirectory("leave-domains-out-pacing");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make a folder for the paced soup's checkpoints", e);
        }
    }

    private static void deleteQuietly(Path dir) {
        try {
            CheckpointFolder.deleteAll(dir);
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            LOG.warn("could not delete the paced soup's checkpoints in {}: {}", dir, e.toString());
        }
    }
}
