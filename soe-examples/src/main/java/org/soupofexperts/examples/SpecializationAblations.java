package org.soupofexperts.examples;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
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
import org.soupofexperts.core.train.SoupTrainingConfig;
import org.soupofexperts.data.sample.MetaDistributions;
import org.soupofexperts.examples.experiment.Budget;
import org.soupofexperts.examples.experiment.Charts;
import org.soupofexperts.examples.experiment.Commands;
import org.soupofexperts.examples.experiment.ExperimentCommand;
import org.soupofexperts.examples.experiment.ExperimentData;
import org.soupofexperts.examples.experiment.Parts;
import org.soupofexperts.examples.experiment.SoupMeasures;
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
    List<SoupTrainingConfig.MomentPrecision> bankMoments;

    /** One soup of the ablation. {@code m = 0}: one h per sequence. */
    record Variant(
            String name,
            int m,
            RouterConfig.Output output,
            String meta,
            double naturalShare,
            double expertLr,
            SoupTrainingConfig.ExpertUpdate update,
            boolean bf16Moments) {

        Variant(
                String name,
                int m,
                RouterConfig.Output output,
                String meta,
                double naturalShare,
                double expertLr,
                SoupTrainingConfig.ExpertUpdate update) {
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
        SoupTrainingConfig.ExpertUpdate adam = SoupTrainingConfig.ExpertUpdate.ADAM;
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
                        SoupTrainingConfig.ExpertUpdate.SHARED_SECOND_MOMENT),
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
                    SoupTrainingConfig.ExpertUpdate.ADAM));
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
                        "--corpus=" + corpusName(),
                        "--steps=" + steps,
                        "--batch=" + batch,
                        "--context=" + context,
                        "--layers=" + layers,
                        "--width=" + width,
                        "--lr=" + lr,
                        "--experts=" + experts,
                        "--eval-windows=" + evalWindows,
                        "--seed=" + seed,
                        "(library " + Version.get() + ")"));
        LOG.info("{} domains, base model {} ({} parameters)", data.k, model, model.parameterCount());

        Map<Double, JsonObject> generics = new LinkedHashMap<>();
        for (double glr : genericLrs) {
            String key = "generic-lr" + glr;
            JsonObject g = parts.get(key).orElse(null);
            if (g == null) {
                g = SoupMeasures.genericModel(model, data, new Budget(batch, context, glr, seed), steps, evalWindows);
                parts.put(key, g);
            }
            generics.put(glr, g);
        }
        JsonObject bestGeneric = generics.values().stream()
                .min((a, b) -> Double.compare(
                        a.get("specializedBitsPerByte").getAsDouble(),
                        b.get("specializedBitsPerByte").getAsDouble()))
                .orElseThrow();

        Map<Variant, JsonObject> results = new LinkedHashMap<>();
        List<Variant> variants = new ArrayList<>();
        for (Variant listed : groups == null ? variants(experts) : groupVariants(groups, batch)) {
            for (SoupTrainingConfig.MomentPrecision p : bankMoments) {
                variants.add(p == SoupTrainingConfig.MomentPrecision.BFLOAT16 ? listed.halfMoments() : listed);
            }
        }
        for (Variant v : variants) {
            if (only != null && !only.contains(v.key())) {
                continue;
            }
            JsonObject p = parts.get(v.key()).orElse(null);
            if (p == null) {
                LOG.info("ablation {} ({})", v.name(), v.key());
                p = run(v, model, data);
                parts.put(v.key(), p);
            }
            results.put(v, p);
        }
        report(model, data, generics, bestGeneric, results);
        return 0;
    }

    private JsonObject run(Variant v, ModelConfig model, ExperimentData data) {
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
        SoupTrainingConfig tc = new Budget(batch, context, lr, seed)
                .config(data.sampler, pi, steps)
                .hPerStep(v.m() == 0 ? SoupTrainingConfig.PER_SEQUENCE : v.m())
                .learningRateScale(ParamGroup.EXPERTS, v.expertLr())
                .expertUpdate(v.update())
                .bankMoments(
                        v.bf16Moments()
                                ? SoupTrainingConfig.MomentPrecision.BFLOAT16
                                : SoupTrainingConfig.MomentPrecision.FLOAT32)
                .build();
        try (SoupOfExperts soup = SoupOfExperts.create(config)) {
            soup.train(tc);
            JsonObject p = SoupMeasures.measure(soup, data, context, evalWindows, true);
            SoupMeasures.specialisation(soup, data, context, evalWindows, p);
            p.addProperty("seconds", soup.lastReport().seconds());
            p.addProperty("storedParameters", soup.parameterCount());
            return p;
        }
    }

    private void report(
            ModelConfig model,
            ExperimentData data,
            Map<Double, JsonObject> generics,
            JsonObject bestGeneric,
            Map<Variant, JsonObject> results)
            throws IOException {
        double[] bestPerDomain = SoupMeasures.doubles(bestGeneric, "perDomainBitsPerByte");
        double bestNatural = bestGeneric.get("naturalBitsPerByte").getAsDouble();
        StringBuilder md = new StringBuilder();
        md.append(String.format(
                "Base model: %s (%d parameters); %d steps of %d x %d tokens; n = %d; soups at lr %s; seed %d."
                        + " Losses in bits/byte on the validation split, %d windows per domain.%n%n",
                model, model.parameterCount(), steps, batch, context, experts, lr, seed, evalWindows));
        md.append(
                "| model | specialized (histogram h) | one-hot h | generic (natural h) | h matters | domains won vs best generic | generic vs best generic | train s |\n"
                        + "|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Map.Entry<Double, JsonObject> g : generics.entrySet()) {
            JsonObject o = g.getValue();
            md.append(String.format(
                    "| generic, lr %s | %.3f | - | %.3f | 0 | - | %+.1f%% | %.0f |%n",
                    g.getKey(),
                    o.get("specializedBitsPerByte").getAsDouble(),
                    o.get("naturalBitsPerByte").getAsDouble(),
                    100 * (o.get("naturalBitsPerByte").getAsDouble() / bestNatural - 1),
                    o.get("seconds").getAsDouble()));
        }
        JsonArray rows = new JsonArray();
        Map<String, double[][]> plot = new LinkedHashMap<>();
        for (Map.Entry<Variant, JsonObject> e : results.entrySet()) {
            Variant v = e.getKey();
            JsonObject p = e.getValue();
            double[] hist = SoupMeasures.doubles(p, "histogramBitsPerByte");
            double[] hot = SoupMeasures.doubles(p, "oneHotBitsPerByte");
            double[] atNatural = SoupMeasures.doubles(p, "naturalPerDomainBitsPerByte");
            int wins = 0;
            double matters = 0;
            for (int d = 0; d < data.k; d++) {
                wins += hist[d] < bestPerDomain[d] ? 1 : 0;
                matters += (atNatural[d] - hist[d]) / data.k;
            }
            double specialized = p.get("specializedBitsPerByte").getAsDouble();
            double natural = p.get("naturalBitsPerByte").getAsDouble();
            md.append(String.format(
                    "| %s | %.3f | %.3f | %.3f | %.3f | %d/%d | %+.1f%% | %.0f |%n",
                    v.name(),
                    specialized,
                    Arrays.stream(hot).average().orElse(Double.NaN),
                    natural,
                    matters,
                    wins,
                    data.k,
                    100 * (natural / bestNatural - 1),
                    p.get("seconds").getAsDouble()));
            JsonObject row = p.deepCopy();
            row.addProperty("variant", v.name());
            row.addProperty("key", v.key());
            row.addProperty("hMatters", matters);
            row.addProperty("winsVsBestGeneric", wins);
            rows.add(row);
            plot.put(v.name(), new double[][] {{natural}, {specialized}});
        }
        for (Map.Entry<Double, JsonObject> g : generics.entrySet()) {
            plot.put("generic, lr " + g.getKey(), new double[][] {
                {g.getValue().get("naturalBitsPerByte").getAsDouble()},
                {g.getValue().get("specializedBitsPerByte").getAsDouble()}
            });
        }
        JsonObject json = new JsonObject();
        json.add("generic", new GsonBuilder().create().toJsonTree(generics));
        json.add("domains", new GsonBuilder().create().toJsonTree(data.domains()));
        json.add("soups", rows);
        Parts.write(out.resolve("ablations.md"), md.toString());
        Parts.write(
                out.resolve("ablations.json"),
                new GsonBuilder()
                        .setPrettyPrinting()
                        .serializeSpecialFloatingPointValues()
                        .create()
                        .toJson(json));
        Charts.lines(
                out.resolve("ablations.png"),
                "Specialization ablations: specialized vs generic loss",
                "generic loss (bits/byte)",
                "specialized loss (bits/byte)",
                plot,
                true);
        LOG.info("specialization ablations:\n{}", md);
    }
}
