package org.soupofexperts.examples;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.examples.experiment.MarkdownTable;
import org.soupofexperts.examples.experiment.Parts;

/**
 * What {@link ServeSpecialists} measured (serve.json) and its serve.md.
 *
 * @param requests legitimate requests of each load run
 * @param clients client threads of each load run
 * @param serverThreads the server's workers
 * @param queue the server's queue
 * @param quiet the load run with nothing else on the server
 * @param generate the load run on {@code /generate}, or null
 * @param underAttack the load run while hostile clients attack, or null
 * @param attackOutcomes what each kind of attacker got (status code, or how it was closed), or null
 * @param burst legitimate clients at once, each from its own address
 * @param burstOutcomes what the burst's clients got, or null
 * @param rejectedWith503 requests the server shed
 * @param cacheHits the specialist cache's hits
 * @param cacheMisses its misses (instantiations)
 * @param cacheEvictions its evictions
 * @param rssMiB the process's resident memory over the whole program
 */
record ServeReport(
        int requests,
        int clients,
        int serverThreads,
        int queue,
        LoadRun quiet,
        LoadRun generate,
        LoadRun underAttack,
        Map<String, Map<String, Long>> attackOutcomes,
        int burst,
        Map<String, Long> burstOutcomes,
        long rejectedWith503,
        long cacheHits,
        long cacheMisses,
        long cacheEvictions,
        RssSampler.Summary rssMiB) {

    private static final Logger LOG = LoggerFactory.getLogger(ServeReport.class);

    /** One load run: requests sent by several client threads, latencies in ms, and the memory after it. */
    record LoadRun(
            String endpoint,
            int newTokens,
            int errors,
            double seconds,
            double requestsPerSecond,
            double p50Millis,
            double p90Millis,
            double p99Millis,
            double maxMillis,
            long rssMiBAfter) {}

    /** Writes serve.md and serve.json under {@code out}. */
    void write(Path out) throws IOException {
        StringBuilder md = new StringBuilder(format(
                "Load runs: %d legitimate requests each from %d client threads on loopback; %d server workers,"
                        + " queue %d.%n%n",
                requests, clients, serverThreads, queue));
        md.append(loadTable());
        if (attackOutcomes != null) {
            md.append(format("%nWhat the attackers got (status code, or closed without an answer):%n%n"));
            attackOutcomes.forEach((kind, got) -> md.append("- ")
                    .append(kind)
                    .append(": ")
                    .append(Parts.compactJson(got))
                    .append(format("%n")));
        }
        if (burstOutcomes != null) {
            md.append(format(
                    "%nA burst of %d legitimate clients at once, each from its own loopback address"
                            + " (status code, or closed: reset or closed without an answer): %s%n",
                    burst, Parts.compactJson(burstOutcomes)));
        }
        md.append(format(
                "%nResident memory of the process (server and clients): %s.%n",
                rssMiB.measured()
                        ? format(
                                "%d MiB after training, at most %d MiB, %d MiB at the end",
                                rssMiB.start(), rssMiB.max(), rssMiB.end())
                        : "not measured (no /proc/self/status)"));
        md.append(format(
                "Requests refused with 503: %d. Specialist cache: %d hits, %d misses (instantiations),"
                        + " %d evictions.%n",
                rejectedWith503, cacheHits, cacheMisses, cacheEvictions));
        Parts.write(out.resolve("serve.md"), md.toString());
        Parts.write(out.resolve("serve.json"), Parts.json(this));
        LOG.info("load run:\n{}", md);
    }

    private MarkdownTable loadTable() {
        MarkdownTable t = new MarkdownTable(
                "run", "errors", "requests/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "RSS after, MiB");
        row(t, "quiet", quiet);
        if (generate != null) {
            row(t, "generate (" + generate.newTokens() + " new tokens each)", generate);
        }
        if (underAttack != null) {
            row(t, "underAttack", underAttack);
        }
        return t;
    }

    private static void row(MarkdownTable t, String name, LoadRun o) {
        t.row(
                name,
                o.errors(),
                format("%.0f", o.requestsPerSecond()),
                format("%.1f", o.p50Millis()),
                format("%.1f", o.p90Millis()),
                format("%.1f", o.p99Millis()),
                format("%.1f", o.maxMillis()),
                o.rssMiBAfter());
    }

    private static String format(String pattern, Object... args) {
        return String.format(Locale.ROOT, pattern, args);
    }
}
