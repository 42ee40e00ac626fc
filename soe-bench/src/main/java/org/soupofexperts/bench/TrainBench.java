package org.soupofexperts.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.core.DenseModel;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.batch.BatchSource;
import org.soupofexperts.core.batch.MetaDistribution;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.config.SoupConfig;
import org.soupofexperts.core.train.TrainingPlan;
import org.soupofexperts.core.train.listener.StepListener;
import org.soupofexperts.data.corpus.JsonlCorpus;
import org.soupofexperts.data.sample.MetaDistributions;
import org.soupofexperts.data.store.TokenStore;
import org.soupofexperts.data.synth.SyntheticCorpus;
import org.soupofexperts.data.tokenize.ByteTokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Training throughput: wall time per step and tokens per second of the plain base model (n = 0)
 * and of soups with n experts, same batch, context and data, in one JVM; peak resident memory per
 * configuration; achieved FLOP/s of the plain model (6 x parameters x tokens/s) against the peak
 * of one large matrix product measured in the same run.
 */
@Command(name = "train", mixinStandardHelpOptions = true, description = "Training step time, plain model vs soups.")
final class TrainBench implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(TrainBench.class);

    @Option(
            names = "--corpus",
            defaultValue = "../shared/corpus/train.jsonl.gz",
            description =
                    "Pile-style JSONL; the built-in synthetic corpus if the file is missing (default ${DEFAULT-VALUE})")
    Path corpus;

    @Option(names = "--out", defaultValue = "target/bench")
    Path out;

    @Option(names = "--bases", split = ",", defaultValue = "3M,10M")
    List<String> bases;

    @Option(names = "--experts", split = ",", defaultValue = "0,4,16,64", description = "0 = the plain base model")
    List<Integer> experts;

    @Option(
            names = "--ranks",
            split = ",",
            defaultValue = "0",
            description = "expert ranks of the soups (0 = dense experts; default ${DEFAULT-VALUE})")
    List<Integer> ranks;

    @Option(
            names = "--h-per-step",
            split = ",",
            defaultValue = "1",
            description =
                    "domain weights per step m of the soups (the batch is split into m groups; default ${DEFAULT-VALUE})")
    List<Integer> hPerStep;

    @Option(
            names = "--step-algorithm",
            defaultValue = "AUTO",
            description = "AUTO, CLOSED_FORM or AUTOGRAD: how the soups' steps compute the banks' gradients")
    TrainingPlan.StepAlgorithm stepAlgorithm;

    @Option(
            names = "--bank-moments",
            split = ",",
            defaultValue = "FLOAT32",
            description =
                    "precisions of the soups' bank moments to time, FLOAT32 and/or BFLOAT16 (default ${DEFAULT-VALUE})")
    List<TrainingPlan.MomentPrecision> bankMoments;

    @Option(names = "--unfused-update", description = "LibTorch's Adam kernel instead of the fused one-pass update")
    boolean unfused;

    @Option(
            names = "--phases",
            description = "also time each phase of the step (merge, forward and backward, bank reductions, update)"
                    + " and print a table of them; alternated runs only")
    boolean phases;

    @Option(
            names = "--sequential",
            description = "time each configuration alone, one after another, with its own peak RSS (default:"
                    + " alternate blocks of steps of all configurations of a base in one process)")
    boolean sequential;

    @Option(names = "--batch", defaultValue = "16")
    int batch;

    @Option(names = "--context", defaultValue = "256")
    int context;

    @Option(
            names = "--warmup",
            defaultValue = "3",
            description = "steps before timing (alternated: one untimed block of this many steps per configuration)")
    int warmup;

    @Option(
            names = "--steps",
            defaultValue = "5",
            description = "timed steps per repeat (alternated: per block; at least 2, timed between step events)")
    int steps;

    @Option(names = "--repeats", defaultValue = "3")
    int repeats;

    @Override
    public Integer call() throws Exception {
        if (warmup < 1 || steps < 1 || repeats < 1) {
            throw new IllegalArgumentException("--warmup, --steps and --repeats must be >= 1");
        }
        Files.createDirectories(out);
        ByteTokenizer tok = new ByteTokenizer();
        if (!Files.exists(corpus)) {
            LOG.warn(
                    "{} not found (relative paths start in the soe-bench folder): timing on a synthetic corpus",
                    corpus);
        }
        var source = Files.exists(corpus)
                ? JsonlCorpus.builder().file(corpus).build()
                : new SyntheticCorpus(13, 400, 7).asCorpus(200, 2000);
        TokenStore store =
                TokenStore.openOrBuild(out.resolve("token-store"), source, tok, TokenStore.Options.defaults());
        BatchSource sampler = store.trainSampler();
        int k = store.domains().count();
        MetaDistribution pi = MetaDistributions.sparse(k, Math.min(4, k), 1.0);

        Stats peak = peakFlops();
        LOG.info("peak matmul: {} GFLOP/s", peak.format("%.1f"));
        JsonObject json = new JsonObject();
        json.addProperty("machine", BenchMain.machine());
        json.addProperty("peakGflops", peak.median());
        JsonArray rows = new JsonArray();
        StringBuilder md = new StringBuilder();
        md.append(String.format(
                "Machine: %s. Corpus: %s. Batch %d x %d tokens; %s%n%n",
                BenchMain.machine(),
                Files.exists(corpus) ? corpus : "synthetic",
                batch,
                context,
                sequential
                        ? String.format(
                                "each configuration alone: %d warm-up steps, then %d repeats of %d steps (median of the"
                                        + " repeats' mean step time, range in brackets).",
                                warmup, repeats, steps)
                        : String.format(
                                "all configurations of a base alternated in one process: one untimed block of %d"
                                        + " steps each, then %d rounds of one block of %d steps each (median over the"
                                        + " rounds of a block's mean step time, range in brackets; soup/plain is taken"
                                        + " within each round). Peak RSS is the process's, all models alive.",
                                warmup, repeats, steps)));
        md.append(String.format(
                "Peak of one 2048 x 2048 x 2048 float32 matrix product: %s GFLOP/s.%n%n", peak.format("%.1f")));
        md.append(
                "| base | parameters | n | rank | h per step | bank MiB | step ms | tokens/s | soup/plain | plain model GFLOP/s (6 N tok/s) | of peak | peak RSS GiB | JVM heap GiB |\n"
                        + "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        Map<String, double[][]> plot = new LinkedHashMap<>();
        long largestBank = 0;
        for (String base : bases) {
            ModelConfig model =
                    BenchModels.of(base).toBuilder().contextLength(context).build();
            double plainMs = Double.NaN;
            // One line per expert rank; the plain model (n=0, plotted at 1) starts every line.
            Map<Integer, List<double[]>> lines = new LinkedHashMap<>();
            double[] plainPoint = null;
            List<Variant> all = new ArrayList<>();
            for (int n : experts) {
                all.addAll(variants(n));
            }
            Memory.resetPeak();
            Map<Variant, StepAlternation.Result> alternated = sequential
                    ? Map.of()
                    : StepAlternation.run(
                            model,
                            all,
                            k,
                            (v, blockSteps, at) ->
                                    config(v, k, sampler, pi, blockSteps, e -> at[e.step()] = System.nanoTime()),
                            warmup,
                            steps,
                            repeats);
            for (Variant v : all) {
                int n = v.n();
                int rank = v.rank();
                int m = v.m();
                Stats ms;
                Stats ratio = null;
                if (sequential) {
                    Memory.resetPeak();
                    try {
                        ms = measure(model, v, k, sampler, pi);
                    } catch (OutOfMemoryError | RuntimeException e) {
                        LOG.warn("{} {} skipped: {}", base, v.label(), e.toString());
                        md.append(String.format(
                                "| %s | %d | %d | %d | %d | | skipped: %s | | | | | | |%n",
                                base, model.parameterCount(), n, rank, m, e));
                        continue;
                    }
                } else {
                    ms = alternated.get(v).millis();
                    ratio = alternated.get(v).overPlain();
                }
                long peakRss = Memory.peakRss();
                if (n == 0) {
                    plainMs = ms.median();
                }
                double bankMiB =
                        n == 0 ? 0 : 4.0 * soupConfig(model, n, rank, k).bankParameterCount() / (1 << 20);
                largestBank = Math.max(
                        largestBank, n == 0 ? 0 : soupConfig(model, n, rank, k).bankParameterCount());
                double tokPerS = batch * context / (ms.median() / 1e3);
                double gflops = 6.0 * model.parameterCount() * tokPerS / 1e9;
                long heap = Memory.heapUsed();
                String overPlain = n == 0
                        ? "-"
                        : ratio != null
                                ? ratio.format("%.2f")
                                : Double.isNaN(plainMs) ? "-" : String.format("%.2f", ms.median() / plainMs);
                md.append(String.format(
                        "| %s | %d | %d | %s | %d | %.1f | %s | %.0f | %s | %s | %s | %.2f | %.2f |%n",
                        base,
                        model.parameterCount(),
                        n,
                        (n == 0 ? "-" : rank == 0 ? "dense" : String.valueOf(rank))
                                + (v.halfMoments() ? ", bf16 moments" : ""),
                        m,
                        bankMiB,
                        ms.format("%.0f"),
                        tokPerS,
                        overPlain,
                        n == 0 ? String.format("%.1f", gflops) : "-",
                        n == 0 ? String.format("%.0f%%", 100 * gflops / peak.median()) : "-",
                        peakRss / (double) (1L << 30),
                        heap / (double) (1L << 30)));
                JsonObject row = new JsonObject();
                row.addProperty("base", base);
                row.addProperty("parameters", model.parameterCount());
                row.addProperty("experts", n);
                row.addProperty("rank", rank);
                row.addProperty("hPerStep", m);
                row.addProperty("bankMoments", v.moments().name());
                row.addProperty("alternated", !sequential);
                row.addProperty("bankMiB", bankMiB);
                row.addProperty("stepMillisMedian", ms.median());
                row.addProperty("stepMillisMin", ms.min());
                row.addProperty("stepMillisMax", ms.max());
                if (ratio != null && n > 0) {
                    row.addProperty("overPlainMedian", ratio.median());
                    row.addProperty("overPlainMin", ratio.min());
                    row.addProperty("overPlainMax", ratio.max());
                }
                row.addProperty("tokensPerSecond", tokPerS);
                row.addProperty("gflops", gflops);
                row.addProperty("peakRssBytes", peakRss);
                row.addProperty("heapUsedBytes", heap);
                rows.add(row);
                if (n == 0) {
                    plainPoint = new double[] {1, ms.median()};
                } else {
                    lines.computeIfAbsent((v.halfMoments() ? 1_000_000 : 0) + rank * 1000 + m, r -> new ArrayList<>())
                            .add(new double[] {n, ms.median()});
                }
                LOG.info("{} {}: {} ms/step, peak RSS {} MiB", base, v.label(), ms.format("%.0f"), peakRss >> 20);
            }
            if (phases && !sequential) {
                md.append(phaseTable(base, alternated));
            }
            for (Map.Entry<Integer, List<double[]>> line : lines.entrySet()) {
                List<double[]> pts = new ArrayList<>(line.getValue());
                if (plainPoint != null) {
                    pts.add(0, plainPoint);
                }
                int rank = line.getKey() % 1_000_000 / 1000;
                String name = base + (rank == 0 ? " dense" : " rank " + rank) + ", m=" + line.getKey() % 1000
                        + (line.getKey() >= 1_000_000 ? ", bf16 moments" : "")
                        + (plainPoint != null ? " (n=0 plotted at 1)" : "");
                plot.put(name, new double[][] {
                    pts.stream().mapToDouble(p -> p[0]).toArray(),
                    pts.stream().mapToDouble(p -> p[1]).toArray()
                });
            }
        }
        json.add("rows", rows);
        if (largestBank > 0) {
            // The bank's size, at least 64 MiB so that the caches do not hold it, at most 1 GiB.
            ReadBandwidth bw = ReadBandwidth.measure(Math.min(1L << 28, Math.max(1L << 24, largestBank)));
            md.append(String.format(
                    "%nRead bandwidth in the same run, over %.0f MiB (the largest bank, 64 MiB to 1 GiB): a Java loop"
                            + " over a direct view of a LibTorch tensor %.1f GB/s, LibTorch's sum() %.1f GB/s.%n",
                    bw.bytes() / (double) (1 << 20), bw.javaGbPerSecond(), bw.engineGbPerSecond()));
            JsonObject b = new JsonObject();
            b.addProperty("bytes", bw.bytes());
            b.addProperty("javaGbPerSecond", bw.javaGbPerSecond());
            b.addProperty("engineGbPerSecond", bw.engineGbPerSecond());
            json.add("readBandwidth", b);
        }
        BenchMain.write(out.resolve("train.md"), md.toString());
        BenchMain.write(
                out.resolve("train.json"),
                new GsonBuilder().setPrettyPrinting().create().toJson(json));
        XYChart chart = new XYChartBuilder()
                .width(800)
                .height(500)
                .title("Training step time vs number of experts")
                .xAxisTitle("experts n")
                .yAxisTitle("ms per step")
                .build();
        chart.getStyler()
                .setXAxisLogarithmic(true)
                .setYAxisLogarithmic(true)
                .setLegendPosition(Styler.LegendPosition.InsideNW);
        plot.forEach((name, xy) -> {
            if (xy[0].length > 0) {
                chart.addSeries(name, xy[0], xy[1]);
            }
        });
        BitmapEncoder.saveBitmap(chart, out.resolve("scaling-train").toString(), BitmapEncoder.BitmapFormat.PNG);
        LOG.info("training benchmark:\n{}", md);
        return 0;
    }

    /** Mean ms per step of each phase, one column per configuration. */
    private static String phaseTable(String base, Map<Variant, StepAlternation.Result> results) {
        List<String> names = new ArrayList<>();
        results.values()
                .forEach(r -> r.phases().keySet().stream()
                        .filter(k -> !names.contains(k))
                        .forEach(names::add));
        StringBuilder t = new StringBuilder(String.format(
                "%nPhases of the step, %s (mean ms per step over the timed"
                        + " rounds; the rest of a step is the listeners' and the loop's own time):%n%n| phase |",
                base));
        results.keySet().forEach(v -> t.append(' ').append(v.label()).append(" |"));
        t.append("\n|---|").append("---:|".repeat(results.size())).append('\n');
        for (String name : names) {
            t.append("| ").append(name).append(" |");
            results.values().forEach(r -> {
                Double ms = r.phases().get(name);
                t.append(ms == null ? " - |" : String.format(" %.1f |", ms));
            });
            t.append('\n');
        }
        return t.append('\n').toString();
    }

    static SoupConfig soupConfig(ModelConfig model, int n, int rank, int k) {
        return SoupConfig.builder()
                .model(model)
                .domains(k)
                .experts(n)
                .expertRank(rank)
                .seed(1)
                .build();
    }

    /** One configuration: the plain model (n = 0) or a soup, and how its step forms the bank's sums. */
    record Variant(int n, int rank, int m, TrainingPlan.MomentPrecision moments) {

        String label() {
            return n == 0
                    ? "plain"
                    : "n=" + n + (rank == 0 ? "" : " r=" + rank) + " m=" + m + (halfMoments() ? " bf16" : "");
        }

        boolean halfMoments() {
            return moments == TrainingPlan.MomentPrecision.BFLOAT16;
        }
    }

    /** The configurations measured for n experts: the plain model once, with one h per step. */
    private List<Variant> variants(int n) {
        List<Variant> v = new ArrayList<>();
        for (int rank : n == 0 ? List.of(0) : ranks) {
            for (int m : n == 0 ? List.of(1) : hPerStep) {
                for (TrainingPlan.MomentPrecision p :
                        n == 0 ? List.of(TrainingPlan.MomentPrecision.FLOAT32) : bankMoments) {
                    v.add(new Variant(n, rank, m, p));
                }
            }
        }
        return v;
    }

    TrainingPlan config(Variant v, int k, BatchSource sampler, MetaDistribution pi, int total, StepListener listener) {
        return TrainingPlan.builder()
                .source(sampler)
                .metaDistribution(v.n() == 0 ? MetaDistributions.fixed(uniform(k)) : pi)
                .steps(total)
                .batchSize(batch)
                .contextLength(context)
                .hPerStep(v.m())
                .logEvery(0)
                .seed(1)
                .stepAlgorithm(stepAlgorithm)
                .fusedUpdate(!unfused)
                .bankMoments(v.moments())
                .listener(listener)
                .timePhases(phases)
                .build();
    }

    /** Per-repeat mean step time in ms, timed between step events (the optimizer's set-up excluded). */
    private Stats measure(ModelConfig model, Variant v, int k, BatchSource sampler, MetaDistribution pi) {
        int total = warmup + repeats * steps;
        long[] at = new long[total + 1];
        int n = v.n();
        int rank = v.rank();
        TrainingPlan tc = config(v, k, sampler, pi, total, e -> at[e.step()] = System.nanoTime());
        if (n == 0) {
            try (DenseModel s = DenseModel.create(model, 1)) {
                s.train(tc);
            }
        } else {
            try (SoupOfExperts soup = SoupOfExperts.create(soupConfig(model, n, rank, k))) {
                soup.train(tc);
            }
        }
        double[] means = new double[repeats];
        for (int r = 0; r < repeats; r++) {
            int from = warmup + r * steps;
            means[r] = (at[from + steps] - at[from]) / 1e6 / steps;
        }
        return Stats.of(means);
    }

    private static double[] uniform(int k) {
        double[] h = new double[k];
        Arrays.fill(h, 1.0 / k);
        return h;
    }

    /** GFLOP/s of a 2048^3 float32 matrix product through the engine, over 5 timed runs. */
    static Stats peakFlops() {
        int size = 2048;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.randomUniform(-1, 1, new Shape(size, size));
            NDArray b = m.randomUniform(-1, 1, new Shape(size, size));
            double[] g = new double[5];
            for (int i = -2; i < g.length; i++) {
                long t0 = System.nanoTime();
                try (NDArray c = a.matMul(b)) {
                    c.getFloat(0, 0);
                }
                if (i >= 0) {
                    g[i] = 2.0 * size * size * size / ((System.nanoTime() - t0) / 1e9) / 1e9;
                }
            }
            return Stats.of(g);
        }
    }
}
