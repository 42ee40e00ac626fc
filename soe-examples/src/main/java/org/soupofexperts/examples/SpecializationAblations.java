package org.soupofexperts.examples;

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
import org.soupofexperts.core.batch.MetaDistribution;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.config.RouterConfig;
import org.soupofexperts.core.config.SoupConfig;
import org.soupofexperts.core.io.Version;
import org.soupofexperts.core.train.ParamGroup;
import org.soupofexperts.core.train.TrainingPlan;
import org.soupofexperts.data.sample.MetaDistributions;
import org.soupofexperts.examples.experiment.Budget;
import org.soupofexperts.examples.experiment.Commands;
import org.soupofexperts.examples.experiment.ExperimentCommand;
import org.soupofexperts.examples.experiment.ExperimentData;
import org.soupofexperts.examples.experiment.Parts;
import org.soupofexperts.examples.experiment.PlainRun;
import org.soupofexperts.examples.experiment.SoupRun;
import org.soupofexperts.examples.experiment.SoupScores;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * What makes a soup specialize: domain weights per step (m), router output, share of natural-mixture
 * h, the experts' learning rate and update rule, and the meta-distribution, each against the
 * generic model at two learning rates (a soup's merged weights can move faster than a plain
 * model's, so a soup must beat the generic model at its better rate, not at one rate). Every soup
 * is reported with its specialized loss (histogram h), its loss at one-hot h, its generic loss
 * (natural h) and "h matters" (its loss on each domain at the natural h minus at the domain's own
 * h). Finished runs are kept under {@code out/parts}; the defaults of the library were chosen from
 * this table (docs/results.md).
 */
@Command(
        name = "specialization-ablations",
        mixinStandardHelpOptions = true,
        description =
                "Per-group domain weights, router, natural share, expert lr and update rule, against two generic controls.")
public final class SpecializationAblations extends ExperimentCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(SpecializationAblations.class);

    @Option(
            names = "--out",
            defaultValue = "target/specialization-ablations",
            description = "output folder (default ${DEFAULT-VALUE})")
    Path out;

    @Option(
            names = "--steps",
            defaultValue = "1500",
            description = "training steps of every model (default ${DEFAULT-VALUE})")
    int steps;

    @Option(
            names = "--lr",
            defaultValue = "3e-3",
            description = "peak learning rate of the soups (default ${DEFAULT-VALUE})")
    double lr;

    @Option(
            names = "--generic-lrs",
            split = ",",
            defaultValue = "3e-3,5e-3",
            description = "learning rates of the generic controls")
    List<Double> genericLrs;

    @Option(
            names = "--experts",
            defaultValue = "16",
            description = "experts n of every soup (default ${DEFAULT-VALUE})")
    int experts;

    @Option(
            names = "--eval-windows",
            defaultValue = "32",
            description = "validation windows per domain (default ${DEFAULT-VALUE})")
    int evalWindows;

    @Option(names = "--only", split = ",", description = "run only the variants with these keys (default: all)")
    List<String> only;

    @Option(
            names = "--groups",
            split = ",",
            description = "instead of the ablation's variants, the library's defaults at these numbers of domain"
                    + " weights per step m (each must divide --batch): the m-against-batch ablation")
    List<Integer> groups;

    @Option(
            names = "--bank-moments",
            split = ",",
            defaultValue = "FLOAT32",
            description = "precisions of the soups' bank moments: each variant runs with each, FLOAT32 and/or BFLOAT16"
                    + " (default ${DEFAULT-VALUE})")
    List<TrainingPlan.MomentPrecision> bankMoments;

    public static void main(String[] args) {
        Commands.exit(new SpecializationAblations(), args);
    }

    @Override
    public Integer call() throws Exception {
        Files.createDirectories(out);
        ExperimentData data = ExperimentData.prepare(corpus, out, 0, 0);
        ModelConfig model = model(data.tokenizer.vocabSize());
        Parts parts = new Parts(
                out,
                String.join(
                        " ",
                        baseSettings(),
                        "--steps=" + steps,
                        "--lr=" + lr,
                        "--experts=" + experts,
                        "--eval-windows=" + evalWindows,
                        "(library " + Version.get() + ")"));
        LOG.info("{} domains, base model {} ({} parameters)", data.k, model, model.parameterCount());

        Map<Double, PlainRun> generics = new LinkedHashMap<>();
        for (double glr : genericLrs) {
            Budget b = new Budget(batch, context, glr, seed);
            generics.put(
                    glr,
                    parts.getOrRun(
                            "generic-lr" + glr,
                            PlainRun.class,
                            () -> PlainRun.generic(model, data, b, steps, evalWindows)));
        }
        PlainRun bestGeneric = generics.values().stream()
                .min(Comparator.comparingDouble(PlainRun::specialized))
                .orElseThrow();

        Map<SpecializationVariant, SoupRun> results = new LinkedHashMap<>();
        List<SpecializationVariant> variants = new ArrayList<>();
        for (SpecializationVariant listed : groups == null
                ? SpecializationVariant.variants(experts)
                : SpecializationVariant.groupVariants(groups, batch)) {
            for (TrainingPlan.MomentPrecision p : bankMoments) {
                variants.add(p == TrainingPlan.MomentPrecision.BFLOAT16 ? listed.halfMoments() : listed);
            }
        }
        for (SpecializationVariant v : variants) {
            if (only != null && !only.contains(v.key())) {
                continue;
            }
            results.put(v, parts.getOrRun(v.key(), SoupRun.class, () -> {
                LOG.info("ablation {} ({})", v.name(), v.key());
                return run(v, model, data);
            }));
        }
        String header = String.format(
                "Base model: %s (%d parameters); %d steps of %d x %d tokens; n = %d; soups at lr %s; seed %d."
                        + " Losses in bits/byte on the validation split, %d windows per domain.%n%n",
                model, model.parameterCount(), steps, batch, context, experts, lr, seed, evalWindows);
        SpecializationReport.write(out, header, data, generics, bestGeneric, results);
        return 0;
    }

    private SoupRun run(SpecializationVariant v, ModelConfig model, ExperimentData data) {
        SoupConfig config = SoupConfig.builder()
                .model(model)
                .domains(data.k)
                .experts(experts)
                .seed(seed)
                .router(RouterConfig.of(
                        RouterConfig.defaults().hidden(),
                        RouterConfig.defaults().depth(),
                        v.output()))
                .build();
        MetaDistribution sparse =
                v.meta().equals("onehot") ? MetaDistributions.oneHot(data.k) : MetaDistributions.dirichlet(data.k, 3.0);
        MetaDistribution pi =
                MetaDistributions.mixture(MetaDistributions.fixed(data.natural), sparse, v.naturalShare());
        TrainingPlan tc = new Budget(batch, context, lr, seed)
                .config(data.sampler, pi, steps)
                .hPerStep(v.m() == 0 ? TrainingPlan.PER_SEQUENCE : v.m())
                .learningRateScale(ParamGroup.EXPERTS, v.expertLr())
                .expertUpdate(v.update())
                .bankMoments(
                        v.bf16Moments() ? TrainingPlan.MomentPrecision.BFLOAT16 : TrainingPlan.MomentPrecision.FLOAT32)
                .build();
        try (SoupOfExperts soup = SoupOfExperts.create(config)) {
            soup.train(tc);
            return SoupRun.of(soup, SoupScores.of(soup, data, context, evalWindows, true));
        }
    }
}
