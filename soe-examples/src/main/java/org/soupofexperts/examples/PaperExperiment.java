package org.soupofexperts.examples;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.core.DenseModel;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.Specialist;
import org.soupofexperts.core.config.DomainWeights;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.config.RouterConfig;
import org.soupofexperts.core.config.SoupConfig;
import org.soupofexperts.core.io.Version;
import org.soupofexperts.core.train.EarlyStopping;
import org.soupofexperts.core.train.ParamGroup;
import org.soupofexperts.core.train.SoupTrainingConfig;
import org.soupofexperts.core.train.TrainingReport;
import org.soupofexperts.core.train.listener.SpecializationPoint;
import org.soupofexperts.data.eval.Evaluation;
import org.soupofexperts.data.sample.InMemoryDomainSampler;
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
 * The paper's comparison at one training budget (its Figures 4 and 5): generic pretraining,
 * domain experts (the budget split between domains), CRISP-style pretraining on a specialist's
 * histogram (for the first few domains), and a Soup-of-Experts, all trained by the same loop with
 * the same tokens, base size, optimizer and schedule; then the generic model and the soup's
 * specialist fine-tuned on small specialist sets with early stopping. Each finished part is kept
 * under {@code out/parts}, so an interrupted run picks up where it stopped. Writes results.md,
 * results.json and PNG plots.
 */
@Command(
        name = "paper-experiment",
        mixinStandardHelpOptions = true,
        description =
                "Soup-of-Experts vs baselines at one budget, on a Pile-style corpus or the built-in synthetic one.")
public final class PaperExperiment extends ExperimentCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(PaperExperiment.class);
    private static final Gson GSON =
            new GsonBuilder().serializeSpecialFloatingPointValues().create();

    @Option(
            names = "--out",
            defaultValue = "target/experiment",
            description = "output folder (default ${DEFAULT-VALUE})")
    Path out;

    @Option(
            names = "--steps",
            defaultValue = "600",
            description = "training steps of the generic model, of each CRISP model and of the soup")
    int steps;

    @Option(names = "--experts", defaultValue = "16")
    int experts;

    @Option(
            names = "--lr",
            defaultValue = "3e-3",
            description = "peak learning rate of every model (default ${DEFAULT-VALUE})")
    double lr;

    @Option(names = "--support", defaultValue = "0", description = "domains per h of the meta-distribution (0 = all)")
    int support;

    @Option(names = "--beta", defaultValue = "3.0", description = "Dirichlet concentration of the meta-distribution")
    double beta;

    @Option(
            names = "--natural-share",
            defaultValue = "0.25",
            description = "share of steps whose h is the natural mixture (the rest: sparse)")
    double naturalShare;

    @Option(
            names = "--crisp-domains",
            defaultValue = "2",
            description = "CRISP runs (one model each) for the first N domains")
    int crispDomains;

    @Option(
            names = "--finetune-domains",
            defaultValue = "3",
            description = "fine-tuning comparisons for the first N domains")
    int fineTuneDomains;

    @Option(names = "--finetune-docs", defaultValue = "20", description = "documents in each fine-tuning set")
    int fineTuneDocs;

    @Option(
            names = "--finetune-steps",
            defaultValue = "400",
            description = "most fine-tuning steps (early stopping may end sooner)")
    int fineTuneSteps;

    @Option(names = "--finetune-lr", defaultValue = "3e-4")
    double fineTuneLr;

    @Option(names = "--eval-windows", defaultValue = "64", description = "validation windows per domain")
    int evalWindows;

    @Option(
            names = "--h-per-step",
            defaultValue = "0",
            description = "domain weights per soup step m; 0 = one per sequence (default ${DEFAULT-VALUE})")
    int hPerStep;

    @Option(names = "--router", description = "router output RAW or SOFTMAX (default: the library's)")
    RouterConfig.Output router;

    @Option(names = "--expert-lr", description = "the experts' learning-rate scale (default: the library's)")
    Double expertLr;

    @Option(
            names = "--expert-update",
            defaultValue = "ADAM",
            description = "ADAM or SHARED_SECOND_MOMENT (default ${DEFAULT-VALUE})")
    SoupTrainingConfig.ExpertUpdate expertUpdate;

    @Option(
            names = "--generic-lrs",
            split = ",",
            description = "more learning rates for the generic model; the better one is the"
                    + " baseline (default: --lr only)")
    List<Double> genericLrs = new ArrayList<>();

    @Option(
            names = "--equal-time",
            description = "also train the generic model (at its better lr) for as long as the soup trained")
    boolean equalTime;

    @Option(
            names = "--probe-every",
            defaultValue = "0",
            description = "measure h matters every N soup steps (0: never)")
    int probeEvery;

    private Parts parts;
    private ExperimentData data;
    private ModelConfig model;
    private Budget budget;

    public static void main(String[] args) {
        Commands.exit(new PaperExperiment(), args);
    }

    @Override
    public Integer call() throws Exception {
        Files.createDirectories(out);
        data = ExperimentData.prepare(corpus, out, fineTuneDocs, 10);
        model = model(data.tokenizer.vocabSize());
        budget = new Budget(batch, context, lr, seed);
        parts = new Parts(out, settings());
        int k = data.k;
        LOG.info("{} domains, base model {} ({} parameters)", k, model, model.parameterCount());

        JsonObject generic = generic();
        List<JsonObject> experts = new ArrayList<>();
        for (int d = 0; d < k; d++) {
            experts.add(domainExpert(d));
        }
        List<JsonObject> crisp = new ArrayList<>();
        for (int d = 0; d < Math.min(crispDomains, k); d++) {
            crisp.add(crisp(d));
        }
        JsonObject soup = soup();
        JsonObject equal = equalTime
                ? genericRun("generic-equal-time", genericName(generic), equalTimeSteps(generic, soup))
                : null;
        List<JsonObject> fineTuning = fineTuning(genericName(generic));
        report(generic, equal, experts, crisp, soup, fineTuning);
        return 0;
    }

    /** The generic model at each learning rate; the one with the lower mean per-domain loss is the baseline. */
    private JsonObject generic() throws IOException {
        JsonObject best = genericRun("generic", lr, steps);
        best.addProperty("lr", lr);
        best.addProperty("part", "generic");
        JsonArray all = new JsonArray();
        all.add(summary(best));
        for (double glr : genericLrs) {
            if (glr == lr) {
                continue;
            }
            JsonObject g = genericRun("generic-lr" + glr, glr, steps);
            g.addProperty("lr", glr);
            g.addProperty("part", "generic-lr" + glr);
            all.add(summary(g));
            if (mean(g) < mean(best)) {
                best = g;
            }
        }
        best.add("allLearningRates", all);
        return best;
    }

    private static JsonObject summary(JsonObject g) {
        JsonObject o = new JsonObject();
        o.addProperty("lr", g.get("lr").getAsDouble());
        o.addProperty("specializedBitsPerByte", mean(g));
        o.addProperty("naturalBitsPerByte", g.get("naturalBitsPerByte").getAsDouble());
        o.addProperty("steps", g.has("steps") ? g.get("steps").getAsInt() : 0);
        o.addProperty("seconds", g.get("seconds").getAsDouble());
        return o;
    }

    private static double mean(JsonObject generic) {
        return Arrays.stream(SoupMeasures.doubles(generic, "perDomainBitsPerByte"))
                .average()
                .orElse(Double.NaN);
    }

    private static String genericName(JsonObject generic) {
        return generic.get("part").getAsString();
    }

    /** Steps of the generic model that fit in the soup's training time, at the generic model's measured step time. */
    private int equalTimeSteps(JsonObject generic, JsonObject soup) {
        double perStep = generic.get("seconds").getAsDouble() / steps;
        return Math.max(1, (int) Math.round(soup.get("seconds").getAsDouble() / perStep));
    }

    /**
     * A generic model (plain, natural mixture) at learning rate {@code rate} for {@code n} steps,
     * kept as part {@code name}.
     */
    private JsonObject genericRun(String name, double rate, int n) throws IOException {
        Optional<JsonObject> done = kept(name, true);
        if (done.isPresent()) {
            return done.get();
        }
        try (DenseModel g = DenseModel.create(model, seed)) {
            TrainingReport r = g.train(new Budget(batch, context, rate, seed)
                    .config(data.sampler, MetaDistributions.fixed(data.natural), n)
                    .build());
            Evaluation.Table t = Evaluation.table(g::loss, data.store, context, evalWindows);
            JsonObject p = new JsonObject();
            p.addProperty("lr", rate);
            p.addProperty("steps", n);
            p.addProperty("seconds", r.seconds());
            p.addProperty("tokens", r.tokens());
            p.add(
                    "perDomainBitsPerByte",
                    GSON.toJsonTree(t.perDomain().stream()
                            .mapToDouble(Evaluation.Loss::bitsPerByte)
                            .toArray()));
            p.addProperty("naturalBitsPerByte", t.natural().bitsPerByte());
            p.add("losses", GSON.toJsonTree(r.losses()));
            g.save(parts.model(name));
            parts.put(name, p);
            return p;
        }
    }

    /** A generic model for as long as the soup trained, at the better learning rate (kept as part {@code name}). */
    private JsonObject genericRun(String name, String bestPart, int n) throws IOException {
        return genericRun(name, parts.get(bestPart).orElseThrow().get("lr").getAsDouble(), n);
    }

    /** One model per domain, the budget's steps split evenly between the domains. */
    private JsonObject domainExpert(int d) throws IOException {
        return plainModel(
                "expert-" + data.domains().get(d),
                seed + 1 + d,
                DomainWeights.oneHot(data.k, d),
                Math.max(1, steps / data.k),
                d);
    }

    /** A full-budget model for one specialist, pretrained on the mixture given by its histogram. */
    private JsonObject crisp(int d) throws IOException {
        return plainModel("crisp-" + data.domains().get(d), seed + 100 + d, data.hist[d], steps, d);
    }

    /** A plain model trained on the fixed mixture h, scored on domain d (kept as part {@code name}). */
    private JsonObject plainModel(String name, long modelSeed, double[] h, int modelSteps, int d) throws IOException {
        Optional<JsonObject> done = kept(name, false);
        if (done.isPresent()) {
            return done.get();
        }
        try (DenseModel m = DenseModel.create(model, modelSeed)) {
            TrainingReport r = m.train(budget.config(data.sampler, MetaDistributions.fixed(h), modelSteps)
                    .build());
            JsonObject p = new JsonObject();
            p.addProperty("seconds", r.seconds());
            p.addProperty("tokens", r.tokens());
            p.addProperty(
                    "bitsPerByte",
                    Evaluation.onValidation(m::loss, data.store, d, context, evalWindows)
                            .bitsPerByte());
            parts.put(name, p);
            return p;
        }
    }

    private JsonObject soup() throws IOException {
        Optional<JsonObject> done = kept("soup", true);
        if (done.isPresent() && done.get().has("naturalPerDomainBitsPerByte")) {
            return done.get();
        }
        if (done.isPresent()) {
            // A part from before the specialisation diagnostics: add them from the saved soup.
            try (SoupOfExperts soup = SoupOfExperts.load(parts.model("soup"))) {
                JsonObject p = done.get();
                SoupMeasures.specialisation(soup, data, context, evalWindows, p);
                parts.put("soup", p);
                return p;
            }
        }
        SoupConfig.Builder sb = SoupConfig.builder()
                .model(model)
                .domains(data.k)
                .experts(experts)
                .seed(seed);
        if (router != null) {
            sb.router(RouterConfig.of(
                    RouterConfig.defaults().hidden(), RouterConfig.defaults().depth(), router));
        }
        SoupTrainingConfig.Builder tc = budget.config(
                        data.sampler,
                        SoupMeasures.meta(data, support == 0 ? data.k : support, beta, naturalShare),
                        steps)
                .hPerStep(hPerStep)
                .expertUpdate(expertUpdate);
        if (expertLr != null) {
            tc.learningRateScale(ParamGroup.EXPERTS, expertLr);
        }
        if (probeEvery > 0) {
            tc.specializationProbe(data.probe(context, 8, probeEvery));
        }
        try (SoupOfExperts soup = SoupOfExperts.create(sb.build())) {
            soup.train(tc.build());
            TrainingReport r = soup.lastReport();
            JsonArray curve = new JsonArray();
            for (SpecializationPoint sp : r.specialization()) {
                JsonObject o = new JsonObject();
                o.addProperty("step", sp.step());
                o.addProperty("hMattersNats", sp.hMatters());
                o.addProperty("alphaSpread", sp.alphaSpread());
                o.addProperty("expertCosine", sp.expertCosine());
                curve.add(o);
            }
            JsonObject p = SoupMeasures.measure(soup, data, context, evalWindows, true);
            SoupMeasures.specialisation(soup, data, context, evalWindows, p);
            p.addProperty("seconds", r.seconds());
            p.addProperty("tokens", r.tokens());
            p.addProperty("storedParameters", soup.parameterCount());
            p.add("losses", GSON.toJsonTree(r.losses()));
            p.add("specializationCurve", curve);
            soup.save(parts.model("soup"));
            parts.put("soup", p);
            return p;
        }
    }

    /**
     * The paper's Figure 5: the generic model and the soup's specialist (h from the histogram),
     * fine-tuned on the same small specialist set with the same batches, early-stopped on held-out
     * documents of that domain; the final loss is on the domain's evaluation split.
     */
    private List<JsonObject> fineTuning(String genericPart) throws IOException {
        List<JsonObject> all = new ArrayList<>();
        SoupOfExperts soup = null;
        try {
            for (int d = 0; d < Math.min(fineTuneDomains, data.k); d++) {
                String name = "finetune-" + data.domains().get(d);
                Optional<JsonObject> done = kept(name, false);
                if (done.isPresent()) {
                    all.add(done.get());
                    continue;
                }
                if (soup == null) {
                    soup = SoupOfExperts.load(parts.model("soup"));
                }
                JsonObject p = new JsonObject();
                try (DenseModel g = DenseModel.load(parts.model(genericPart))) {
                    p.add("generic", fineTune(g, d));
                }
                try (Specialist s = soup.instantiate(data.hist[d])) {
                    p.add("soup", fineTune(s, d));
                }
                p.addProperty("fineTuneTokens", data.fineTuneTokens(d).length);
                parts.put(name, p);
                all.add(p);
            }
        } finally {
            if (soup != null) {
                soup.close();
            }
        }
        return all;
    }

    private JsonObject fineTune(DenseModel s, int d) {
        JsonObject o = new JsonObject();
        o.addProperty(
                "beforeBitsPerByte",
                Evaluation.onValidation(s::loss, data.store, d, context, evalWindows)
                        .bitsPerByte());
        InMemoryDomainSampler set =
                new InMemoryDomainSampler(List.of(data.domains().get(d)), new int[][] {data.fineTuneTokens(d)});
        EarlyStopping es = EarlyStopping.builder()
                .validation(data.fineTuneValidation(d, context, 64, batch))
                .every(Math.max(1, fineTuneSteps / 16))
                .patience(3)
                .build();
        TrainingReport r = s.train(new Budget(batch, context, fineTuneLr, seed + 200 + d)
                .config(set, MetaDistributions.fixed(new double[] {1.0}), fineTuneSteps)
                .warmup(fineTuneSteps / 20)
                .earlyStopping(es)
                .build());
        JsonArray curve = new JsonArray();
        for (TrainingReport.ValidationPoint v : r.validation()) {
            curve.add(GSON.toJsonTree(new double[] {v.tokens(), v.loss()}));
        }
        o.add("validationCurve", curve);
        o.addProperty("steps", r.steps());
        o.addProperty("bestStep", r.bestStep());
        o.addProperty("bestTokens", (long) r.bestStep() * batch * context);
        o.addProperty(
                "afterBitsPerByte",
                Evaluation.onValidation(s::loss, data.store, d, context, evalWindows)
                        .bitsPerByte());
        return o;
    }

    /** A finished part, if it exists (and, when a later part needs it, its saved model too). */
    private Optional<JsonObject> kept(String name, boolean withModel) throws IOException {
        Optional<JsonObject> p = parts.get(name);
        if (p.isPresent() && (!withModel || Files.isDirectory(parts.model(name)))) {
            LOG.info("{}: kept from an earlier run in {}", name, out);
            return p;
        }
        return Optional.empty();
    }

    private void report(
            JsonObject generic,
            JsonObject equal,
            List<JsonObject> experts,
            List<JsonObject> crisp,
            JsonObject soup,
            List<JsonObject> fineTuning)
            throws IOException {
        int k = data.k;
        List<String> domains = data.domains();
        String[] columns = {
            "generic (lr " + generic.get("lr").getAsDouble() + ")",
            "domain expert",
            "CRISP (first " + crisp.size() + " domains)",
            "soup (histogram h)",
            "soup (one-hot h)",
            "soup (natural h)",
            "generic, soup's wall time"
        };
        double[][] table = new double[columns.length][k];
        table[0] = SoupMeasures.doubles(generic, "perDomainBitsPerByte");
        table[5] = SoupMeasures.doubles(soup, "naturalPerDomainBitsPerByte");
        if (equal != null) {
            table[6] = SoupMeasures.doubles(equal, "perDomainBitsPerByte");
        } else {
            Arrays.fill(table[6], Double.NaN);
        }
        for (int d = 0; d < k; d++) {
            table[1][d] = experts.get(d).get("bitsPerByte").getAsDouble();
            table[2][d] = d < crisp.size() ? crisp.get(d).get("bitsPerByte").getAsDouble() : Double.NaN;
        }
        table[3] = SoupMeasures.doubles(soup, "histogramBitsPerByte");
        table[4] = SoupMeasures.doubles(soup, "oneHotBitsPerByte");

        StringBuilder md = new StringBuilder(
                "| domain | " + String.join(" | ", columns) + " |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
        int wins = 0;
        for (int d = 0; d < k; d++) {
            md.append("| ").append(domains.get(d));
            for (double[] col : table) {
                md.append(" | ").append(Double.isNaN(col[d]) ? "-" : String.format("%.3f", col[d]));
            }
            md.append(" |\n");
            wins += table[3][d] < table[0][d] ? 1 : 0;
        }
        md.append("| **average**");
        double[] averages = new double[columns.length];
        for (int c = 0; c < columns.length; c++) {
            averages[c] = Arrays.stream(table[c])
                    .filter(v -> !Double.isNaN(v))
                    .average()
                    .orElse(Double.NaN);
            md.append(" | ").append(Double.isNaN(averages[c]) ? "-" : String.format("**%.3f**", averages[c]));
        }
        md.append(" |\n\n");
        if (!crisp.isEmpty()) {
            double g = 0;
            double c = 0;
            double so = 0;
            for (int d = 0; d < crisp.size(); d++) {
                g += table[0][d] / crisp.size();
                c += table[2][d] / crisp.size();
                so += table[3][d] / crisp.size();
            }
            md.append(String.format(
                    "On the %d domains with a CRISP model: generic %.3f, CRISP %.3f, soup %.3f bits/byte.%n%n",
                    crisp.size(), g, c, so));
        }
        double genericNatural = generic.get("naturalBitsPerByte").getAsDouble();
        double soupNatural = soup.get("naturalBitsPerByte").getAsDouble();
        md.append(String.format(
                "Specialized loss: the soup (histogram h) averages %.3f bits/byte against the generic model's %.3f (%+.1f%%),"
                        + " and beats it on %d of %d domains.%n%n",
                averages[3], averages[0], 100 * (averages[3] / averages[0] - 1), wins, k));
        double[] atNatural = SoupMeasures.doubles(soup, "naturalPerDomainBitsPerByte");
        double natAvg = Arrays.stream(atNatural).average().orElse(Double.NaN);
        md.append(String.format(
                "How much h matters: on each domain, the soup at the natural mixture averages %.3f against %.3f at the"
                        + " domain's histogram h (gain %.3f bits/byte); mean L1 distance between alpha(h_domain) and alpha(natural): %.3f.%n%n",
                natAvg,
                averages[3],
                natAvg - averages[3],
                soup.get("alphaL1FromNatural").getAsDouble()));
        md.append(String.format(
                "Generic loss (natural mixture): generic model %.3f, soup at natural h %.3f bits/byte (%+.1f%%).%n%n",
                genericNatural, soupNatural, 100 * (soupNatural / genericNatural - 1)));
        if (generic.has("allLearningRates")) {
            md.append(
                    "Generic model at each learning rate (the better one, by mean per-domain loss, is the baseline above):\n\n"
                            + "| lr | mean per-domain | natural | train s |\n|---:|---:|---:|---:|\n");
            for (JsonElement e : generic.getAsJsonArray("allLearningRates")) {
                JsonObject o = e.getAsJsonObject();
                md.append(String.format(
                        "| %s | %.3f | %.3f | %.0f |%n",
                        o.get("lr").getAsDouble(),
                        o.get("specializedBitsPerByte").getAsDouble(),
                        o.get("naturalBitsPerByte").getAsDouble(),
                        o.get("seconds").getAsDouble()));
            }
            md.append('\n');
        }
        int equalWins = 0;
        if (equal != null) {
            for (int d = 0; d < k; d++) {
                equalWins += table[3][d] < table[6][d] ? 1 : 0;
            }
            md.append(String.format(
                    "At equal wall time: the generic model trained %d steps (%.0f s, the soup's %d steps took %.0f s)"
                            + " and averages %.3f bits/byte (natural %.3f); the soup's specialists win on %d of %d domains.%n%n",
                    equal.get("steps").getAsInt(),
                    equal.get("seconds").getAsDouble(),
                    steps,
                    soup.get("seconds").getAsDouble(),
                    averages[6],
                    equal.get("naturalBitsPerByte").getAsDouble(),
                    equalWins,
                    k));
        }
        double expertSeconds = experts.stream()
                .mapToDouble(e -> e.get("seconds").getAsDouble())
                .sum();
        double crispSeconds = crisp.stream()
                .mapToDouble(e -> e.get("seconds").getAsDouble())
                .average()
                .orElse(Double.NaN);
        md.append(String.format(
                "Training time (2 cores): generic %.0f s, all %d domain experts %.0f s, CRISP %.0f s per specialist,"
                        + " soup %.0f s (%.2fx the generic run). Instantiating one specialist: %.1f ms (%s).%n%n",
                generic.get("seconds").getAsDouble(),
                k,
                expertSeconds,
                crispSeconds,
                soup.get("seconds").getAsDouble(),
                soup.get("seconds").getAsDouble() / generic.get("seconds").getAsDouble(),
                soup.get("instantiateMillis").getAsDouble(),
                soup.has("instantiateCalls")
                        ? "median of " + soup.get("instantiateCalls").getAsInt() + " calls"
                        : "one first call"));
        md.append(String.format(
                "Parameters: base model %d; soup stores %d (shared + %d experts + router).%n%n",
                model.parameterCount(), soup.get("storedParameters").getAsLong(), this.experts));

        Map<String, double[][]> ftCurves = new LinkedHashMap<>();
        if (!fineTuning.isEmpty()) {
            md.append(
                    "Fine-tuning (bits/byte on the evaluation split; early stopping on held-out documents of the specialist set):\n\n"
                            + "| domain | fine-tuning tokens | generic before | generic after | soup before | soup after | best step (generic / soup) |\n"
                            + "|---|---:|---:|---:|---:|---:|---:|\n");
            for (int d = 0; d < fineTuning.size(); d++) {
                JsonObject f = fineTuning.get(d);
                JsonObject g = f.getAsJsonObject("generic");
                JsonObject s = f.getAsJsonObject("soup");
                md.append(String.format(
                        "| %s | %d | %.3f | %.3f | %.3f | %.3f | %d / %d |%n",
                        domains.get(d),
                        f.get("fineTuneTokens").getAsLong(),
                        g.get("beforeBitsPerByte").getAsDouble(),
                        g.get("afterBitsPerByte").getAsDouble(),
                        s.get("beforeBitsPerByte").getAsDouble(),
                        s.get("afterBitsPerByte").getAsDouble(),
                        g.get("bestStep").getAsInt(),
                        s.get("bestStep").getAsInt()));
                ftCurves.put(domains.get(d) + ": generic", curve(g));
                ftCurves.put(domains.get(d) + ": soup", curve(s));
            }
            md.append('\n');
        }

        JsonObject json = new JsonObject();
        json.addProperty(
                "command",
                "PaperExperiment " + settings() + " --crisp-domains=" + crispDomains + " --finetune-domains="
                        + fineTuneDomains);
        json.addProperty("model", model.toString());
        json.addProperty("baseParameters", model.parameterCount());
        json.add("domains", GSON.toJsonTree(domains));
        json.add("h", GSON.toJsonTree(data.hist));
        json.add("generic", generic);
        if (equal != null) {
            json.add("genericEqualTime", equal);
            json.addProperty("soupWinsAtEqualTime", equalWins);
        }
        JsonObject byDomain = new JsonObject();
        for (int d = 0; d < k; d++) {
            byDomain.add(domains.get(d), experts.get(d));
        }
        json.add("domainExperts", byDomain);
        JsonArray crispArr = new JsonArray();
        crisp.forEach(crispArr::add);
        json.add("crisp", crispArr);
        json.add("soup", soup);
        JsonArray ftArr = new JsonArray();
        fineTuning.forEach(ftArr::add);
        json.add("fineTuning", ftArr);
        json.addProperty("soupWins", wins);

        Parts.write(out.resolve("results.md"), md.toString());
        Parts.write(
                out.resolve("results.json"),
                new GsonBuilder()
                        .setPrettyPrinting()
                        .serializeSpecialFloatingPointValues()
                        .create()
                        .toJson(json));
        Map<String, double[]> bars = new LinkedHashMap<>();
        bars.put(columns[0], table[0]);
        bars.put(columns[1], table[1]);
        bars.put(columns[3], table[3]);
        Charts.bars(out.resolve("per-domain.png"), "Held-out bits per byte by domain", "bits per byte", domains, bars);
        Map<String, float[]> curves = new LinkedHashMap<>();
        curves.put("generic", SoupMeasures.floats(generic, "losses"));
        curves.put("soup (loss at the sampled h)", SoupMeasures.floats(soup, "losses"));
        Charts.trainingCurves(out.resolve("training-curves.png"), curves, 25);
        JsonArray spec = soup.has("specializationCurve") ? soup.getAsJsonArray("specializationCurve") : new JsonArray();
        if (spec.size() > 1) {
            double[][] xy = new double[2][spec.size()];
            for (int i = 0; i < spec.size(); i++) {
                xy[0][i] = spec.get(i).getAsJsonObject().get("step").getAsDouble();
                xy[1][i] = spec.get(i).getAsJsonObject().get("hMattersNats").getAsDouble();
            }
            Charts.lines(
                    out.resolve("h-matters.png"),
                    "How much h matters during training (held-out windows)",
                    "step",
                    "loss at natural h minus at own h (nats/token)",
                    Map.of("soup", xy),
                    false);
        }
        if (!ftCurves.isEmpty()) {
            Charts.lines(
                    out.resolve("fine-tuning.png"),
                    "Fine-tuning: held-out loss of the specialist set",
                    "fine-tuning tokens",
                    "nats per token",
                    ftCurves,
                    true);
        }
        LOG.info("results:\n{}", md);
        LOG.info("wrote {}", out.toAbsolutePath());
    }

    private static double[][] curve(JsonObject run) {
        JsonArray c = run.getAsJsonArray("validationCurve");
        double[][] xy = new double[2][c.size()];
        for (int i = 0; i < c.size(); i++) {
            xy[0][i] = c.get(i).getAsJsonArray().get(0).getAsDouble();
            xy[1][i] = c.get(i).getAsJsonArray().get(1).getAsDouble();
        }
        return xy;
    }

    /** What every kept part depends on (--crisp-domains and --finetune-domains only add parts). */
    private String settings() {
        return String.join(
                " ",
                "--corpus=" + corpusName(),
                "--steps=" + steps,
                "--batch=" + batch,
                "--context=" + context,
                "--layers=" + layers,
                "--width=" + width,
                "--experts=" + experts,
                "--lr=" + lr,
                "--support=" + support,
                "--beta=" + beta,
                "--natural-share=" + naturalShare,
                "--finetune-docs=" + fineTuneDocs,
                "--finetune-steps=" + fineTuneSteps,
                "--finetune-lr=" + fineTuneLr,
                "--eval-windows=" + evalWindows,
                "--seed=" + seed,
                "--h-per-step=" + hPerStep,
                "--router=" + (router == null ? "default" : router),
                "--expert-lr=" + (expertLr == null ? "default" : expertLr),
                "--expert-update=" + expertUpdate,
                // What the library decides by default changes between versions: parts of another version are not
                // reused.
                "(library " + Version.get() + ", router " + RouterConfig.defaults() + ", expert lr scale "
                        + SoupTrainingConfig.defaultExpertLearningRateScale(experts) + ")");
    }
}
