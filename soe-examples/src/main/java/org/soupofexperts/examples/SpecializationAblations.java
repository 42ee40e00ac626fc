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
import org.soupofexperts.core.batch.MetaDistribution;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.config.RouterConfig;
import org.soupofexperts.core.config.SoupConfig;
import org.soupofexperts.core.io.Version;
import org.soupofexperts.core.train.ParamGroup;
import org.soupofexperts.core.train.TrainingPlan;
import org.soupofexperts.data.sample.MetaDistributions;
import org.soupofexperts.examples.experiment.Budget;
import org.soupofexperts.examples.experiment.Charts;
import org.soupofexperts.examples.experiment.Commands;
import org.soupofexperts.examples.experiment.ExperimentCommand;
import org.soupofexperts.examples.experiment.ExperimentData;
import org.soupofexperts.examples.experiment.MarkdownTable;
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

    /** One soup of the ablation. {@code m = 0}: one h per sequence. */
    record Variant(
            String name,
            int m,
            RouterConfig.Output output,
            String meta,
            double naturalShare,
            double expertLr,
            TrainingPlan.ExpertUpdate update,
            boolean bf16Moments) {

        Variant(
                String name,
                int m,
                RouterConfig.Output output,
                String meta,
                double naturalShare,
                double expertLr,
                TrainingPlan.ExpertUpdate update) {
            this(name, m, output, meta, naturalShare, expertLr, update, false);
        }

        String key() {
            return String.format("soup-m%d-%s-%s-nat%s-elr%s-%s", m, output, meta, naturalShare, expertLr, update)
                    + (bf16Moments ? "-bf16" : "");
        }

        /** This soup with its bank moments in bfloat16 (its name and key say so). */
        Variant halfMoments() {
            return new Variant(name + ", bf16 bank moments", m, output, meta, naturalShare, expertLr, update, true);
        }
    }

    public static void main(String[] args) {
        Commands.exit(new SpecializationAblations(), args);
    }

    static List<Variant> variants(int n) {
        RouterConfig.Output raw = RouterConfig.Output.RAW;
        RouterConfig.Output softmax = RouterConfig.Output.SOFTMAX;
        TrainingPlan.ExpertUpdate adam = TrainingPlan.ExpertUpdate.ADAM;
        double invSqrt = 1 / Math.sqrt(n);
        // Most telling first: an interrupted run has the rows that matter most. The softmax router won
        // over raw alpha (first rows), so the later rows vary one setting of the softmax soup.
        return List.of(
                new Variant("one h per sequence (m=16), raw alpha", 0, raw, "onehot", 0.25, 1, adam),
                new Variant("one h per step (m=1), raw alpha", 1, raw, "onehot", 0.25, 1, adam),
                new Variant("m=16, softmax router", 0, softmax, "onehot", 0.25, 1, adam),
                new Variant("m=16, raw alpha, expert lr x1/sqrt(n)", 0, raw, "onehot", 0.25, invSqrt, adam),
                new Variant("m=16, softmax, natural share 0.5", 0, softmax, "onehot", 0.5, 1, adam),
                new Variant(
                        "m=16, softmax, experts share S's second moment",
                        0,
                        softmax,
                        "onehot",
                        0.25,
                        1,
                        TrainingPlan.ExpertUpdate.SHARED_SECOND_MOMENT),
                new Variant("m=4, softmax", 4, softmax, "onehot", 0.25, 1, adam),
                new Variant("m=16, softmax, Dirichlet(3) over all domains", 0, softmax, "dirichlet3", 0.25, 1, adam),
                new Variant(
                        "m=1, softmax, Dirichlet(3), expert lr x1/sqrt(n) (the previous defaults)",
                        1,
                        softmax,
                        "dirichlet3",
                        0.25,
                        invSqrt,
                        adam));
    }

    /** The library's defaults (softmax router, one-hot h or the natural mixture half each) at each m. */
    static List<Variant> groupVariants(List<Integer> ms, int batch) {
        List<Variant> v = new ArrayList<>();
        for (int m : ms) {
            if (m < 1 || batch % m != 0) {
                throw new IllegalArgumentException("--groups " + m + " does not divide --batch " + batch);
            }
            v.add(new Variant(
                    "m=" + m + " (batch " + batch + "), library defaults",
                    m,
                    RouterConfig.Output.SOFTMAX,
                    "onehot",
                    0.5,
                    1,
                    TrainingPlan.ExpertUpdate.ADAM));
        }
        return v;
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

        Map<Variant, SoupRun> results = new LinkedHashMap<>();
        List<Variant> variants = new ArrayList<>();
        for (Variant listed : groups == null ? variants(experts) : groupVariants(groups, batch)) {
            for (TrainingPlan.MomentPrecision p : bankMoments) {
                variants.add(p == TrainingPlan.MomentPrecision.BFLOAT16 ? listed.halfMoments() : listed);
            }
        }
        for (Variant v : variants) {
            if (only != null && !only.contains(v.key())) {
                continue;
            }
            results.put(v, parts.getOrRun(v.key(), SoupRun.class, () -> {
                LOG.info("ablation {} ({})", v.name(), v.key());
                return run(v, model, data);
            }));
        }
        report(model, data, generics, bestGeneric, results);
        return 0;
    }

    private SoupRun run(Variant v, ModelConfig model, ExperimentData data) {
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

    private void report(
            ModelConfig model,
            ExperimentData data,
            Map<Double, PlainRun> generics,
            PlainRun bestGeneric,
            Map<Variant, SoupRun> results)
            throws IOException {
        double bestNatural = bestGeneric.naturalBitsPerByte();
        StringBuilder md = new StringBuilder();
        md.append(String.format(
                "Base model: %s (%d parameters); %d steps of %d x %d tokens; n = %d; soups at lr %s; seed %d."
                        + " Losses in bits/byte on the validation split, %d windows per domain.%n%n",
                model, model.parameterCount(), steps, batch, context, experts, lr, seed, evalWindows));
        MarkdownTable t = new MarkdownTable(
                "model",
                "specialized (histogram h)",
                "one-hot h",
                "generic (natural h)",
                "h matters",
                "domains won vs best generic",
                "generic vs best generic",
                "train s");
        for (Map.Entry<Double, PlainRun> e : generics.entrySet()) {
            PlainRun g = e.getValue();
            t.row(
                    "generic, lr " + e.getKey(),
                    g.specialized(),
                    "-",
                    g.naturalBitsPerByte(),
                    "0",
                    "-",
                    MarkdownTable.percent(g.naturalBitsPerByte(), bestNatural),
                    String.format("%.0f", g.seconds()));
        }
        List<Row> rows = soupRows(t, results, bestGeneric, data.k);
        md.append(t);
        Map<String, double[][]> plot = new LinkedHashMap<>();
        for (Row r : rows) {
            plot.put(r.variant(), new double[][] {
                {r.soup().scores().naturalBitsPerByte()}, {r.soup().scores().specialized()}
            });
        }
        for (Map.Entry<Double, PlainRun> g : generics.entrySet()) {
            plot.put("generic, lr " + g.getKey(), new double[][] {
                {g.getValue().naturalBitsPerByte()}, {g.getValue().specialized()}
            });
        }
        Parts.write(out.resolve("ablations.md"), md.toString());
        Parts.write(out.resolve("ablations.json"), Parts.json(new Results(generics, data.domains(), rows)));
        Charts.lines(
                out.resolve("ablations.png"),
                "Specialization ablations: specialized vs generic loss",
                "generic loss (bits/byte)",
                "specialized loss (bits/byte)",
                plot,
                true);
        LOG.info("specialization ablations:\n{}", md);
    }

    /** One row of {@code t} per soup, and its record for ablations.json. */
    private static List<Row> soupRows(MarkdownTable t, Map<Variant, SoupRun> results, PlainRun bestGeneric, int k) {
        double bestNatural = bestGeneric.naturalBitsPerByte();
        List<Row> rows = new ArrayList<>();
        for (Map.Entry<Variant, SoupRun> e : results.entrySet()) {
            Variant v = e.getKey();
            SoupScores p = e.getValue().scores();
            int wins = p.winsAgainst(bestGeneric.perDomainBitsPerByte());
            t.row(
                    v.name(),
                    p.specialized(),
                    p.oneHot(),
                    p.naturalBitsPerByte(),
                    p.hMatters(),
                    wins + "/" + k,
                    MarkdownTable.percent(p.naturalBitsPerByte(), bestNatural),
                    String.format("%.0f", e.getValue().seconds()));
            rows.add(new Row(v.name(), v.key(), p.hMatters(), wins, e.getValue()));
        }
        return rows;
    }

    /** ablations.json: the generic model at each learning rate, the domains, and each soup. */
    record Results(Map<Double, PlainRun> generic, List<String> domains, List<Row> soups) {}

    /** One soup: its variant, how much h matters, its wins against the better generic model, its run. */
    record Row(String variant, String key, double hMatters, int winsVsBestGeneric, SoupRun soup) {}
}
