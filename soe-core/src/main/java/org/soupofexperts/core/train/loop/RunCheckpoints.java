package org.soupofexperts.core.train.loop;

import ai.djl.ndarray.NDArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.core.batch.BatchSource;
import org.soupofexperts.core.batch.MetaDistribution;
import org.soupofexperts.core.internal.Djl;
import org.soupofexperts.core.io.SoupFormatException;
import org.soupofexperts.core.train.CheckpointPolicy;
import org.soupofexperts.core.train.TrainingPlan;
import org.soupofexperts.core.train.TrainingReport;
import org.soupofexperts.core.train.checkpoint.BestWeights;
import org.soupofexperts.core.train.checkpoint.CheckpointJson;
import org.soupofexperts.core.train.checkpoint.Checkpoints;
import org.soupofexperts.core.train.listener.SpecializationPoint;
import org.soupofexperts.core.train.optimizer.AdamW;
import org.soupofexperts.core.train.optimizer.ParameterSlots;

/**
 * A training run's checkpoints: what {@link TrainingLoop} writes every so often and resumes from (the
 * trained weights, the optimizer's moments and step, the best evaluation's copy, the counters and
 * curves, and the seed streams' positions). Stateless.
 */
public final class RunCheckpoints {

    private static final Logger LOG = LoggerFactory.getLogger(RunCheckpoints.class);

    private RunCheckpoints() {}

    /** The state a resumed run starts from (its arrays are already back in place). */
    record Resumed(
            int step,
            double seconds,
            int clipped,
            float[] losses,
            List<TrainingReport.ValidationPoint> validation,
            List<SpecializationPoint> specialization) {}

    /** What a run has done so far, as a checkpoint records it. */
    record Progress(
            int clipped,
            float[] losses,
            double seconds,
            List<TrainingReport.ValidationPoint> validation,
            List<SpecializationPoint> specialization) {}

    /**
     * Every array of the training state, in checkpoint order: the trained weights, the optimizer's
     * moments, then the best evaluation's copy of the weights when early stopping keeps one.
     */
    private static List<NDArray> stateArrays(ParameterSlots slots, AdamW opt, BestWeights best) {
        List<NDArray> all = new ArrayList<>(slots.weights());
        all.addAll(opt.stateArrays());
        if (best != null) {
            all.addAll(best.snapshot);
        }
        return all;
    }

    static Path write(
            CheckpointPolicy policy,
            int step,
            TrainingPlan cfg,
            long seed,
            ParameterSlots slots,
            AdamW opt,
            BestWeights best,
            Progress progress) {
        JsonObject st = new JsonObject();
        st.addProperty("totalSteps", cfg.steps());
        st.addProperty("optimizerStep", opt.stepCount());
        st.addProperty("seed", seed);
        st.addProperty("training", cfg.toString());
        st.addProperty("clipped", progress.clipped());
        st.add("seconds", CheckpointJson.number(progress.seconds()));
        st.add("validation", CheckpointJson.validation(progress.validation()));
        st.add("specialization", CheckpointJson.specialization(progress.specialization()));
        if (best != null) {
            st.add("best", CheckpointJson.best(best.loss, best.step, best.sinceImprovement, !best.snapshot.isEmpty()));
        }
        try (Djl.NoGrad ng = Djl.noGrad()) {
            return Checkpoints.write(policy, step, st, stateArrays(slots, opt, best), progress.losses());
        } catch (IOException e) {
            throw new UncheckedIOException(
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
    static Resumed resume(
            TrainingPlan cfg,
            long seed,
            ParameterSlots slots,
            AdamW opt,
            BestWeights best,
            SplittableRandom hRng,
            SplittableRandom dataRng,
            int ctx) {
        Path from = cfg.resumeFrom();
        Checkpoints.Read read = read(cfg, seed, slots, opt, best);
        JsonObject st = read.state();
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
            throw new UncheckedIOException(new SoupFormatException(
                    "cannot resume from " + from + ": the trainer state in its manifest is malformed (" + e.getMessage()
                            + ")",
                    e));
        }
        int k = cfg.source().numDomains();
        for (int s = 1; s <= step; s++) {
            double[][] hs =
                    GroupBatches.drawH(cfg.metaDistribution(), cfg.soupStep().hPerStep(), k, hRng);
            GroupBatches.sample(cfg.source(), hs, cfg.batchSize(), ctx + 1, dataRng);
        }
        LOG.info("resumed from {} at step {} of {}", from, step, cfg.steps());
        return resumed;
    }

    /** Parses what {@link #resume} will read of the trainer state, refusing it before the arrays are copied. */
    private static void checkState(Path from, JsonObject st) throws SoupFormatException {
        try {
            CheckpointJson.integer(st, "optimizerStep", from);
            CheckpointJson.real(st, "seconds");
            CheckpointJson.integer(st, "clipped", from);
            CheckpointJson.validationOf(st);
            CheckpointJson.specializationOf(st);
        } catch (RuntimeException e) {
            throw new SoupFormatException(
                    "cannot resume from " + from + ": the trainer state in its manifest is malformed (" + e.getMessage()
                            + ")",
                    e);
        }
    }

    private static Checkpoints.Read read(
            TrainingPlan cfg, long seed, ParameterSlots slots, AdamW opt, BestWeights best) {
        Path from = cfg.resumeFrom();
        try {
            return Checkpoints.read(
                    from,
                    state -> {
                        CheckpointJson.requireSame(from, state, cfg, seed);
                        checkState(from, state); // before any array is copied into the live run
                        if (best != null) {
                            best.restoreFrom(CheckpointJson.bestOf(from, state));
                        } else if (state.has("best")) {
                            throw new SoupFormatException(
                                    from + " was written by a run with early stopping; this run has none");
                        }
                        return stateArrays(slots, opt, best);
                    },
                    cfg.steps());
        } catch (IOException e) {
            // Said once: some refusals already begin with it.
            String m = String.valueOf(e.getMessage());
            throw new UncheckedIOException(
                    m.startsWith("cannot resume from") ? m : "cannot resume from " + from + ": " + m, e);
        }
    }
}
