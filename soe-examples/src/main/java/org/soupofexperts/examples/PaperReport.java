package org.soupofexperts.examples;

import static org.soupofexperts.examples.experiment.MarkdownTable.number;
import static org.soupofexperts.examples.experiment.MarkdownTable.percent;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.examples.PaperResults.DomainModel;
import org.soupofexperts.examples.PaperResults.FineTuning;
import org.soupofexperts.examples.experiment.MarkdownTable;
import org.soupofexperts.examples.experiment.Parts;
import org.soupofexperts.examples.experiment.PlainRun;
import org.soupofexperts.examples.experiment.SoupRun;
import org.soupofexperts.examples.experiment.SoupScores;

/** {@link PaperExperiment}'s report: results.md, results.json and its plots, from its typed results. */
final class PaperReport {

    private static final Logger LOG = LoggerFactory.getLogger(PaperReport.class);

    private PaperReport() {}

    /** Writes the report of {@code r} (a soup of {@code experts} experts, {@code steps} steps) under {@code out}. */
    static void write(Path out, PaperResults r, int steps, int experts) throws IOException {
        String md = perDomain(r) + summary(r, steps, experts) + fineTuning(r);
        Parts.write(out.resolve("results.md"), md);
        Parts.write(out.resolve("results.json"), Parts.json(r));
        PaperPlots.write(out, r);
        LOG.info("results:\n{}", md);
        LOG.info("wrote {}", out.toAbsolutePath());
    }

    /** The per-domain table: every model's loss on every domain, and their averages. */
    private static String perDomain(PaperResults r) {
        SoupScores soup = r.soup().scores();
        List<double[]> columns = List.of(
                r.generic().perDomainBitsPerByte(),
                r.domainExperts().values().stream()
                        .mapToDouble(DomainModel::bitsPerByte)
                        .toArray(),
                padded(
                        r.crisp().stream().mapToDouble(DomainModel::bitsPerByte).toArray(),
                        r.domains().size()),
                soup.histogramBitsPerByte(),
                soup.oneHotBitsPerByte(),
                soup.naturalPerDomainBitsPerByte(),
                r.genericEqualTime() == null
                        ? padded(new double[0], r.domains().size())
                        : r.genericEqualTime().perDomainBitsPerByte());
        MarkdownTable t = new MarkdownTable(
                "domain",
                "generic (lr " + r.generic().lr() + ")",
                "domain expert",
                "CRISP (first " + r.crisp().size() + " domains)",
                "soup (histogram h)",
                "soup (one-hot h)",
                "soup (natural h)",
                "generic, soup's wall time");
        double[] row = new double[columns.size()];
        for (int d = 0; d < r.domains().size(); d++) {
            for (int c = 0; c < row.length; c++) {
                row[c] = columns.get(c)[d];
            }
            t.row(r.domains().get(d), row);
        }
        Object[] averages = new Object[columns.size() + 1];
        averages[0] = "**average**";
        for (int c = 0; c < columns.size(); c++) {
            double mean = Arrays.stream(columns.get(c))
                    .filter(v -> !Double.isNaN(v))
                    .average()
                    .orElse(Double.NaN);
            averages[c + 1] = Double.isNaN(mean) ? "-" : "**" + number(mean) + "**";
        }
        return t.row(averages) + "\n";
    }

    /** The report's sentences: specialized and generic losses, h matters, equal time, time and size. */
    private static String summary(PaperResults r, int steps, int experts) {
        PlainRun g = r.generic();
        SoupRun soup = r.soup();
        SoupScores s = soup.scores();
        int k = r.domains().size();
        StringBuilder md = new StringBuilder();
        if (!r.crisp().isEmpty()) {
            int n = r.crisp().size();
            md.append(format(
                    "On the %d domains with a CRISP model: generic %.3f, CRISP %.3f, soup %.3f bits/byte.%n%n",
                    n,
                    mean(g.perDomainBitsPerByte(), n),
                    r.crisp().stream()
                            .mapToDouble(DomainModel::bitsPerByte)
                            .average()
                            .orElse(Double.NaN),
                    mean(s.histogramBitsPerByte(), n)));
        }
        md.append(format(
                "Specialized loss: the soup (histogram h) averages %.3f bits/byte against the generic model's %.3f (%s),"
                        + " and beats it on %d of %d domains.%n%n",
                s.specialized(), g.specialized(), percent(s.specialized(), g.specialized()), r.soupWins(), k));
        md.append(format(
                "How much h matters: on each domain, the soup at the natural mixture averages %.3f against %.3f at the"
                        + " domain's histogram h (gain %.3f bits/byte); mean L1 distance between alpha(h_domain) and"
                        + " alpha(natural): %.3f.%n%n",
                s.specialized() + s.hMatters(), s.specialized(), s.hMatters(), s.alphaL1FromNatural()));
        md.append(format(
                "Generic loss (natural mixture): generic model %.3f, soup at natural h %.3f bits/byte (%s).%n%n",
                g.naturalBitsPerByte(),
                s.naturalBitsPerByte(),
                percent(s.naturalBitsPerByte(), g.naturalBitsPerByte())));
        MarkdownTable rates = new MarkdownTable("lr", "mean per-domain", "natural", "train s");
        r.genericLearningRates()
                .forEach(o -> rates.row(
                        String.valueOf(o.lr()), o.specialized(), o.naturalBitsPerByte(), format("%.0f", o.seconds())));
        md.append(
                        "Generic model at each learning rate (the better one, by mean per-domain loss, is the baseline above):\n\n")
                .append(rates)
                .append('\n');
        PlainRun equal = r.genericEqualTime();
        if (equal != null) {
            md.append(format(
                    "At equal wall time: the generic model trained %d steps (%.0f s, the soup's %d steps took %.0f s)"
                            + " and averages %.3f bits/byte (natural %.3f); the soup's specialists win on %d of %d"
                            + " domains.%n%n",
                    equal.steps(),
                    equal.seconds(),
                    steps,
                    soup.seconds(),
                    equal.specialized(),
                    equal.naturalBitsPerByte(),
                    s.winsAgainst(equal.perDomainBitsPerByte()),
                    k));
        }
        md.append(cost(r, experts));
        return md.toString();
    }

    /** What the models cost: training time, instantiation time, parameters. */
    private static String cost(PaperResults r, int experts) {
        PlainRun g = r.generic();
        SoupRun soup = r.soup();
        SoupScores s = soup.scores();
        int k = r.domains().size();
        StringBuilder md = new StringBuilder();
        md.append(format(
                "Training time (2 cores): generic %.0f s, all %d domain experts %.0f s, CRISP %.0f s per specialist,"
                        + " soup %.0f s (%.2fx the generic run). Instantiating one specialist: %.1f ms (median of %d"
                        + " calls).%n%n",
                g.seconds(),
                k,
                r.domainExperts().values().stream()
                        .mapToDouble(DomainModel::seconds)
                        .sum(),
                r.crisp().stream().mapToDouble(DomainModel::seconds).average().orElse(Double.NaN),
                soup.seconds(),
                soup.seconds() / g.seconds(),
                s.instantiateMillis(),
                s.instantiateCalls()));
        md.append(format(
                "Parameters: base model %d; soup stores %d (shared + %d experts + router).%n%n",
                r.baseParameters(), soup.storedParameters(), experts));
        return md.toString();
    }

    private static String fineTuning(PaperResults r) {
        if (r.fineTuning().isEmpty()) {
            return "";
        }
        MarkdownTable t = new MarkdownTable(
                "domain",
                "fine-tuning tokens",
                "generic before",
                "generic after",
                "soup before",
                "soup after",
                "best step (generic / soup)");
        for (int d = 0; d < r.fineTuning().size(); d++) {
            FineTuning f = r.fineTuning().get(d);
            t.row(
                    r.domains().get(d),
                    f.fineTuneTokens(),
                    f.generic().beforeBitsPerByte(),
                    f.generic().afterBitsPerByte(),
                    f.soup().beforeBitsPerByte(),
                    f.soup().afterBitsPerByte(),
                    f.generic().bestStep() + " / " + f.soup().bestStep());
        }
        return "Fine-tuning (bits/byte on the evaluation split; early stopping on held-out documents of the"
                + " specialist set):\n\n" + t + "\n";
    }

    private static double[] padded(double[] values, int k) {
        double[] all = new double[k];
        Arrays.fill(all, Double.NaN);
        System.arraycopy(values, 0, all, 0, Math.min(k, values.length));
        return all;
    }

    private static double mean(double[] values, int first) {
        return Arrays.stream(values, 0, first).average().orElse(Double.NaN);
    }

    private static String format(String pattern, Object... args) {
        return String.format(Locale.ROOT, pattern, args);
    }
}
