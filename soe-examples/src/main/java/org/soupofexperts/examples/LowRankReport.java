package org.soupofexperts.examples;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.examples.experiment.Charts;
import org.soupofexperts.examples.experiment.ExperimentData;
import org.soupofexperts.examples.experiment.MarkdownTable;
import org.soupofexperts.examples.experiment.Parts;
import org.soupofexperts.examples.experiment.PlainRun;
import org.soupofexperts.examples.experiment.SoupRun;
import org.soupofexperts.examples.experiment.SoupScores;

/** The report of {@link LowRankExperiment}: its tables, its JSON and its plots. Stateless. */
final class LowRankReport {

    private static final Logger LOG = LoggerFactory.getLogger(LowRankExperiment.class);

    private LowRankReport() {}

    /** A soup's name by its experts' rank: dense, or rank r. */
    static String name(int rank) {
        return rank == 0 ? "dense" : "rank " + rank;
    }

    /**
     * Writes low-rank.md (under {@code header}), low-rank.json and the plots into {@code out}: each
     * soup's bank size and losses against the generic model, then the losses per domain.
     */
    static void write(
            Path out,
            String header,
            ExperimentData data,
            PlainRun generic,
            Map<Integer, SoupRun> soups,
            Map<String, float[]> curves,
            int experts)
            throws IOException {
        SoupRun dense = soups.get(0);
        MarkdownTable t = new MarkdownTable(
                "experts",
                "bank parameters",
                "bank MiB",
                "of dense bank",
                "specialized",
                "generic",
                "h matters",
                "vs generic model",
                "train s",
                "instantiate ms");
        List<Row> rows = new ArrayList<>();
        for (Map.Entry<Integer, SoupRun> e : soups.entrySet()) {
            SoupRun p = e.getValue();
            SoupScores s = p.scores();
            long bank = p.bankParameters();
            t.row(
                    name(e.getKey()),
                    bank,
                    String.format("%.2f", mebibytes(bank)),
                    dense == null ? "-" : String.format("%.3f", bank / (double) dense.bankParameters()),
                    s.specialized(),
                    s.naturalBitsPerByte(),
                    String.format("%.4f", s.hMatters()),
                    String.format("%+.3f", s.specialized() - generic.specialized()),
                    String.format("%.0f", p.seconds()),
                    String.format("%.1f", s.instantiateMillis()));
            rows.add(new Row(e.getKey(), s.hMatters(), p));
        }
        List<String> columns = new ArrayList<>(List.of("domain", "generic model"));
        soups.keySet().forEach(r -> columns.add(name(r)));
        MarkdownTable perDomain = new MarkdownTable(columns);
        for (int d = 0; d < data.k; d++) {
            double[] row = new double[soups.size() + 1];
            row[0] = generic.perDomainBitsPerByte()[d];
            int j = 1;
            for (SoupRun p : soups.values()) {
                row[j++] = p.scores().histogramBitsPerByte()[d];
            }
            perDomain.row(data.domains().get(d), row);
        }
        String md = header + t + "\nPer domain (specialized loss at the domain's histogram h):\n\n" + perDomain;
        Parts.write(out.resolve("low-rank.md"), md);
        Parts.write(out.resolve("low-rank.json"), Parts.json(new Results(generic, rows)));
        plot(out, generic, soups, experts);
        Charts.trainingCurves(out.resolve("low-rank-training.png"), curves, 100);
        LOG.info("low-rank experiment:\n{}", md);
    }

    /** One line through the soups in order of bank size (each point labelled in the table), and the generic model. */
    private static void plot(Path out, PlainRun generic, Map<Integer, SoupRun> soups, int experts) throws IOException {
        List<SoupRun> bySize = soups.values().stream()
                .sorted(Comparator.comparingLong(SoupRun::bankParameters))
                .toList();
        double[] xs =
                bySize.stream().mapToDouble(p -> mebibytes(p.bankParameters())).toArray();
        double[] ys = bySize.stream().mapToDouble(p -> p.scores().specialized()).toArray();
        Map<String, double[][]> plot = new LinkedHashMap<>();
        plot.put("soups, ranks " + soups.keySet() + " (0 = dense)", new double[][] {xs, ys});
        plot.put("generic model", new double[][] {
            {0, xs[xs.length - 1]},
            {generic.specialized(), generic.specialized()}
        });
        Charts.lines(
                out.resolve("low-rank.png"),
                "Specialized loss vs expert bank size (n = " + experts + ")",
                "expert bank (MiB)",
                "specialized loss (bits/byte)",
                plot,
                true);
    }

    private static double mebibytes(long floats) {
        return 4.0 * floats / (1 << 20);
    }

    /** low-rank.json: the generic model and each soup. */
    record Results(PlainRun generic, List<Row> soups) {}

    /** One soup: its experts' rank (0: dense), how much h matters, its run. */
    record Row(int rank, double hMattersBitsPerByte, SoupRun soup) {}
}
