package org.soupofexperts.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.soupofexperts.core.DenseModel;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.Specialist;
import org.soupofexperts.core.io.AtomicFile;
import org.soupofexperts.data.cluster.NearestCentroidAssigner;
import org.soupofexperts.data.eval.Evaluation;
import org.soupofexperts.data.store.TokenStore;
import org.soupofexperts.data.tokenize.Tokenizer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code soe compare}: is the soup worth shipping? On every domain's validation split of the
 * folder that {@code soe train} and {@code soe baseline} wrote, the baseline's loss against the
 * soup's specialist (h = the histogram of the domain's training documents, as a user with
 * documents of that domain would get it) and the soup at the natural mixture; "h matters" is
 * the difference of the last two. A table on stdout, or JSON with --json, and a chart with --png.
 */
@Command(
        name = "compare",
        footerHeading = "%nExamples:%n",
        footer = {"  soe compare --out run --png run/compare.png"},
        mixinStandardHelpOptions = true,
        showDefaultValues = true,
        description = "Soup specialists against the generic baseline on every domain's validation split (the folder of"
                + " 'soe train' and 'soe baseline'), in bits per byte.")
final class Compare implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--out", required = true, description = "the --out folder of 'soe train' and 'soe baseline'")
    Path out;

    @Option(
            names = "--store",
            description = "the token store 'soe train' read, if it was given one (default: <out>/token-store)")
    Path store;

    @Option(
            names = "--windows",
            defaultValue = "64",
            description = "validation windows per domain (more: slower, steadier)")
    int windows;

    @Option(
            names = "--documents",
            defaultValue = "100",
            description = "training documents per domain whose histogram is h")
    int documents;

    @Option(names = "--json", description = "print the comparison as JSON")
    boolean json;

    @Option(names = "--png", description = "also draw the per-domain losses into this PNG file")
    Path png;

    @Override
    public Integer call() throws IOException {
        if (windows < 1 || documents < 1) {
            throw new IllegalArgumentException("--windows and --documents must be >= 1");
        }
        if (png != null && Files.isDirectory(png)) {
            // Checked before the scoring, which takes minutes, rather than when the chart is written.
            throw new IllegalArgumentException("--png " + png + " is a folder: name the PNG file to write");
        }
        Path soupDir = out.resolve("soup");
        Path baselineDir = out.resolve("baseline");
        Path storeDir = store != null ? store : out.resolve("token-store");
        for (Path p : List.of(soupDir, baselineDir, storeDir)) {
            if (!Files.isDirectory(p)) {
                throw new NoSuchFileException(p + " (run 'soe train' and 'soe baseline' with --out " + out + " first)");
            }
        }
        List<Row> rows = new ArrayList<>();
        // Small k-means clusters can hold out less than one window: compared without them.
        Map<String, Long> skipped = new LinkedHashMap<>();
        try (SoupOfExperts soup = SoupOfExperts.load(soupDir);
                DenseModel baseline = DenseModel.load(baselineDir)) {
            String t = soup.labels().tokenizer();
            String b = baseline.labels().tokenizer();
            if (t != null && b != null && !t.equals(b)) {
                throw new IllegalArgumentException(soupDir + " was trained with tokenizer " + t + ", " + baselineDir
                        + " with " + b + ": compare them on the same tokens (train both with the same --tokenizer)");
            }
            try (Inputs.RecordedTokenizer recorded = Inputs.recordedTokenizer(soupDir, soup.labels())) {
                Tokenizer tok = recorded.tokenizer();
                TokenStore tokens = BudgetOptions.openStore(
                        storeDir, tok, "score the soup on the store of the corpus it was trained on");
                List<String> soupDomains = soup.labels().domains();
                if (soup.config().numDomains() != tokens.domains().count()
                        || (!soupDomains.isEmpty()
                                && !soupDomains.equals(tokens.domains().names()))) {
                    // The same count is not enough: a soup over 3 clusters of a 3-label store would
                    // take the labels' token shares as its clusters' natural h.
                    throw new IllegalArgumentException(soupDir + " has domains "
                            + (soupDomains.isEmpty() ? soup.config().numDomains() + " (unnamed)" : soupDomains)
                            + ", " + storeDir + " has " + tokens.domains().names()
                            + ": compare scores a soup trained over the store's own labels, in their order (train"
                            + " --domains labels), not over clusters");
                }
                score(soup, baseline, tokens, tok, rows, skipped);
            }
            if (rows.isEmpty()) {
                throw new IllegalArgumentException("no domain of " + storeDir + " holds a validation window; hold out"
                        + " more (a larger validation fraction) or use fewer domains");
            }
        }
        print(rows, skipped);
        if (png != null) {
            draw(rows);
        }
        return 0;
    }

    /** A row per domain that holds a validation window; the others into {@code skipped}. */
    private void score(
            SoupOfExperts soup,
            DenseModel baseline,
            TokenStore tokens,
            Tokenizer tok,
            List<Row> rows,
            Map<String, Long> skipped) {
        int k = tokens.domains().count();
        int context = Math.min(
                soup.config().model().contextLength(), baseline.config().contextLength());
        NearestCentroidAssigner assigner = NearestCentroidAssigner.fromSoup(soup, 0);
        double[] natural = new double[k];
        double total = 0;
        for (int d = 0; d < k; d++) {
            natural[d] = tokens.trainTokens(d);
            total += natural[d];
        }
        for (int d = 0; d < k; d++) {
            natural[d] /= total;
        }
        try (Specialist generic = soup.instantiate(natural)) {
            for (int d = 0; d < k; d++) {
                if (Evaluation.validationWindows(tokens, d, context) < 1) {
                    skipped.put(tokens.domains().name(d), tokens.validTokens(d));
                    continue;
                }
                Evaluation.Specialized sp =
                        Evaluation.specialized(soup, tokens, tok, assigner, d, documents, context, windows);
                rows.add(new Row(
                        tokens.domains().name(d),
                        Evaluation.onValidation(baseline::loss, tokens, d, context, windows)
                                .bitsPerByte(),
                        sp.loss().bitsPerByte(),
                        Evaluation.onValidation(generic::loss, tokens, d, context, windows)
                                .bitsPerByte(),
                        sp.h()));
            }
        }
    }

    private void print(List<Row> rows, Map<String, Long> skipped) {
        PrintWriter o = spec.commandLine().getOut();
        double b = 0;
        double s = 0;
        double n = 0;
        int wins = 0;
        for (Row r : rows) {
            b += r.baseline / rows.size();
            s += r.specialist / rows.size();
            n += r.natural / rows.size();
            wins += r.specialist < r.baseline ? 1 : 0;
        }
        if (json) {
            JsonObject all = new JsonObject();
            JsonArray per = new JsonArray();
            for (Row r : rows) {
                JsonObject j = new JsonObject();
                j.addProperty("domain", r.domain);
                j.addProperty("baselineBitsPerByte", r.baseline);
                j.addProperty("specialistBitsPerByte", r.specialist);
                j.addProperty("soupNaturalBitsPerByte", r.natural);
                j.addProperty("hMatters", r.natural - r.specialist);
                JsonArray h = new JsonArray();
                for (double v : r.h) {
                    h.add(v);
                }
                j.add("h", h);
                per.add(j);
            }
            all.add("domains", per);
            all.addProperty("baselineBitsPerByte", b);
            all.addProperty("specialistBitsPerByte", s);
            all.addProperty("soupNaturalBitsPerByte", n);
            all.addProperty("hMatters", n - s);
            all.addProperty("specialistWins", wins);
            JsonArray skip = new JsonArray();
            skipped.forEach((name, validTokens) -> {
                JsonObject j = new JsonObject();
                j.addProperty("domain", name);
                j.addProperty("validationTokens", validTokens);
                skip.add(j);
            });
            all.add("skipped", skip);
            o.println(new GsonBuilder().setPrettyPrinting().create().toJson(all));
            return;
        }
        o.printf("%-24s %10s %10s %10s %10s%n", "domain", "baseline", "specialist", "soup@nat", "h matters");
        for (Row r : rows) {
            o.printf(
                    "%-24s %10.4f %10.4f %10.4f %10.4f%n",
                    r.domain, r.baseline, r.specialist, r.natural, r.natural - r.specialist);
        }
        o.printf("%-24s %10.4f %10.4f %10.4f %10.4f%n", "mean", b, s, n, n - s);
        o.printf(
                "bits per byte on each domain's validation split; the specialist beats the baseline on %d of %d domains"
                        + " (%+.1f%% on average)%n",
                wins, rows.size(), 100 * (s - b) / b);
        if (!skipped.isEmpty()) {
            o.printf(
                    "not compared, fewer validation tokens than one window: %s%n",
                    String.join(
                            ", ",
                            skipped.entrySet().stream()
                                    .map(e -> e.getKey() + " (" + e.getValue() + ")")
                                    .toList()));
        }
    }

    private void draw(List<Row> rows) throws IOException {
        List<String> names = new ArrayList<>();
        List<Double> base = new ArrayList<>();
        List<Double> spec = new ArrayList<>();
        List<Double> nat = new ArrayList<>();
        for (Row r : rows) {
            names.add(r.domain);
            base.add(r.baseline);
            spec.add(r.specialist);
            nat.add(r.natural);
        }
        CategoryChart chart = new CategoryChartBuilder()
                .width(1200)
                .height(560)
                .title("Soup specialists vs the generic baseline")
                .yAxisTitle("bits per byte (validation)")
                .build();
        chart.addSeries("baseline", names, base);
        chart.addSeries("specialist (histogram h)", names, spec);
        chart.addSeries("soup at the natural h", names, nat);
        chart.getStyler().setXAxisLabelRotation(45);
        // Through a temporary file of a unique name, synced, then renamed: the PNG appears whole or not at all.
        AtomicFile.write(png, out -> BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG));
    }

    private record Row(String domain, double baseline, double specialist, double natural, double[] h) {}
}
