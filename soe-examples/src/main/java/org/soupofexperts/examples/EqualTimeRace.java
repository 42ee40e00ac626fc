package org.soupofexperts.examples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.core.DenseModel;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.batch.MetaDistribution;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.config.SoupConfig;
import org.soupofexperts.core.train.LearningRateSchedule;
import org.soupofexperts.core.train.TrainingPlan;
import org.soupofexperts.core.train.TrainingReport;
import org.soupofexperts.data.eval.Evaluation;
import org.soupofexperts.data.sample.MetaDistributions;
import org.soupofexperts.examples.experiment.Budget;
import org.soupofexperts.examples.experiment.Commands;
import org.soupofexperts.examples.experiment.ExperimentCommand;
import org.soupofexperts.examples.experiment.ExperimentData;
import org.soupofexperts.examples.experiment.MetaOptions;
import org.soupofexperts.examples.experiment.Parts;
import org.soupofexperts.examples.experiment.SoupScores;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The soup and the generic model at equal wall time, as a curve. The two train in turns in one
 * process, so both see the same machine at the same time: a share of the soup's steps, then the
 * generic model until its training time has caught up. Both at a constant learning rate after the
 * same warm-up, so each point is a model trained that long; both scored every few turns. Each turn
 * resumes from the last one's checkpoint: a race stopped or killed between turns goes on when run
 * again with the same settings, so hours can be spread over several launches. Writes results.md,
 * results.json ({@link RaceResults}) and race.png ({@link RaceReport}).
 */
@Command(
        name = "equal-time-race",
        mixinStandardHelpOptions = true,
        description = "The soup's specialists against the generic model at equal wall time, block by block.")
public final class EqualTimeRace extends ExperimentCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(EqualTimeRace.class);
    /** Steps of each model in the untimed warm-up at the start of every launch. */
    private static final int WARM_UP = 25;

    @Option(names = "--out", required = true, description = "output folder (a race there goes on)")
    Path out;

    @Option(names = "--steps", defaultValue = "1500", description = "the soup's steps (default ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--experts", defaultValue = "16")
    int experts;

    @Option(names = "--lr", defaultValue = "3e-3", description = "the soup's learning rate")
    double lr;

    @Option(names = "--generic-lr", defaultValue = "3e-3", description = "the generic model's learning rate")
    double genericLr;

    @Option(names = "--blocks", defaultValue = "40", description = "turns of each model (default ${DEFAULT-VALUE})")
    int blocks;

    @Option(names = "--eval-every", defaultValue = "4", description = "blocks between scored points")
    int evalEvery;

    @Option(names = "--eval-windows", defaultValue = "64", description = "validation windows per domain")
    int evalWindows;

    @Option(
            names = "--ratio",
            defaultValue = "0",
            description = "generic steps per soup step, fixed (0, the default: turns of equal training time)")
    double ratio;

    @Option(
            names = "--max-ratio",
            defaultValue = "4",
            description = "the generic model's plan, in soup budgets (default ${DEFAULT-VALUE})")
    double maxRatio;

    @Option(names = "--stop-after", defaultValue = "0", description = "blocks to run in this launch (0: all)")
    int stopAfter;

    @Mixin
    MetaOptions meta;

    private ExperimentData data;
    private ModelConfig model;

    public static void main(String[] args) {
        Commands.exit(new EqualTimeRace(), args);
    }

    @Override
    public Integer call() throws Exception {
        if (steps < blocks
                || blocks < 1
                || evalEvery < 1
                || stopAfter < 0
                || !(ratio >= 0)
                || !(maxRatio > 0)
                || Double.isInfinite(ratio)
                || Double.isInfinite(maxRatio)) {
            throw new IllegalArgumentException("need 1 <= blocks <= steps, eval-every >= 1, stop-after >= 0, a finite"
                    + " ratio of 0 or of at least one generic step per turn, and a finite max-ratio >= 1; got blocks "
                    + blocks + ", steps " + steps
                    + ", eval-every " + evalEvery + ", stop-after " + stopAfter + ", ratio " + ratio + ", max-ratio "
                    + maxRatio);
        }
        Files.createDirectories(out);
        data = ExperimentData.prepare(corpus, out, 20, 10);
        model = model(data.tokenizer.vocabSize());
        RaceResults race = begin();
        RaceTurns turns = new RaceTurns(out);
        int until = stopAfter == 0 ? blocks : Math.min(blocks, race.blocksDone() + stopAfter);
        if (race.blocksDone() < until) {
            try (SoupOfExperts soup = SoupOfExperts.create(soupConfig());
                    DenseModel generic = DenseModel.create(model, seed)) {
                turns.forgetAfter("soup", race.soupStepAt(race.blocksDone()));
                turns.forgetAfter("generic", race.genericStep());
                warmUp();
                while (race.blocksDone() < until) {
                    race = block(race, turns, soup, generic);
                    Parts.write(out.resolve("results.json"), Parts.json(race));
                }
            }
        }
        RaceReport.write(out, race);
        if (race.blocksDone() == blocks) {
            turns.forgetAll();
        }
        return 0;
    }

    /** The race kept under {@code out}, or a new one. */
    private RaceResults begin() throws IOException {
        Path kept = out.resolve("results.json");
        if (!Files.exists(kept)) {
            return RaceResults.start(settings(), data.domains(), steps, ratio, maxRatio, blocks);
        }
        RaceResults r = Parts.fromJson(Files.readString(kept), RaceResults.class);
        if (!r.settings().equals(settings())) {
            throw new IllegalArgumentException(out + " holds a race of other settings:\n  kept: " + r.settings()
                    + "\n  now:  " + settings() + "\nchoose another --out or the same settings");
        }
        LOG.info("going on with the race in {} after block {} of {}", out, r.blocksDone(), r.blocks());
        return r;
    }

    /**
     * One turn of each model from where the last finished block left them, the soup first: it runs
     * its share of steps, then the generic model runs until its training time reaches the soup's
     * (or, with a fixed ratio, its share of steps). Each is scored after its turn when due.
     */
    private RaceResults block(RaceResults race, RaceTurns turns, SoupOfExperts soup, DenseModel generic) {
        int b = race.blocksDone() + 1;
        boolean last = b == blocks;
        TrainingReport s = turns.turn(
                soup::train,
                soupPlan(steps),
                "soup",
                race.soupStepAt(b - 1),
                RaceTurns.atStep(race.soupStepAt(b)),
                last);
        boolean due = b % evalEvery == 0 || last;
        // Each model scored right after its own turn, so each turn follows one evaluation alike.
        SoupScores scores = due ? SoupScores.of(soup, data, context, evalWindows, false) : null;
        RaceTurns.Until caughtUp =
                ratio > 0 ? RaceTurns.atStep(race.genericStepAt(b)) : RaceTurns.atSeconds(t -> t >= s.seconds());
        TrainingReport g = turns.turn(
                generic::train, genericPlan(race.genericCap()), "generic", race.genericStep(), caughtUp, false);
        LOG.info(
                "block {} of {}: soup at step {}, generic at step {}, {} s each",
                b,
                blocks,
                s.steps(),
                g.steps(),
                g.seconds());
        if (!due) {
            return race.after(g.steps(), null);
        }
        Evaluation.Table t = Evaluation.table(generic::loss, data.store, context, evalWindows);
        return race.after(
                g.steps(),
                new RaceResults.Point(
                        b,
                        s.steps(),
                        s.seconds(),
                        g.steps(),
                        g.seconds(),
                        t.perDomain().stream()
                                .mapToDouble(Evaluation.Loss::bitsPerByte)
                                .toArray(),
                        scores.histogramBitsPerByte(),
                        scores.naturalPerDomainBitsPerByte()));
    }

    /**
     * One untimed turn of a fresh soup and a fresh generic model, so that neither model's first
     * turn in this launch pays for the process's cold start (compilation, LibTorch's set-up).
     */
    private void warmUp() {
        try (SoupOfExperts s = SoupOfExperts.create(soupConfig());
                DenseModel g = DenseModel.create(model, seed)) {
            s.train(soupPlan(WARM_UP).build());
            g.train(genericPlan(WARM_UP).build());
        }
    }

    /** The soup's plan of {@code total} steps, on its meta-distribution. */
    private TrainingPlan.Builder soupPlan(int total) {
        return plan(lr, meta.over(data), total);
    }

    /** The generic model's plan of {@code total} steps, on the natural mixture. */
    private TrainingPlan.Builder genericPlan(int total) {
        return plan(genericLr, MetaDistributions.fixed(data.natural), total);
    }

    /**
     * A constant rate after the same warm-up for both models, so that a point of the curve is a
     * model trained for that long, whatever the plan's length.
     */
    private TrainingPlan.Builder plan(double rate, MetaDistribution pi, int total) {
        return new Budget(batch, context, rate, seed)
                .config(data.sampler, pi, total)
                .minLearningRateRatio(1.0)
                .warmup(Math.min(total, LearningRateSchedule.defaultWarmup(steps)));
    }

    private SoupConfig soupConfig() {
        return SoupConfig.builder()
                .model(model)
                .domains(data.k)
                .experts(experts)
                .seed(seed)
                .build();
    }

    private String settings() {
        return "EqualTimeRace " + baseSettings() + " --steps=" + steps + " --experts=" + experts + " --lr=" + lr
                + " --generic-lr=" + genericLr + " --blocks=" + blocks + " --eval-every=" + evalEvery
                + " --eval-windows=" + evalWindows + " --ratio=" + ratio + " --max-ratio=" + maxRatio + " "
                + meta.settings();
    }
}
