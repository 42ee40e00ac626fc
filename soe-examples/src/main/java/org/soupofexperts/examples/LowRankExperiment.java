package org.soupofexperts.examples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.config.RouterConfig;
import org.soupofexperts.core.config.SoupConfig;
import org.soupofexperts.core.train.ParamGroup;
import org.soupofexperts.core.train.TrainingPlan;
import org.soupofexperts.examples.experiment.Budget;
import org.soupofexperts.examples.experiment.Charts;
import org.soupofexperts.examples.experiment.Commands;
import org.soupofexperts.examples.experiment.ExperimentCommand;
import org.soupofexperts.examples.experiment.ExperimentData;
import org.soupofexperts.examples.experiment.MarkdownTable;
import org.soupofexperts.examples.experiment.MetaOptions;
import org.soupofexperts.examples.experiment.Parts;
import org.soupofexperts.examples.experiment.PlainRun;
import org.soupofexperts.examples.experiment.SoupRun;
import org.soupofexperts.examples.experiment.SoupScores;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Dense against low-rank experts at the same n: soups that differ only in the rank r of their
 * experts (E_j = U_j V_j^T for every matrix; vectors stay dense), trained with the same budget,
 * seed and library defaults, next to a generic model of the same size and budget. Reports each
 * soup's bank size, its specialized loss (h from each domain's histogram), its loss at the natural
 * mixture, and how much h matters (loss at the natural mixture minus loss at the domain's own h).
 * Finished soups are kept under {@code out/parts}, so an interrupted run resumes.
 */
@Command(
        name = "low-rank-experiment",
        mixinStandardHelpOptions = true,
        description = "Bank size and specialist quality of dense vs low-rank experts.")
public final class LowRankExperiment extends ExperimentCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(LowRankExperiment.class);

    @Option(names = "--out", defaultValue = "target/low-rank", description = "output folder (default ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--steps", defaultValue = "2000")
    int steps;

    @Option(
            names = "--experts",
            defaultValue = "16",
            description = "n, the same for every soup (default ${DEFAULT-VALUE})")
    int experts;

    @Option(
            names = "--ranks",
            split = ",",
            defaultValue = "0,4,16,64",
            description = "expert ranks to compare; 0 = dense (default ${DEFAULT-VALUE})")
    List<Integer> ranks;

    @Option(names = "--lr", defaultValue = "3e-3")
    double lr;

    @Mixin
    MetaOptions meta = new MetaOptions();

    @Option(
            names = "--router-output",
            defaultValue = "SOFTMAX",
            description = "SOFTMAX or RAW alpha (default ${DEFAULT-VALUE})")
    RouterConfig.Output routerOutput;

    @Option(
            names = "--expert-lr-scale",
            description = "learning-rate scale of the experts (default: the library's 1/sqrt(n))")
    Double expertLrScale;

    @Option(names = "--eval-windows", defaultValue = "64", description = "validation windows per domain")
    int evalWindows;

    public static void main(String[] args) {
        Commands.exit(new LowRankExperiment(), args);
    }

    @Override
    public Integer call() throws Exception {
        Files.createDirectories(out);
        ExperimentData data = ExperimentData.prepare(corpus, out, 0, 0);
        ModelConfig model = model(data.tokenizer.vocabSize());
        Budget budget = new Budget(batch, context, lr, seed);
        Parts parts = new Parts(
                out,
                String.join(
                                " ",
                                baseSettings(),
                                "--steps=" + steps,
                                "--experts=" + experts,
                                "--lr=" + lr,
                                "--eval-windows=" + evalWindows)
                        + (isDefaultMeta()
                                ? ""
                                : " " + meta.settings() + " --router-output=" + routerOutput + " --expert-lr-scale="
                                        + expertLrScale));

        PlainRun generic = parts.getOrRun(
                "generic", PlainRun.class, () -> PlainRun.generic(model, data, budget, steps, evalWindows));
        Map<Integer, SoupRun> soups = new LinkedHashMap<>();
        Map<String, float[]> curves = new LinkedHashMap<>();
        for (int r : ranks) {
            SoupRun p = parts.getOrRun("soup-rank" + r, SoupRun.class, () -> soup(model, data, budget, r));
            soups.put(r, p);
            curves.put(name(r), p.losses());
        }
        report(model, data, generic, soups, curves);
        return 0;
    }

    /** Whether the soups train with the library's defaults (the settings string then stays as it was). */
    private boolean isDefaultMeta() {
        return meta.isDefault() && routerOutput == RouterConfig.Output.SOFTMAX && expertLrScale == null;
    }

    private SoupRun soup(ModelConfig model, ExperimentData data, Budget budget, int rank) {
        SoupConfig config = SoupConfig.builder()
                .model(model)
                .domains(data.k)
                .experts(experts)
                .expertRank(rank)
                .seed(seed)
                .router(RouterConfig.of(
                        RouterConfig.defaults().hidden(),
                        RouterConfig.defaults().depth(),
                        routerOutput))
                .build();
        LOG.info("soup with {} experts: {} bank values", name(rank), config.bankParameterCount());
        // One h per step, as in the committed runs (docs/results.md), which predate per-group h.
        TrainingPlan.Builder tc =
                budget.config(data.sampler, meta.over(data), steps).hPerStep(1);
        // Without the option: 1/sqrt(n), the library's default when the committed runs were made.
        tc.learningRateScale(ParamGroup.EXPERTS, expertLrScale != null ? expertLrScale : 1 / Math.sqrt(experts));
        try (SoupOfExperts soup = SoupOfExperts.create(config)) {
            soup.train(tc.build());
            return SoupRun.of(soup, SoupScores.of(soup, data, context, evalWindows, false));
        }
    }

    private static String name(int rank) {
        return rank == 0 ? "dense" : "rank " + rank;
    }

    private void report(
            ModelConfig model,
            ExperimentData data,
            PlainRun generic,
            Map<Integer, SoupRun> soups,
            Map<String, float[]> curves)
            throws Exception {
        SoupRun dense = soups.get(0);
        MarkdownTable t = new MarkdownTable(
                "experts",
                "bank parameters",
                "bank MiB",
                "of dense bank",
                "specialized",
                "generic",
                "h matters",
                "vs generic model",
                "train s",
                "instantiate ms");
        List<Row> rows = new ArrayList<>();
        for (Map.Entry<Integer, SoupRun> e : soups.entrySet()) {
            SoupRun p = e.getValue();
            SoupScores s = p.scores();
            long bank = p.bankParameters();
            t.row(
                    name(e.getKey()),
                    bank,
                    String.format("%.2f", mebibytes(bank)),
                    dense == null ? "-" : String.format("%.3f", bank / (double) dense.bankParameters()),
                    s.specialized(),
                    s.naturalBitsPerByte(),
                    String.format("%.4f", s.hMatters()),
                    String.format("%+.3f", s.specialized() - generic.specialized()),
                    String.format("%.0f", p.seconds()),
                    String.format("%.1f", s.instantiateMillis()));
            rows.add(new Row(e.getKey(), s.hMatters(), p));
        }
        List<String> header = new ArrayList<>(List.of("domain", "generic model"));
        soups.keySet().forEach(r -> header.add(name(r)));
        MarkdownTable perDomain = new MarkdownTable(header);
        for (int d = 0; d < data.k; d++) {
            double[] row = new double[soups.size() + 1];
            row[0] = generic.perDomainBitsPerByte()[d];
            int j = 1;
            for (SoupRun p : soups.values()) {
                row[j++] = p.scores().histogramBitsPerByte()[d];
            }
            perDomain.row(data.domains().get(d), row);
        }
        String md = header(model, generic) + t + "\nPer domain (specialized loss at the domain's histogram h):\n\n"
                + perDomain;
        Parts.write(out.resolve("low-rank.md"), md);
        Parts.write(out.resolve("low-rank.json"), Parts.json(new Results(generic, rows)));
        plot(generic, soups);
        Charts.trainingCurves(out.resolve("low-rank-training.png"), curves, 100);
        LOG.info("low-rank experiment:\n{}", md);
    }

    /** The settings and the generic model, above the tables. */
    private String header(ModelConfig model, PlainRun generic) {
        String soupSettings = isDefaultMeta()
                ? "library defaults (softmax router, expert lr 1/sqrt(n); a quarter of the steps at the natural"
                        + " mixture, the rest Dirichlet(3) over all domains)"
                : String.format(
                        "router output %s, expert lr scale %s; %s",
                        routerOutput, expertLrScale == null ? "1/sqrt(n)" : expertLrScale, meta.describe());
        return String.format(
                        "Base model: %s (%d parameters); n = %d experts; %d steps of %d x %d tokens at lr %s; seed %d;"
                                + " %s. Losses in bits per byte on the held-out split, %d windows per domain."
                                + " \"h matters\" is the mean over domains of the loss at the natural mixture minus the"
                                + " loss at the domain's own h.%n%n",
                        model,
                        model.parameterCount(),
                        experts,
                        steps,
                        batch,
                        context,
                        lr,
                        seed,
                        soupSettings,
                        evalWindows)
                + String.format(
                        "Generic model (same budget): specialized %.3f, generic %.3f, %.0f s.%n%n",
                        generic.specialized(), generic.naturalBitsPerByte(), generic.seconds());
    }

    /** One line through the soups in order of bank size (each point labelled in the table), and the generic model. */
    private void plot(PlainRun generic, Map<Integer, SoupRun> soups) throws IOException {
        List<SoupRun> bySize = soups.values().stream()
                .sorted(Comparator.comparingLong(SoupRun::bankParameters))
                .toList();
        double[] xs =
                bySize.stream().mapToDouble(p -> mebibytes(p.bankParameters())).toArray();
        double[] ys = bySize.stream().mapToDouble(p -> p.scores().specialized()).toArray();
        Map<String, double[][]> plot = new LinkedHashMap<>();
        plot.put("soups, ranks " + soups.keySet() + " (0 = dense)", new double[][] {xs, ys});
        plot.put("generic model", new double[][] {
            {0, xs[xs.length - 1]},
            {generic.specialized(), generic.specialized()}
        });
        Charts.lines(
                out.resolve("low-rank.png"),
                "Specialized loss vs expert bank size (n = " + experts + ")",
                "expert bank (MiB)",
                "specialized loss (bits/byte)",
                plot,
                true);
    }

    private static double mebibytes(long floats) {
        return 4.0 * floats / (1 << 20);
    }

    /** low-rank.json: the generic model and each soup. */
    record Results(PlainRun generic, List<Row> soups) {}

    /** One soup: its experts' rank (0: dense), how much h matters, its run. */
    record Row(int rank, double hMattersBitsPerByte, SoupRun soup) {}
}
