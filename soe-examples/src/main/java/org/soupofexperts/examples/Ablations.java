package org.soupofexperts.examples;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.core.DenseModel;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.config.ExpertInit;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.config.RouterConfig;
import org.soupofexperts.core.config.SoupConfig;
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
 * The paper's two ablations at a small budget: the number of experts n, and the
 * meta-distribution (support size s, Dirichlet concentration beta, share of natural-mixture
 * steps). Every soup is trained by the same loop, budget and seed as a generic model of the same
 * base size, and reported as specialized loss (average over domains at the histogram h) and
 * generic loss (at the natural mixture). Finished runs are kept under {@code out/parts}.
 */
@Command(
        name = "ablations",
        mixinStandardHelpOptions = true,
        description = "Ablations over the number of experts and the meta-distribution.")
public final class Ablations extends ExperimentCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(Ablations.class);

    @Option(
            names = "--out",
            defaultValue = "target/ablations",
            description = "output folder (default ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--steps", defaultValue = "1000")
    int steps;

    @Option(names = "--lr", defaultValue = "1e-3")
    double lr;

    @Option(names = "--experts", split = ",", defaultValue = "4,16,64", description = "values of n (at s=4, beta=1)")
    List<Integer> expertCounts;

    @Option(names = "--base-experts", defaultValue = "16", description = "n of the meta-distribution ablation")
    int baseExperts;

    @Option(names = "--knobs", description = "also ablate expert init, router output, expert lr and decay, warm start")
    boolean withKnobs;

    @Option(names = "--eval-windows", defaultValue = "32")
    int evalWindows;

    public static void main(String[] args) {
        Commands.exit(new Ablations(), args);
    }

    /** n at s = 4, beta = 1. */
    private List<AblationVariant> expertsAblation() {
        List<AblationVariant> variants = new ArrayList<>();
        for (int n : expertCounts) {
            variants.add(new AblationVariant("n=" + n, n, 4, 1.0, 0.25));
        }
        return variants;
    }

    /** Support s, concentration beta and the natural share, at n = base experts over k domains. */
    private List<AblationVariant> metaAblation(int k) {
        int b = baseExperts;
        return List.of(
                new AblationVariant("s=1", b, 1, 1.0, 0.25),
                new AblationVariant("s=4", b, 4, 1.0, 0.25),
                new AblationVariant("s=all, beta=1", b, k, 1.0, 0.25),
                new AblationVariant("s=all, beta=0.3", b, k, 0.3, 0.25),
                new AblationVariant("s=all, beta=3", b, k, 3.0, 0.25),
                new AblationVariant("s=4, no natural steps", b, 4, 1.0, 0.0));
    }

    /** The optimisation and architecture knobs, each changed alone from the defaults (or as the row says). */
    private List<AblationVariant> knobs(int k) {
        int b = baseExperts;
        AblationVariant d = new AblationVariant("defaults (s=4, zero-init experts, raw alpha)", b, 4, 1.0, 0.25);
        AblationVariant lr3 = d.withExpertLr(1 / Math.sqrt(b)).withLr(3);
        return List.of(
                d,
                d.named("experts initialised with noise").withInit(ExpertInit.SCALED_NOISE),
                d.named("softmax router output").withOutput(RouterConfig.Output.SOFTMAX),
                d.named("expert lr x3").withExpertLr(3),
                d.named("expert lr x0.3").withExpertLr(0.3),
                d.named("expert lr x1/sqrt(n)").withExpertLr(1 / Math.sqrt(b)),
                d.named("n=64, expert lr x1/sqrt(n)").withExperts(64).withExpertLr(1 / 8.0),
                d.named("no weight decay on experts").withExpertDecay(0),
                d.named("warm start: S from a generic model trained 20% of the steps")
                        .withWarmStart(0.2),
                d.named("lr x3 (all groups)").withLr(3),
                lr3.named("lr x3, expert lr x1/sqrt(n)"),
                lr3.named("lr x3, expert lr x1/sqrt(n), s=all, beta=3").withMeta(k, 3.0),
                lr3.named("lr x3, expert lr x1/sqrt(n), s=all, beta=3, softmax")
                        .withMeta(k, 3.0)
                        .withOutput(RouterConfig.Output.SOFTMAX),
                lr3.named("n=4, lr x3, expert lr x1/sqrt(n), s=all, beta=3")
                        .withExperts(4)
                        .withMeta(k, 3.0)
                        .withExpertLr(0.5));
    }

    @Override
    public Integer call() throws Exception {
        Files.createDirectories(out);
        ExperimentData data = ExperimentData.prepare(corpus, out, 0, 0);
        ModelConfig model = model(data.tokenizer.vocabSize());
        Budget budget = new Budget(batch, context, lr, seed);
        Parts parts = new Parts(
                out,
                String.join(" ", baseSettings(), "--steps=" + steps, "--lr=" + lr, "--eval-windows=" + evalWindows));
        int k = data.k;

        PlainRun generic = parts.getOrRun("generic", PlainRun.class, () -> genericRun(model, data, budget));

        // Control: the merged weights of a soup move faster than a plain model's at the same lr
        // (S and every expert take a step), so the generic model is also run at higher rates.
        Map<Double, PlainRun> controls = new LinkedHashMap<>();
        for (double scale : withKnobs ? new double[] {2, 3, 5} : new double[0]) {
            Budget faster = new Budget(batch, context, lr * scale, seed);
            controls.put(
                    scale,
                    parts.getOrRun("generic-lr-x" + scale, PlainRun.class, () -> genericRun(model, data, faster)));
        }

        Map<String, List<AblationVariant>> sections = new LinkedHashMap<>();
        sections.put("Number of experts (s=4, beta=1, natural share 0.25)", expertsAblation());
        sections.put("Meta-distribution (n=" + baseExperts + ")", metaAblation(k));
        if (withKnobs) {
            sections.put(
                    "Optimisation and architecture (n=" + baseExperts + ", s=4, beta=1, natural share 0.25, lr " + lr
                            + " unless the row says otherwise)",
                    knobs(k));
        }
        Map<String, SoupRun> results = new LinkedHashMap<>();
        for (List<AblationVariant> variants : sections.values()) {
            for (AblationVariant v : variants) {
                if (!results.containsKey(v.key())) {
                    results.put(v.key(), parts.getOrRun(v.key(), SoupRun.class, () -> {
                        LOG.info("ablation {}", v);
                        try (SoupOfExperts soup = train(v, model, data, budget)) {
                            return SoupRun.of(soup, SoupScores.of(soup, data, context, evalWindows, false))
                                    .withSeconds(trainSeconds);
                        }
                    }));
                }
            }
        }
        String header = String.format(
                "Base model: %s (%d parameters); %d steps of %d x %d tokens; seed %d.%n%n",
                model, model.parameterCount(), steps, batch, context, seed);
        AblationsReport.write(out, header, generic, controls, sections, results);
        return 0;
    }

    private PlainRun genericRun(ModelConfig model, ExperimentData data, Budget budget) {
        return PlainRun.generic(model, data, budget, steps, evalWindows);
    }

    /** Training time of the last variant, warm-start pretraining included. */
    private double trainSeconds;

    private SoupOfExperts train(AblationVariant v, ModelConfig model, ExperimentData data, Budget budget) {
        SoupConfig config = SoupConfig.builder()
                .model(model)
                .domains(data.k)
                .experts(v.experts())
                .seed(seed)
                .expertInit(v.init())
                .router(RouterConfig.of(
                        RouterConfig.defaults().hidden(),
                        RouterConfig.defaults().depth(),
                        v.output()))
                .build();
        int warmSteps = (int) Math.round(v.warmStartShare() * steps);
        SoupOfExperts soup = SoupOfExperts.create(config);
        try {
            trainSeconds = 0;
            if (warmSteps > 0) {
                try (DenseModel base = DenseModel.create(model, seed)) {
                    trainSeconds += base.train(
                                    budget.config(data.sampler, MetaDistributions.fixed(data.natural), warmSteps)
                                            .build())
                            .seconds();
                    soup.warmStart(base);
                }
            }
            // One h per step, as in the committed runs: these ablations predate per-group h (see
            // SpecializationAblations).
            TrainingPlan.Builder tc = budget.config(
                            data.sampler, data.meta(v.support(), v.beta(), v.naturalShare()), steps - warmSteps)
                    .hPerStep(1)
                    .learningRate(budget.lr() * v.lrScale())
                    .learningRateScale(ParamGroup.EXPERTS, v.expertLrScale());
            if (v.expertDecay() >= 0) {
                tc.weightDecay(ParamGroup.EXPERTS, v.expertDecay());
            }
            trainSeconds += soup.train(tc.build()).seconds();
            return soup;
        } catch (RuntimeException e) {
            soup.close();
            throw e;
        }
    }
}
