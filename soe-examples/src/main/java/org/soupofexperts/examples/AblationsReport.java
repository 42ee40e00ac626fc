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
import org.soupofexperts.examples.experiment.MarkdownTable;
import org.soupofexperts.examples.experiment.Parts;
import org.soupofexperts.examples.experiment.PlainRun;
import org.soupofexperts.examples.experiment.SoupRun;

/** The report of {@link Ablations}: its tables, its JSON and its plot. Stateless. */
final class AblationsReport {

    private static final Logger LOG = LoggerFactory.getLogger(Ablations.class);

    private AblationsReport() {}

    /**
     * Writes ablations.md (under {@code header}), ablations.json and ablations.png into {@code out}:
     * the generic model and its controls, then one table per section of variants.
     */
    static void write(
            Path out,
            String header,
            PlainRun generic,
            Map<Double, PlainRun> controls,
            Map<String, List<AblationVariant>> sections,
            Map<String, SoupRun> results)
            throws IOException {
        StringBuilder md = new StringBuilder(header);
        md.append(String.format(
                "Generic model (same budget): specialized %.3f, generic %.3f bits/byte, %.0f s.%n%n",
                generic.specialized(), generic.naturalBitsPerByte(), generic.seconds()));
        for (Map.Entry<Double, PlainRun> c : controls.entrySet()) {
            md.append(String.format(
                    "Control, generic model at lr x%s: specialized %.3f, generic %.3f bits/byte.%n%n",
                    c.getKey(), c.getValue().specialized(), c.getValue().naturalBitsPerByte()));
        }
        Map<String, List<Row>> tables = new LinkedHashMap<>();
        Map<String, double[][]> plot = new LinkedHashMap<>();
        sections.forEach((title, variants) -> table(md, tables, plot, title, variants, results, generic));
        Parts.write(out.resolve("ablations.md"), md.toString());
        Parts.write(out.resolve("ablations.json"), Parts.json(new Results(generic, controls, tables)));
        Charts.lines(
                out.resolve("ablations.png"),
                "Ablations: specialized vs generic loss",
                "generic loss (bits/byte)",
                "specialized loss (bits/byte)",
                plot,
                true);
        LOG.info("ablations:\n{}", md);
    }

    /** ablations.json: the generic model, its controls at higher rates, and each table's soups. */
    record Results(PlainRun generic, Map<Double, PlainRun> genericControls, Map<String, List<Row>> tables) {}

    /** One soup of a table. */
    record Row(String variant, SoupRun soup) {}

    private static void table(
            StringBuilder md,
            Map<String, List<Row>> tables,
            Map<String, double[][]> plot,
            String title,
            List<AblationVariant> variants,
            Map<String, SoupRun> results,
            PlainRun generic) {
        MarkdownTable t = new MarkdownTable("variant", "specialized", "generic", "stored parameters", "train s");
        List<Row> rows = new ArrayList<>();
        for (AblationVariant v : variants) {
            SoupRun p = results.get(v.key());
            t.row(
                    v.name(),
                    p.scores().specialized(),
                    p.scores().naturalBitsPerByte(),
                    p.storedParameters(),
                    String.format("%.0f", p.seconds()));
            rows.add(new Row(v.name(), p));
            plot.put(v.name(), new double[][] {
                {p.scores().naturalBitsPerByte()}, {p.scores().specialized()}
            });
        }
        md.append("### ").append(title).append("\n\n").append(t).append('\n');
        tables.put(title, rows);
        plot.putIfAbsent("generic model", new double[][] {{generic.naturalBitsPerByte()}, {generic.specialized()}});
    }
}
