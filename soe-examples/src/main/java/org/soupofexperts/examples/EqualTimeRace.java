package org.soupofexperts.examples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.core.DenseModel;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.batch.MetaDistribution;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.config.SoupConfig;
import org.soupofexperts.core.train.CheckpointFolder;
import org.soupofexperts.core.train.CheckpointPolicy;
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
 * The soup and the generic model at equal wall time, as a curve: a step-cost ratio measured by
 * alternating short blocks of both models sets the generic model's budget (the soup's steps times
 * the ratio, each with its own full schedule), then the two train in turns, one block of each, so
 * that both see the same machine at the same time, and both are scored after every few blocks at
 * the same share of their schedules. Each block resumes from the previous block's checkpoint, so a
 * race stopped (or killed) between blocks goes on from the last finished one when run again with
 * the same settings: a budget of hours can be spread over several sessions. Writes results.md,
 * results.json ({@link RaceResults}) and race.png ({@link RaceReport}).
 */
@Command(
        name = "equal-time-race",
        mixinStandardHelpOptions = true,
        description = "The soup's specialists against the generic model at equal wall time, block by block.")
public final class EqualTimeRace extends ExperimentCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(EqualTimeRace.class);
    /** Steps per block when the step-cost ratio is measured, as in the leave-domains-out protocol. */
    private static final int RATIO_BLOCK = 25;

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

    @Option(names = "--ratio-rounds", defaultValue = "2", description = "alternated turns that time the ratio")
    int ratioRounds;

    @Option(names = "--ratio", defaultValue = "0", description = "a step-cost ratio to use (0: time it first)")
    double ratio;

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
                || ratioRounds < 1
                || stopAfter < 0
                || !(ratio >= 0)
                || Double.isInfinite(ratio)) {
            throw new IllegalArgumentException("need 1 <= blocks <= steps, eval-every >= 1, ratio-rounds >= 1,"
                    + " stop-after >= 0 and a finite ratio >= 0; got blocks " + blocks + ", steps " + steps
                    + ", eval-every " + evalEvery + ", ratio-rounds " + ratioRounds + ", stop-after " + stopAfter
                    + ", ratio " + ratio);
        }
        Files.createDirectories(out);
        data = ExperimentData.prepare(corpus, out, 20, 10);
        model = model(data.tokenizer.vocabSize());
        RaceResults race = begin();
        int until = stopAfter == 0 ? blocks : Math.min(blocks, race.blocksDone() + stopAfter);
        if (race.blocksDone() < until) {
            try (SoupOfExperts soup = SoupOfExperts.create(soupConfig());
                    DenseModel generic = DenseModel.create(model, seed)) {
                forgetUnfinished(race);
                warmUp();
                while (race.blocksDone() < until) {
                    race = block(race, soup, generic);
                    Parts.write(out.resolve("results.json"), Parts.json(race));
                }
            }
        }
        RaceReport.write(out, race);
        if (race.blocksDone() == blocks) {
            CheckpointFolder.deleteAll(out.resolve("soup-checkpoints"));
            CheckpointFolder.deleteAll(out.resolve("generic-checkpoints"));
        }
        return 0;
    }

    /** The race kept under {@code out}, or a new one whose ratio is timed now. */
    private RaceResults begin() throws IOException {
        Path kept = out.resolve("results.json");
        if (Files.exists(kept)) {
            RaceResults r = Parts.fromJson(Files.readString(kept), RaceResults.class);
            if (!r.settings().equals(settings())) {
                throw new IllegalArgumentException(out + " holds a race of other settings:\n  kept: " + r.settings()
                        + "\n  now:  " + settings() + "\nchoose another --out or the same settings");
            }
            LOG.info("going on with the race in {} after block {} of {}", out, r.blocksDone(), r.blocks());
            return r;
        }
        RaceResults r =
                RaceResults.start(settings(), data.domains(), steps, ratio > 0 ? ratio : stepCostRatio(), blocks);
        Parts.write(kept, Parts.json(r));
        return r;
    }

    /**
     * One block of each model, from where the last finished block left them; scored when due. The
     * order alternates from block to block, so neither model always runs right after the other's
     * evaluation or checkpoint.
     */
    private RaceResults block(RaceResults race, SoupOfExperts soup, DenseModel generic) {
        int b = race.blocksDone() + 1;
        Supplier<TrainingReport> soupTurn =
                () -> turn(soup::train, soupPlan(), "soup", race.soupStepAt(b - 1), race.soupStepAt(b), b);
        Supplier<TrainingReport> genericTurn = () -> turn(
                generic::train,
                genericPlan(race.genericSteps()),
                "generic",
                race.genericStepAt(b - 1),
                race.genericStepAt(b),
                b);
        TrainingReport g = b % 2 == 0 ? genericTurn.get() : null;
        TrainingReport s = soupTurn.get();
        g = g == null ? genericTurn.get() : g;
        LOG.info(
                "block {} of {}: soup {} steps in {} s, generic {} steps in {} s",
                b,
                blocks,
                race.soupStepAt(b),
                s.seconds(),
                race.genericStepAt(b),
                g.seconds());
        if (b % evalEvery != 0 && b != blocks) {
            return race.after(null);
        }
        SoupScores scores = SoupScores.of(soup, data, context, evalWindows, false);
        Evaluation.Table t = Evaluation.table(generic::loss, data.store, context, evalWindows);
        return race.after(new RaceResults.Point(
                b,
                race.soupStepAt(b),
                s.seconds(),
                race.genericStepAt(b),
                g.seconds(),
                t.perDomain().stream().mapToDouble(Evaluation.Loss::bitsPerByte).toArray(),
                scores.histogramBitsPerByte(),
                scores.naturalPerDomainBitsPerByte()));
    }

    /**
     * Trains one model from step {@code from} (its checkpoint; none at 0) to step {@code to}, where
     * it stops and writes the checkpoint the next block resumes from. The report's seconds are the
     * whole run's so far.
     */
    private TrainingReport turn(
            Function<TrainingPlan, TrainingReport> train,
            TrainingPlan.Builder plan,
            String name,
            int from,
            int to,
            int block) {
        Path dir = out.resolve(name + "-checkpoints");
        int[] at = {from};
        plan.listener(e -> at[0] = e.step())
                .stopWhen(() -> at[0] >= to)
                .checkpoints(CheckpointPolicy.builder()
                        .directory(dir)
                        .everySteps(Integer.MAX_VALUE)
                        .keepLast(2)
                        .build());
        if (from > 0) {
            plan.resumeFrom(dir.resolve(CheckpointFolder.nameOf(from)));
        }
        TrainingReport r = train.apply(plan.build());
        if (r.steps() != to || r.stopped() != (block < blocks)) {
            // An interrupt, not the block's end: recording the block would leave no checkpoint to go on from.
            throw new IllegalStateException(name + " stopped at step " + r.steps() + " in block " + block
                    + ", which ends at step " + to + "; the race goes on from block " + block + " when run again");
        }
        return r;
    }

    /** Removes checkpoints past the last finished block: a kill between the two turns leaves one. */
    private void forgetUnfinished(RaceResults race) throws IOException {
        int b = race.blocksDone();
        for (String name : new String[] {"soup", "generic"}) {
            int kept = name.equals("soup") ? race.soupStepAt(b) : race.genericStepAt(b);
            Path dir = out.resolve(name + "-checkpoints");
            for (Path c : CheckpointFolder.list(dir)) {
                if (CheckpointFolder.stepOf(c) > kept) {
                    CheckpointFolder.delete(c);
                }
            }
        }
    }

    /**
     * One untimed block of a fresh soup and a fresh generic model, so that neither model's first
     * turn in this launch pays for the process's cold start (compilation, LibTorch's set-up).
     */
    private void warmUp() {
        try (SoupOfExperts s = SoupOfExperts.create(soupConfig());
                DenseModel g = DenseModel.create(model, seed)) {
            s.train(budget(lr).config(data.sampler, soupMeta(), RATIO_BLOCK).build());
            g.train(genericPlan(RATIO_BLOCK).build());
        }
    }

    /**
     * A soup step's cost over a generic step's, from alternated blocks of fresh models in this
     * process (one untimed block each first), so the machine's drift falls on both alike. The timed
     * blocks are as long as the race's turns, since each launch of a training run has costs of its
     * own: blocks of 25 steps gave a soup 2.26 generic steps where the race's turns of 250 then
     * measured 1.6.
     */
    private double stepCostRatio() {
        int turn = Math.max(RATIO_BLOCK, steps / blocks);
        double soupSeconds = 0;
        double genericSeconds = 0;
        try (SoupOfExperts s = SoupOfExperts.create(soupConfig());
                DenseModel g = DenseModel.create(model, seed)) {
            for (int r = 0; r <= ratioRounds; r++) {
                int n = r == 0 ? RATIO_BLOCK : turn;
                double a = s.train(
                                budget(lr).config(data.sampler, soupMeta(), n).build())
                        .seconds();
                double b = g.train(genericPlan(n).build()).seconds();
                soupSeconds += r > 0 ? a : 0;
                genericSeconds += r > 0 ? b : 0;
            }
        }
        double ratio = soupSeconds / genericSeconds;
        LOG.info("a soup step costs {} generic steps (alternated blocks of {} steps)", ratio, turn);
        return ratio;
    }

    private TrainingPlan.Builder soupPlan() {
        return budget(lr).config(data.sampler, soupMeta(), steps);
    }

    private TrainingPlan.Builder genericPlan(int total) {
        return budget(genericLr).config(data.sampler, MetaDistributions.fixed(data.natural), total);
    }

    private MetaDistribution soupMeta() {
        return meta.over(data);
    }

    private Budget budget(double rate) {
        return new Budget(batch, context, rate, seed);
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
                + " --eval-windows=" + evalWindows + " --ratio-rounds=" + ratioRounds + " --ratio=" + ratio + " "
                + meta.settings();
    }
}
