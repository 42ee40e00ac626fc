package org.soupofexperts.examples;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.core.DomainWeights;
import org.soupofexperts.core.ModelConfig;
import org.soupofexperts.core.SoupConfig;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.Specialist;
import org.soupofexperts.core.train.MetaDistribution;
import org.soupofexperts.core.train.TrainingConfig;
import org.soupofexperts.core.train.TrainingReport;
import org.soupofexperts.data.cluster.Centroids;
import org.soupofexperts.data.cluster.NearestCentroidAssigner;
import org.soupofexperts.data.corpus.Corpus;
import org.soupofexperts.data.corpus.JsonlCorpus;
import org.soupofexperts.data.embed.HashedNgramEmbedder;
import org.soupofexperts.data.eval.Evaluation;
import org.soupofexperts.data.sample.MetaDistributions;
import org.soupofexperts.data.sample.WindowSampler;
import org.soupofexperts.data.store.TokenStore;
import org.soupofexperts.data.synth.SyntheticCorpus;
import org.soupofexperts.data.tokenize.ByteTokenizer;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * The paper's comparison at one training budget (its Figure 4): generic pretraining, domain
 * experts (the budget split between domains), CRISP-style pretraining on a specialist's histogram
 * (for the first few domains), and a Soup-of-Experts, all trained by the same loop with the same
 * tokens, base size, optimizer and schedule. Writes results.md, results.json, and PNG plots.
 */
@Command(name = "paper-experiment", mixinStandardHelpOptions = true,
        description = "Soup-of-Experts vs baselines at one budget, on a Pile-style corpus or the built-in synthetic one.")
public final class PaperExperiment implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(PaperExperiment.class);

    @Option(names = "--corpus", description = "Pile-style train JSONL (.gz/.zst); default: the built-in synthetic corpus")
    Path corpus;

    @Option(names = "--out", defaultValue = "target/experiment", description = "output folder (default ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--steps", defaultValue = "600", description = "training steps of the generic model and of the soup")
    int steps;

    @Option(names = "--batch", defaultValue = "16")
    int batch;

    @Option(names = "--context", defaultValue = "128")
    int context;

    @Option(names = "--layers", defaultValue = "2")
    int layers;

    @Option(names = "--width", defaultValue = "128")
    int width;

    @Option(names = "--experts", defaultValue = "8")
    int experts;

    @Option(names = "--lr", defaultValue = "1e-3")
    double lr;

    @Option(names = "--support", defaultValue = "4", description = "domains per h of the sparse meta-distribution")
    int support;

    @Option(names = "--beta", defaultValue = "1.0", description = "Dirichlet concentration of the meta-distribution")
    double beta;

    @Option(names = "--natural-share", defaultValue = "0.25",
            description = "share of steps whose h is the natural mixture (the rest: sparse)")
    double naturalShare;

    @Option(names = "--crisp-domains", defaultValue = "2", description = "CRISP runs (one model each) for the first N domains")
    int crispDomains;

    @Option(names = "--eval-windows", defaultValue = "64", description = "validation windows per domain")
    int evalWindows;

    @Option(names = "--seed", defaultValue = "1")
    long seed;

    public static void main(String[] args) {
        System.exit(new CommandLine(new PaperExperiment()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Files.createDirectories(out);
        ByteTokenizer tok = new ByteTokenizer();
        Corpus source = corpus == null
                ? new SyntheticCorpus(6, 400, 2025).asCorpus(300, 200)
                : JsonlCorpus.builder().file(corpus).build();
        TokenStore store = TokenStore.openOrBuild(out.resolve("token-store"), source, tok, TokenStore.Options.defaults());
        WindowSampler sampler = store.trainSampler();
        int k = store.domains().size();
        long[] sizes = sampler.sizes();
        double[] natural = MetaDistributions.natural(sizes).sample(null);
        ModelConfig model = ModelConfig.builder().vocabSize(tok.vocabSize()).layers(layers).dModel(width)
                .heads(Math.max(1, width / 32)).contextLength(context).build();
        LOG.info("{} domains, base model {}", k, model);

        // Domain weights of each domain's specialist set (Algorithm 3), from training documents only.
        List<String> docs = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int d = 0; d < k; d++) {
            for (String s : Evaluation.trainingDocuments(store, tok, d, 200)) {
                docs.add(s);
                labels.add(d);
            }
        }
        HashedNgramEmbedder emb = HashedNgramEmbedder.defaults().fitIdf(docs);
        Centroids centroids = Centroids.ofLabels(emb.embed(docs), labels.stream().mapToInt(Integer::intValue).toArray(), k, emb.id());
        NearestCentroidAssigner assigner = new NearestCentroidAssigner(emb, centroids, 0.0);
        double[][] hist = new double[k][];
        for (int d = 0; d < k; d++) {
            // Specialist sets: training documents 200.. of the domain (not those the centroids saw).
            List<String> set = Evaluation.trainingDocuments(store, tok, d, 300);
            hist[d] = assigner.domainWeights(set.size() > 200 ? set.subList(200, set.size()) : set);
        }

        JsonObject json = new JsonObject();
        json.addProperty("command", "PaperExperiment " + String.join(" ", describeArgs()));
        json.addProperty("model", model.toString());
        json.add("domains", new GsonBuilder().create().toJsonTree(store.domains()));
        JsonObject costs = new JsonObject();
        double[][] table = new double[k][5]; // generic, domain expert, CRISP, soup (histogram), soup (one-hot)
        for (double[] row : table) {
            java.util.Arrays.fill(row, Double.NaN);
        }
        List<float[]> curves = new ArrayList<>();
        List<String> curveNames = new ArrayList<>();

        // 1. Generic pretraining on the natural mixture.
        long t0 = System.nanoTime();
        Evaluation.Table genericTable;
        try (Specialist generic = Specialist.create(model, seed)) {
            TrainingReport r = generic.train(config(sampler, MetaDistributions.fixed(natural), steps));
            curves.add(r.losses());
            curveNames.add("generic");
            costs.addProperty("genericSeconds", secondsSince(t0));
            genericTable = Evaluation.table(generic::loss, store, context, evalWindows);
            for (int d = 0; d < k; d++) {
                table[d][0] = genericTable.perDomain().get(d).bitsPerByte();
            }
        }

        // 2. Domain experts: the same total steps split between domains.
        t0 = System.nanoTime();
        int perDomain = Math.max(1, steps / k);
        for (int d = 0; d < k; d++) {
            try (Specialist expert = Specialist.create(model, seed + 1 + d)) {
                expert.train(config(sampler, MetaDistributions.fixed(DomainWeights.oneHot(k, d)), perDomain));
                table[d][1] = Evaluation.onValidation(expert::loss, store, d, context, evalWindows).bitsPerByte();
            }
        }
        costs.addProperty("domainExpertsSeconds", secondsSince(t0));

        // 3. CRISP: one full-budget model per specialist, pretrained on its histogram.
        t0 = System.nanoTime();
        for (int d = 0; d < Math.min(crispDomains, k); d++) {
            try (Specialist crisp = Specialist.create(model, seed + 100 + d)) {
                crisp.train(config(sampler, MetaDistributions.fixed(hist[d]), steps));
                table[d][2] = Evaluation.onValidation(crisp::loss, store, d, context, evalWindows).bitsPerByte();
            }
        }
        costs.addProperty("crispSecondsEach", Math.min(crispDomains, k) == 0 ? 0 : secondsSince(t0) / Math.min(crispDomains, k));

        // 4. The soup.
        t0 = System.nanoTime();
        MetaDistribution pi = MetaDistributions.mixture(MetaDistributions.fixed(natural),
                MetaDistributions.sparse(k, Math.min(support, k), beta), naturalShare);
        SoupConfig soupConfig = SoupConfig.builder().model(model).domains(k).experts(experts).seed(seed).build();
        double soupGeneric;
        double instantiateMs;
        try (SoupOfExperts soup = SoupOfExperts.train(soupConfig, config(sampler, pi, steps))) {
            costs.addProperty("soupSeconds", secondsSince(t0));
            curves.add(soup.lastReport().losses());
            curveNames.add("soup");
            long i0 = System.nanoTime();
            try (Specialist s = soup.instantiate(natural)) {
                instantiateMs = (System.nanoTime() - i0) / 1e6;
                soupGeneric = Evaluation.table(s::loss, store, context, evalWindows).natural().bitsPerByte();
            }
            for (int d = 0; d < k; d++) {
                try (Specialist s = soup.instantiate(hist[d])) {
                    table[d][3] = Evaluation.onValidation(s::loss, store, d, context, evalWindows).bitsPerByte();
                }
                try (Specialist s = soup.instantiate(DomainWeights.oneHot(k, d))) {
                    table[d][4] = Evaluation.onValidation(s::loss, store, d, context, evalWindows).bitsPerByte();
                }
            }
        }
        costs.addProperty("instantiateMillis", instantiateMs);
        json.add("costs", costs);
        json.addProperty("genericModelNaturalBitsPerByte", genericTable.natural().bitsPerByte());
        json.addProperty("soupNaturalBitsPerByte", soupGeneric);

        String[] columns = {"generic", "domain expert", "CRISP", "soup (histogram h)", "soup (one-hot h)"};
        JsonArray rows = new JsonArray();
        StringBuilder md = new StringBuilder("| domain | " + String.join(" | ", columns) + " |\n|---|---:|---:|---:|---:|---:|\n");
        double[] sum = new double[5];
        int[] count = new int[5];
        int soupWins = 0;
        for (int d = 0; d < k; d++) {
            JsonObject row = new JsonObject();
            row.addProperty("domain", store.domains().get(d));
            md.append("| ").append(store.domains().get(d));
            for (int c = 0; c < 5; c++) {
                double v = table[d][c];
                md.append(" | ").append(Double.isNaN(v) ? "-" : String.format("%.3f", v));
                if (!Double.isNaN(v)) {
                    row.addProperty(columns[c], v);
                    sum[c] += v;
                    count[c]++;
                }
            }
            md.append(" |\n");
            row.add("h", new GsonBuilder().create().toJsonTree(hist[d]));
            rows.add(row);
            soupWins += table[d][3] < table[d][0] ? 1 : 0;
        }
        md.append("| **average**");
        for (int c = 0; c < 5; c++) {
            md.append(" | ").append(count[c] == 0 ? "-" : String.format("**%.3f**", sum[c] / count[c]));
        }
        md.append(" |\n\n");
        md.append(String.format("Soup (histogram h) beats the generic model on %d of %d domains.%n", soupWins, k));
        md.append(String.format("Loss on the natural mixture: generic model %.3f, soup at natural h %.3f bits/byte (%+.1f%%).%n",
                genericTable.natural().bitsPerByte(), soupGeneric,
                100 * (soupGeneric / genericTable.natural().bitsPerByte() - 1)));
        md.append(String.format("Costs: generic %.0f s, domain experts %.0f s in all, CRISP %.0f s per specialist, soup %.0f s;"
                        + " instantiating one specialist %.1f ms.%n",
                costs.get("genericSeconds").getAsDouble(), costs.get("domainExpertsSeconds").getAsDouble(),
                costs.get("crispSecondsEach").getAsDouble(), costs.get("soupSeconds").getAsDouble(), instantiateMs));
        json.add("perDomainBitsPerByte", rows);
        json.addProperty("soupWins", soupWins);

        write(out.resolve("results.md"), md.toString());
        write(out.resolve("results.json"), new GsonBuilder().setPrettyPrinting().create().toJson(json));
        barChart(store.domains(), table, columns);
        curves(curves, curveNames);
        System.out.print(md);
        System.out.println("Wrote " + out.toAbsolutePath());
        return 0;
    }

    private TrainingConfig config(WindowSampler sampler, MetaDistribution pi, int n) {
        return TrainingConfig.builder().sampler(sampler).metaDistribution(pi).steps(n).batchSize(batch)
                .contextLength(context).learningRate(lr).logEvery(Math.max(1, n / 10)).seed(seed).build();
    }

    private List<String> describeArgs() {
        List<String> a = new ArrayList<>();
        a.add("--corpus=" + (corpus == null ? "synthetic" : corpus));
        a.add("--steps=" + steps);
        a.add("--batch=" + batch);
        a.add("--context=" + context);
        a.add("--layers=" + layers);
        a.add("--width=" + width);
        a.add("--experts=" + experts);
        a.add("--lr=" + lr);
        a.add("--support=" + support);
        a.add("--beta=" + beta);
        a.add("--natural-share=" + naturalShare);
        a.add("--crisp-domains=" + crispDomains);
        a.add("--seed=" + seed);
        return a;
    }

    private static double secondsSince(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    /** Writes through a temporary file and a rename, so a report is never half-written. */
    private static void write(Path file, String text) throws java.io.IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private void barChart(List<String> domains, double[][] table, String[] columns) throws java.io.IOException {
        CategoryChart chart = new CategoryChartBuilder().width(1400).height(600).title("Validation bits per byte by domain")
                .xAxisTitle("domain").yAxisTitle("bits per byte").build();
        for (int c : new int[] {0, 1, 3}) {
            List<Double> ys = new ArrayList<>();
            for (double[] row : table) {
                ys.add(row[c]);
            }
            chart.addSeries(columns[c], domains, ys);
        }
        chart.getStyler().setXAxisLabelRotation(45);
        BitmapEncoder.saveBitmap(chart, out.resolve("per-domain").toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private void curves(List<float[]> curves, List<String> names) throws java.io.IOException {
        XYChart chart = new XYChartBuilder().width(900).height(500).title("Training loss (moving average of 25 steps)")
                .xAxisTitle("step").yAxisTitle("nats per token").build();
        for (int i = 0; i < curves.size(); i++) {
            float[] l = curves.get(i);
            double[] x = new double[l.length];
            double[] y = new double[l.length];
            double acc = 0;
            for (int s = 0; s < l.length; s++) {
                acc += l[s];
                if (s >= 25) {
                    acc -= l[s - 25];
                }
                x[s] = s + 1;
                y[s] = acc / Math.min(s + 1, 25);
            }
            chart.addSeries(names.get(i), x, y).setMarker(org.knowm.xchart.style.markers.SeriesMarkers.NONE);
        }
        BitmapEncoder.saveBitmap(chart, out.resolve("training-curves").toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
