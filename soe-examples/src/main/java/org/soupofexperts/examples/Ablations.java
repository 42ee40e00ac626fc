package org.soupofexperts.examples;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.core.ModelConfig;
import org.soupofexperts.core.SoupConfig;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.Specialist;
import org.soupofexperts.core.train.TrainingReport;
import org.soupofexperts.data.eval.Evaluation;
import org.soupofexperts.data.sample.MetaDistributions;
import org.soupofexperts.examples.experiment.Budget;
import org.soupofexperts.examples.experiment.Charts;
import org.soupofexperts.examples.experiment.ExperimentData;
import org.soupofexperts.examples.experiment.Parts;
import org.soupofexperts.examples.experiment.SoupMeasures;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * The paper's two ablations at a small budget: the number of experts n, and the
 * meta-distribution (support size s, Dirichlet concentration beta, share of natural-mixture
 * steps). Every soup is trained by the same loop, budget and seed as a generic model of the same
 * base size, and reported as specialized loss (average over domains at the histogram h) and
 * generic loss (at the natural mixture). Finished runs are kept under {@code out/parts}.
 */
@Command(name = "ablations", mixinStandardHelpOptions = true,
        description = "Ablations over the number of experts and the meta-distribution.")
public final class Ablations implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(Ablations.class);

    @Option(names = "--corpus", description = "Pile-style train JSONL (.gz/.zst); default: the built-in synthetic corpus")
    Path corpus;

    @Option(names = "--out", defaultValue = "target/ablations", description = "output folder (default ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--steps", defaultValue = "1000")
    int steps;

    @Option(names = "--batch", defaultValue = "16")
    int batch;

    @Option(names = "--context", defaultValue = "128")
    int context;

    @Option(names = "--layers", defaultValue = "2")
    int layers;

    @Option(names = "--width", defaultValue = "128")
    int width;

    @Option(names = "--lr", defaultValue = "1e-3")
    double lr;

    @Option(names = "--experts", split = ",", defaultValue = "4,16,64", description = "values of n (at s=4, beta=1)")
    List<Integer> expertCounts;

    @Option(names = "--base-experts", defaultValue = "16", description = "n of the meta-distribution ablation")
    int baseExperts;

    @Option(names = "--eval-windows", defaultValue = "32")
    int evalWindows;

    @Option(names = "--seed", defaultValue = "1")
    long seed;

    /** One soup of the ablation. */
    record Variant(String name, int experts, int support, double beta, double naturalShare) {}

    public static void main(String[] args) {
        System.exit(new CommandLine(new Ablations())
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    LOG.error("failed", e);
                    cmd.getErr().println("error: " + e.getMessage());
                    return 2;
                })
                .execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Files.createDirectories(out);
        ExperimentData data = ExperimentData.prepare(corpus, out, 0, 0);
        ModelConfig model = ModelConfig.builder().vocabSize(data.tokenizer.vocabSize()).layers(layers).dModel(width)
                .heads(Math.max(1, width / 32)).contextLength(context).build();
        Budget budget = new Budget(batch, context, lr, seed);
        Parts parts = new Parts(out, String.join(" ", "--corpus=" + (corpus == null ? "synthetic" : corpus), "--steps=" + steps,
                "--batch=" + batch, "--context=" + context, "--layers=" + layers, "--width=" + width, "--lr=" + lr,
                "--eval-windows=" + evalWindows, "--seed=" + seed));
        int k = data.k;

        JsonObject generic = parts.get("generic").orElse(null);
        if (generic == null) {
            try (Specialist g = Specialist.create(model, seed)) {
                TrainingReport r = g.train(budget.config(data.sampler, MetaDistributions.fixed(data.natural), steps).build());
                Evaluation.Table t = Evaluation.table(g::loss, data.store, context, evalWindows);
                generic = new JsonObject();
                generic.addProperty("seconds", r.seconds());
                generic.addProperty("naturalBitsPerByte", t.natural().bitsPerByte());
                generic.addProperty("specializedBitsPerByte",
                        t.perDomain().stream().mapToDouble(Evaluation.Loss::bitsPerByte).average().orElse(Double.NaN));
                parts.put("generic", generic);
            }
        }

        List<Variant> nAblation = new ArrayList<>();
        for (int n : expertCounts) {
            nAblation.add(new Variant("n=" + n, n, 4, 1.0, 0.25));
        }
        int b = baseExperts;
        List<Variant> metaAblation = List.of(
                new Variant("s=1", b, 1, 1.0, 0.25),
                new Variant("s=4", b, 4, 1.0, 0.25),
                new Variant("s=all, beta=1", b, k, 1.0, 0.25),
                new Variant("s=all, beta=0.3", b, k, 0.3, 0.25),
                new Variant("s=all, beta=3", b, k, 3.0, 0.25),
                new Variant("s=4, no natural steps", b, 4, 1.0, 0.0));
        Map<String, JsonObject> results = new LinkedHashMap<>();
        for (Variant v : concat(nAblation, metaAblation)) {
            String key = String.format("soup-n%d-s%d-beta%s-nat%s", v.experts, v.support, v.beta, v.naturalShare);
            if (results.containsKey(key)) {
                continue;
            }
            Optional<JsonObject> done = parts.get(key);
            if (done.isPresent()) {
                results.put(key, done.get());
                continue;
            }
            LOG.info("ablation {}", v);
            SoupConfig config = SoupConfig.builder().model(model).domains(k).experts(v.experts).seed(seed).build();
            try (SoupOfExperts soup = SoupOfExperts.train(config,
                    budget.config(data.sampler, SoupMeasures.meta(data, v.support, v.beta, v.naturalShare), steps).build())) {
                JsonObject p = SoupMeasures.measure(soup, data, context, evalWindows, false);
                p.addProperty("seconds", soup.lastReport().seconds());
                p.addProperty("storedParameters", soup.parameterCount());
                parts.put(key, p);
                results.put(key, p);
            }
        }

        StringBuilder md = new StringBuilder();
        md.append(String.format("Base model: %s (%d parameters); %d steps of %d x %d tokens; seed %d.%n%n", model,
                model.parameterCount(), steps, batch, context, seed));
        md.append(String.format("Generic model (same budget): specialized %.3f, generic %.3f bits/byte, %.0f s.%n%n",
                generic.get("specializedBitsPerByte").getAsDouble(), generic.get("naturalBitsPerByte").getAsDouble(),
                generic.get("seconds").getAsDouble()));
        JsonObject json = new JsonObject();
        json.add("generic", generic);
        Map<String, double[][]> plot = new LinkedHashMap<>();
        table(md, json, plot, "Number of experts (s=4, beta=1, natural share 0.25)", nAblation, results, generic);
        table(md, json, plot, "Meta-distribution (n=" + b + ")", metaAblation, results, generic);
        Parts.write(out.resolve("ablations.md"), md.toString());
        Parts.write(out.resolve("ablations.json"), new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues()
                .create().toJson(json));
        Charts.lines(out.resolve("ablations.png"), "Ablations: specialized vs generic loss", "generic loss (bits/byte)",
                "specialized loss (bits/byte)", plot, true);
        LOG.info("ablations:\n{}", md);
        return 0;
    }

    private static void table(StringBuilder md, JsonObject json, Map<String, double[][]> plot, String title, List<Variant> variants,
            Map<String, JsonObject> results, JsonObject generic) {
        md.append("### ").append(title).append("\n\n| variant | specialized | generic | stored parameters | train s |\n"
                + "|---|---:|---:|---:|---:|\n");
        JsonArray arr = new JsonArray();
        for (Variant v : variants) {
            JsonObject p = results.get(String.format("soup-n%d-s%d-beta%s-nat%s", v.experts, v.support, v.beta, v.naturalShare));
            md.append(String.format("| %s | %.3f | %.3f | %d | %.0f |%n", v.name, p.get("specializedBitsPerByte").getAsDouble(),
                    p.get("naturalBitsPerByte").getAsDouble(), p.get("storedParameters").getAsLong(), p.get("seconds").getAsDouble()));
            JsonObject row = p.deepCopy();
            row.addProperty("variant", v.name);
            arr.add(row);
            plot.put(v.name, new double[][] {{p.get("naturalBitsPerByte").getAsDouble()}, {p.get("specializedBitsPerByte").getAsDouble()}});
        }
        md.append('\n');
        json.add(title, arr);
        plot.putIfAbsent("generic model", new double[][] {{generic.get("naturalBitsPerByte").getAsDouble()},
                {generic.get("specializedBitsPerByte").getAsDouble()}});
    }

    private static List<Variant> concat(List<Variant> a, List<Variant> b) {
        List<Variant> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
