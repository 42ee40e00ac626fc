package org.soupofexperts.examples.experiment;

import org.soupofexperts.core.batch.MetaDistribution;
import picocli.CommandLine.Option;

/**
 * The paper's meta-distribution as options (a picocli mixin), declared once for the programs
 * that take it: with probability {@code --natural-share} the natural mixture, otherwise {@code
 * --support} random domains with Dirichlet({@code --beta}) weights.
 */
public final class MetaOptions {

    @Option(
            names = "--support",
            defaultValue = "0",
            description = "domains per h of the meta-distribution (0 = all; default ${DEFAULT-VALUE})")
    int support;

    @Option(
            names = "--beta",
            defaultValue = "3.0",
            description = "Dirichlet concentration of the meta-distribution (default ${DEFAULT-VALUE})")
    double beta;

    @Option(
            names = "--natural-share",
            defaultValue = "0.25",
            description = "share of the h that are the natural mixture (default ${DEFAULT-VALUE})")
    double naturalShare;

    /** The meta-distribution these options describe over {@code data}'s domains. */
    public MetaDistribution over(ExperimentData data) {
        return data.meta(support == 0 ? data.k : support, beta, naturalShare);
    }

    /** Whether these are the defaults (a program may then keep its settings string as it was). */
    public boolean isDefault() {
        return support == 0 && beta == 3.0 && naturalShare == 0.25;
    }

    /** As a run's settings record them. */
    public String settings() {
        return "--support=" + support + " --beta=" + beta + " --natural-share=" + naturalShare;
    }

    /** In words, for a report. */
    public String describe() {
        return String.format(
                "a share %s of the h at the natural mixture, the rest Dirichlet(%s) over %s domains",
                naturalShare, beta, support == 0 ? "all" : support);
    }
}
