package org.soupofexperts.examples;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.examples.experiment.MarkdownTable;
import org.soupofexperts.examples.experiment.Parts;

/** {@link ClusterSoupExperiment}'s results.md and results.json. */
final class ClusterSoupReport {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterSoupReport.class);

    private ClusterSoupReport() {}

    static void write(Path out, ClusterSoupResults r, int experts) throws IOException {
        StringBuilder md = new StringBuilder(header(r, experts));
        MarkdownTable t = new MarkdownTable(
                "domain",
                "clusters in h (effective)",
                "top cluster share",
                "generic",
                "soup (histogram h)",
                "soup (natural h)",
                "h matters");
        int k = r.domains().size();
        double[] generic = r.generic().perDomainBitsPerByte();
        double[] specialized = r.soup().histogramBitsPerByte();
        double[] atNatural = r.soup().naturalPerDomainBitsPerByte();
        int wins = 0;
        for (int d = 0; d < k; d++) {
            double[] h = r.h()[d];
            t.row(
                    r.domains().get(d),
                    String.format(
                            Locale.ROOT,
                            "%.1f",
                            1 / Arrays.stream(h).map(v -> v * v).sum()),
                    String.format(Locale.ROOT, "%.2f", Arrays.stream(h).max().orElse(Double.NaN)),
                    generic[d],
                    specialized[d],
                    atNatural[d],
                    atNatural[d] - specialized[d]);
            wins += specialized[d] < generic[d] ? 1 : 0;
        }
        double g = mean(generic);
        double s = mean(specialized);
        double n = mean(atNatural);
        t.row("**average**", "", "", bold(g), bold(s), bold(n), bold(n - s));
        md.append(t)
                .append('\n')
                .append(String.format(
                        Locale.ROOT,
                        "The soup's specialists beat the generic model on %d of %d labelled domains (%s)."
                                + " Training: generic %.0f s, soup %.0f s.%n",
                        wins,
                        k,
                        MarkdownTable.percent(s, g),
                        r.generic().seconds(),
                        r.soup().seconds()));
        Parts.write(out.resolve("results.md"), md.toString());
        Parts.write(out.resolve("results.json"), Parts.json(r));
        LOG.info("cluster soup:\n{}", md);
    }

    /** How the clusters and the models were made. */
    private static String header(ClusterSoupResults r, int experts) {
        return String.format(
                Locale.ROOT,
                "Embedder %s (%.0f s for the corpus); %d k-means clusters, purity against the %d labels %.3f."
                        + " Soup: n = %d, %d steps, meta-distribution %s; generic: the same budget on the natural"
                        + " mixture, at its better learning rate %s (mean bits/byte by learning rate: %s).%n%n",
                r.clustering().embedder(),
                r.clustering().embedSeconds(),
                r.clusters(),
                r.domains().size(),
                r.clustering().purity(),
                experts,
                r.steps(),
                r.metaDistribution(),
                r.generic().lr(),
                r.genericAtEachLearningRate().stream()
                        .map(g -> g.lr() + "=" + MarkdownTable.number(g.mean()))
                        .collect(Collectors.joining(", ", "{", "}")));
    }

    private static String bold(double v) {
        return "**" + MarkdownTable.number(v) + "**";
    }

    private static double mean(double[] values) {
        return Arrays.stream(values).average().orElse(Double.NaN);
    }
}
