package org.soupofexperts.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.core.DenseModel;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.train.TrainingPlan;
import org.soupofexperts.core.train.TrainingReport;

/**
 * Step times of several configurations measured by alternation in one process: every model is
 * built first, then each round trains a block of steps of each in turn (the order rotated from
 * round to round), so that the machine's drift, which between separate runs here reached 23%,
 * falls on all of them alike. A ratio to the plain model is taken within each round, then
 * summarised over the rounds. Not thread-safe; one use.
 */
final class StepAlternation {

    private static final Logger LOG = LoggerFactory.getLogger(StepAlternation.class);

    /**
     * Mean ms per step over the rounds, the per-round ratio to the plain model (null without one),
     * and the mean ms per step of each phase over the timed rounds (empty unless the configs time phases).
     */
    record Result(Stats millis, Stats overPlain, Map<String, Double> phases) {}

    /** Builds the training config of a block of {@code steps} steps of a configuration, timed by the listener. */
    interface Configs {
        TrainingPlan of(TrainBench.Variant v, int steps, long[] at);
    }

    private StepAlternation() {}

    static Map<TrainBench.Variant, Result> run(
            ModelConfig model,
            List<TrainBench.Variant> variants,
            int k,
            Configs configs,
            int warmup,
            int steps,
            int repeats) {
        if (steps < 2) {
            throw new IllegalArgumentException("alternated blocks need at least 2 steps each, got " + steps);
        }
        List<AutoCloseable> open = new ArrayList<>();
        try {
            List<Function<TrainingPlan, TrainingReport>> trainers = new ArrayList<>();
            for (TrainBench.Variant v : variants) {
                if (v.n() == 0) {
                    DenseModel d = DenseModel.create(model, 1);
                    open.add(d);
                    trainers.add(d::train);
                } else {
                    SoupOfExperts s = SoupOfExperts.create(TrainBench.soupConfig(model, v.n(), v.rank(), k));
                    open.add(s);
                    trainers.add(s::train);
                }
            }
            int count = variants.size();
            double[][] ms = new double[count][repeats];
            List<Map<String, Double>> phases = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                phases.add(new LinkedHashMap<>());
            }
            for (int r = 0; r <= repeats; r++) {
                int block = r == 0 ? Math.max(2, warmup) : steps;
                for (int o = 0; o < count; o++) {
                    int i = (o + r) % count;
                    long[] at = new long[block + 1];
                    TrainingReport report = trainers.get(i).apply(configs.of(variants.get(i), block, at));
                    if (r > 0) {
                        report.phaseMillis().forEach((name, v) -> phases.get(i).merge(name, v / repeats, Double::sum));
                        // Between the first and the last step event: the block's set-up is left out.
                        ms[i][r - 1] = (at[block] - at[1]) / 1e6 / (block - 1);
                    }
                }
                LOG.info("round {} of {} done", r, repeats);
            }
            int plain = -1;
            for (int i = 0; i < count; i++) {
                plain = variants.get(i).n() == 0 ? i : plain;
            }
            Map<TrainBench.Variant, Result> out = new LinkedHashMap<>();
            for (int i = 0; i < count; i++) {
                Stats ratio = null;
                if (plain >= 0) {
                    double[] q = new double[repeats];
                    for (int r = 0; r < repeats; r++) {
                        q[r] = ms[i][r] / ms[plain][r];
                    }
                    ratio = Stats.of(q);
                }
                out.put(variants.get(i), new Result(Stats.of(ms[i]), ratio, phases.get(i)));
            }
            return out;
        } finally {
            for (AutoCloseable c : open) {
                try {
                    c.close();
                } catch (Exception e) {
                    LOG.warn("closing a benchmark model failed", e);
                }
            }
        }
    }
}
