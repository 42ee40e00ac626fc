package org.soupofexperts.examples;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Comparator;
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
import org.soupofexperts.core.train.EarlyStopping;
import org.soupofexperts.core.train.ParamGroup;
import org.soupofexperts.core.train.TrainingPlan;
import org.soupofexperts.core.train.TrainingReport;
import org.soupofexperts.data.eval.Evaluation;
import org.soupofexperts.data.sample.InMemoryDomainSampler;
import org.soupofexperts.data.sample.MetaDistributions;
import org.soupofexperts.examples.PaperResults.DomainModel;
import org.soupofexperts.examples.PaperResults.FineTuned;
import org.soupofexperts.examples.PaperResults.FineTuning;
import org.soupofexperts.examples.experiment.Budget;
import org.soupofexperts.examples.experiment.Commands;
import org.soupofexperts.examples.experiment.ExperimentData;
import org.soupofexperts.examples.experiment.Parts;
import org.soupofexperts.examples.experiment.PlainRun;
import org.soupofexperts.examples.experiment.SoupRun;
import org.soupofexperts.examples.experiment.SoupScores;
import picocli.CommandLine.Command;

/**
 * The paper's comparison at one training budget (its Figures 4 and 5): generic pretraining,
 * domain experts (the budget split between domains), CRISP-style pretraining on a specialist's
 * histogram (for the first few domains), and a Soup-of-Experts, all trained by the same loop with
 * the same tokens, base size, optimizer and schedule; then the generic model and the soup's
 * specialist fine-tuned on small specialist sets with early stopping. Each finished part is kept
 * under {@code out/parts}, so an interrupted run picks up where it stopped. Writes results.md,
 * results.json ({@link PaperResults}) and PNG plots ({@link PaperReport}).
 */
@Command(
        name = "paper-experiment",
        mixinStandardHelpOptions = true,
        description =
                "Soup-of-Experts vs baselines at one budget, on a Pile-style corpus or the built-in synthetic one.")
public final class PaperExperiment extends PaperOptions implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(PaperExperiment.class);

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
        LOG.info("{} domains, base model {} ({} parameters)", data.k, model, model.parameterCount());

        Map<String, PlainRun> generics = new LinkedHashMap<>();
        for (double rate : learningRates()) {
            generics.put(genericPart(rate), generic(genericPart(rate), rate, steps));
        }
        String best = generics.entrySet().stream()
                .min(Comparator.comparingDouble(e -> e.getValue().specialized()))
                .orElseThrow()
                .getKey();
        PlainRun generic = generics.get(best);
        Map<String, DomainModel> domainExperts = new LinkedHashMap<>();
        for (int d = 0; d < data.k; d++) {
            String name = "expert-" + data.domains().get(d);
            domainExperts.put(
                    name, domainModel(name, seed + 1 + d, DomainWeights.oneHot(data.k, d), steps / data.k, d));
        }
        List<DomainModel> crisp = new ArrayList<>();
        for (int d = 0; d < Math.min(crispDomains, data.k); d++) {
            crisp.add(domainModel("crisp-" + data.domains().get(d), seed + 100 + d, data.hist[d], steps, d));
        }
        SoupRun soup = soup();
        PlainRun equal = equalTime
                ? generic("generic-equal-time", generic.lr(), (int)
                        Math.round(soup.seconds() / generic.seconds() * steps))
                : null;
        PaperResults results = new PaperResults(
                "PaperExperiment " + settings() + " --crisp-domains=" + crispDomains + " --finetune-domains="
                        + fineTuneDomains,
                model.toString(),
                model.parameterCount(),
                data.domains(),
                data.hist,
                generic,
                List.copyOf(generics.values()),
                equal,
                domainExperts,
                crisp,
                soup,
                fineTuning(best),
                soup.scores().winsAgainst(generic.perDomainBitsPerByte()),
                equal == null ? -1 : soup.scores().winsAgainst(equal.perDomainBitsPerByte()));
        PaperReport.write(out, results, steps, experts);
        return 0;
    }

    private List<Double> learningRates() {
        List<Double> rates = new ArrayList<>(List.of(lr));
        genericLrs.stream().filter(r -> !rates.contains(r)).forEach(rates::add);
        return rates;
    }

    private String genericPart(double rate) {
        return rate == lr ? "generic" : "generic-lr" + rate;
    }

    /** A generic model (plain, natural mixture) at {@code rate} for {@code n} steps, kept as part {@code name}. */
    private PlainRun generic(String name, double rate, int n) throws IOException {
        Optional<PlainRun> done = parts.getWithModel(name, PlainRun.class);
        if (done.isPresent()) {
            return done.get();
        }
        PlainRun g = PlainRun.generic(
                model, data, new Budget(batch, context, rate, seed), Math.max(1, n), evalWindows, parts.model(name));
        parts.put(name, g);
        return g;
    }

    /** A plain model trained on the fixed mixture h for {@code n} steps, scored on domain d (part {@code name}). */
    private DomainModel domainModel(String name, long modelSeed, double[] h, int n, int d) throws IOException {
        Optional<DomainModel> done = parts.get(name, DomainModel.class);
        if (done.isPresent()) {
            return done.get();
        }
        try (DenseModel m = DenseModel.create(model, modelSeed)) {
            TrainingReport r = m.train(budget.config(data.sampler, MetaDistributions.fixed(h), Math.max(1, n))
                    .build());
            DomainModel p = new DomainModel(
                    r.seconds(),
                    r.tokens(),
                    Evaluation.onValidation(m::loss, data.store, d, context, evalWindows)
                            .bitsPerByte());
            parts.put(name, p);
            return p;
        }
    }

    private SoupRun soup() throws IOException {
        Optional<SoupRun> done = parts.getWithModel("soup", SoupRun.class);
        if (done.isPresent()) {
            return done.get();
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
        TrainingPlan.Builder tc = budget.config(data.sampler, meta.over(data), steps)
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
            SoupRun p = SoupRun.of(soup, SoupScores.of(soup, data, context, evalWindows, true));
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
    private List<FineTuning> fineTuning(String genericPart) throws IOException {
        List<FineTuning> all = new ArrayList<>();
        for (int d = 0; d < Math.min(fineTuneDomains, data.k); d++) {
            String name = "finetune-" + data.domains().get(d);
            Optional<FineTuning> done = parts.get(name, FineTuning.class);
            if (done.isEmpty()) {
                FineTuned g;
                FineTuned s;
                try (DenseModel generic = DenseModel.load(parts.model(genericPart))) {
                    g = fineTune(generic, d);
                }
                try (SoupOfExperts soup = SoupOfExperts.load(parts.model("soup"));
                        Specialist specialist = soup.instantiate(data.hist[d])) {
                    s = fineTune(specialist, d);
                }
                done = Optional.of(new FineTuning(data.fineTuneTokens(d).length, g, s));
                parts.put(name, done.get());
            }
            all.add(done.get());
        }
        return all;
    }

    private FineTuned fineTune(DenseModel s, int d) {
        double before = Evaluation.onValidation(s::loss, data.store, d, context, evalWindows)
                .bitsPerByte();
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
        double[][] curve = r.validation().stream()
                .map(v -> new double[] {v.tokens(), v.loss()})
                .toArray(double[][]::new);
        return new FineTuned(
                before,
                Evaluation.onValidation(s::loss, data.store, d, context, evalWindows)
                        .bitsPerByte(),
                r.steps(),
                r.bestStep(),
                (long) r.bestStep() * batch * context,
                curve);
    }
}
