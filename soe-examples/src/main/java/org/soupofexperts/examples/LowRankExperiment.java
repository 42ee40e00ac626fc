package org.soupofexperts.examples;

import java.nio.file.Files;
import java.nio.file.Path;
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
import org.soupofexperts.examples.experiment.Commands;
import org.soupofexperts.examples.experiment.ExperimentCommand;
import org.soupofexperts.examples.experiment.ExperimentData;
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
            curves.put(LowRankReport.name(r), p.losses());
        }
        LowRankReport.write(out, header(model, generic), data, generic, soups, curves, experts);
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
        LOG.info("soup with {} experts: {} bank values", LowRankReport.name(rank), config.bankParameterCount());
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
}
