package org.soupofexperts.examples;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
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

/** The report of {@link SpecializationAblations}: its table, its JSON and its plot. Stateless. */
final class SpecializationReport {

    private static final Logger LOG = LoggerFactory.getLogger(SpecializationAblations.class);

    private SpecializationReport() {}

    /**
     * Writes ablations.md (under {@code header}), ablations.json and ablations.png into {@code out}:
     * the generic model at each learning rate, then each soup against the better one.
     */
    static void write(
            Path out,
            String header,
            ExperimentData data,
            Map<Double, PlainRun> generics,
            PlainRun bestGeneric,
            Map<SpecializationVariant, SoupRun> results)
            throws IOException {
        double bestNatural = bestGeneric.naturalBitsPerByte();
        StringBuilder md = new StringBuilder(header);
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
    private static List<Row> soupRows(
            MarkdownTable t, Map<SpecializationVariant, SoupRun> results, PlainRun bestGeneric, int k) {
        double bestNatural = bestGeneric.naturalBitsPerByte();
        List<Row> rows = new ArrayList<>();
        for (Map.Entry<SpecializationVariant, SoupRun> e : results.entrySet()) {
            SpecializationVariant v = e.getKey();
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
