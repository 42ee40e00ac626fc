package org.soupofexperts.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.config.DomainAssigner;
import org.soupofexperts.data.cluster.NearestCentroidAssigner;
import org.soupofexperts.data.finetune.DomainWeightFit;
import org.soupofexperts.serve.ServerLimits;
import org.soupofexperts.serve.SpecialistServer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code soe serve}: the library's {@link SpecialistServer} over a saved soup, until the process
 * is stopped (Ctrl-C, SIGTERM) or, in-process, the thread is interrupted. The token is read from
 * an environment variable, never from the command line, where other users could see it.
 */
@Command(
        name = "serve",
        footerHeading = "%nExamples:%n",
        footer = {
            "  soe serve --soup run/soup --port 8080",
            "  curl -d '{\"documents\": [\"some text\"], \"prompt\": \"The \", \"stream\": true}' http://127.0.0.1:8080/generate"
        },
        mixinStandardHelpOptions = true,
        showDefaultValues = true,
        description =
                "Serve a soup's specialists over HTTP: POST /loss and /domain-weights with {\"documents\": [...]},"
                        + " POST /generate with documents and a prompt, GET /health and /metrics (docs/serving.md). Loopback unless --host says otherwise, which needs a token.")
final class Serve implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--soup", required = true, description = "a soup saved by 'soe train'")
    Path soupDir;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "address to bind")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "port (0: any free one, printed at start)")
    int port;

    @Option(
            names = "--token-env",
            defaultValue = "SOE_TOKEN",
            description = "environment variable holding the bearer token clients must send (none if unset)")
    String tokenEnv;

    @Option(names = "--workers", defaultValue = "2", description = "requests scored at once")
    int workers;

    @Option(names = "--queue", defaultValue = "16", description = "requests that may wait for a worker; more get 503")
    int queue;

    @Option(
            names = "--queue-timeout",
            paramLabel = "SECONDS",
            defaultValue = "10",
            description = "longest a request waits for a worker; one still waiting then gets 503 and its place"
                    + " goes to the next")
    long queueTimeoutSeconds;

    @Option(names = "--max-body-bytes", defaultValue = "1048576", description = "largest request body; larger get 413")
    int maxBodyBytes;

    @Option(
            names = "--max-tokens-per-request",
            defaultValue = "16384",
            description = "most token positions one /loss or /generate request reads, a fit's included; more get 413"
                    + " before any work")
    long maxTokensPerRequest;

    @Option(
            names = "--max-in-flight-per-client",
            defaultValue = "8",
            description = "most requests of one client address queued or running at once; more get 429")
    int maxInFlightPerClient;

    /** 365 days, the longest timeout the server takes. */
    private static final long MAX_TIMEOUT_SECONDS = 365L * 24 * 3600;

    /** 1 TiB: more than any machine this serves from, and far from overflowing when shifted to bytes. */
    private static final long MAX_CACHE_MIB = 1L << 20;

    @Option(names = "--cache-mib", defaultValue = "256", description = "memory for cached specialists")
    long cacheMib;

    @Option(
            names = "--fit",
            paramLabel = "WINDOWSxEVALUATIONS",
            description = "fit h to each request's documents from their histogram, on at most WINDOWS windows and"
                    + " EVALUATIONS losses (such as 4x27: 2k + 1 losses give each of k = 13 domains a turn); its"
                    + " token positions count against --max-tokens-per-request (default: the histogram alone)")
    String fit;

    @Option(
            names = "--tune-alpha",
            paramLabel = "LOSSES",
            description = "with --fit: then tune the expert coefficients alpha to each request's documents, computing"
                    + " at most this many losses (about 4 per expert; 0: h only); /loss and /generate then use a"
                    + " specialist made for the request, not a cached one")
    int tuneAlpha;

    @Option(
            names = "--layer-steps",
            paramLabel = "STEPS",
            description = "with --fit: then give every layer its own alpha by this many gradient steps on each"
                    + " request's documents (0: one alpha for the whole model); such fits take turns")
    int layerSteps;

    @Option(
            names = "--fit-time-limit",
            paramLabel = "SECONDS",
            description = "with --fit: a request's fit stops after this long and uses the best it found so far (the"
                    + " answer says \"fitStoppedEarly\": true), whether or not its client still waits; a layer-wise"
                    + " fit waits that long at most for another model's training run in this JVM (default: no limit)")
    Long fitTimeLimitSeconds;

    /** --fit's windows and losses ({@code null} without --fit), the fit's options checked: before the soup is read. */
    private int[] fitSpec() {
        if (tuneAlpha < 0 || layerSteps < 0) {
            throw new IllegalArgumentException(
                    "--tune-alpha and --layer-steps must be >= 0, got " + tuneAlpha + " and " + layerSteps);
        }
        if (fitTimeLimitSeconds != null && (fitTimeLimitSeconds < 1 || fitTimeLimitSeconds > MAX_TIMEOUT_SECONDS)) {
            throw new IllegalArgumentException("--fit-time-limit must be from 1 to " + MAX_TIMEOUT_SECONDS
                    + " seconds (365 days), got " + fitTimeLimitSeconds);
        }
        if (fit == null) {
            if (tuneAlpha > 0 || layerSteps > 0 || fitTimeLimitSeconds != null) {
                throw new IllegalArgumentException("--tune-alpha, --layer-steps and --fit-time-limit apply to what"
                        + " --fit starts: add --fit WINDOWSxEVALUATIONS");
            }
            return null;
        }
        String[] p = fit.split("x", -1);
        int windows;
        int evaluations;
        try {
            windows = p.length == 2 ? Integer.parseInt(p[0]) : -1;
            evaluations = p.length == 2 ? Integer.parseInt(p[1]) : -1;
        } catch (NumberFormatException e) {
            windows = -1;
            evaluations = -1;
        }
        if (windows < 1 || evaluations < 2) {
            // One evaluation is the start's loss alone: a fit that never moves.
            throw new IllegalArgumentException("--fit takes WINDOWSxEVALUATIONS, windows at least 1 and evaluations at"
                    + " least 2 (such as 4x27); got '" + fit + "'");
        }
        return new int[] {windows, evaluations};
    }

    /** The histogram over the soup's centroids, or with --fit the fit of h that starts from it. */
    private DomainAssigner assigner(SoupOfExperts soup, Inputs.RecordedTokenizer tok, int[] fitSpec) {
        NearestCentroidAssigner histogram = NearestCentroidAssigner.fromSoup(soup, 0);
        if (fitSpec == null) {
            return histogram;
        }
        int windows = fitSpec[0];
        int evaluations = fitSpec[1];
        return DomainWeightFit.builder()
                .soup(soup)
                .tokenizer(tok.tokenizer())
                .start(histogram)
                .windows(windows)
                .maxEvaluations(evaluations)
                .alphaEvaluations(tuneAlpha)
                .layerSteps(layerSteps)
                .timeLimit(fitTimeLimitSeconds == null ? null : Duration.ofSeconds(fitTimeLimitSeconds))
                .build();
    }

    private Duration queueTimeout() {
        if (queueTimeoutSeconds < 1 || queueTimeoutSeconds > MAX_TIMEOUT_SECONDS) {
            throw new IllegalArgumentException("--queue-timeout must be from 1 to " + MAX_TIMEOUT_SECONDS
                    + " seconds (365 days), got " + queueTimeoutSeconds);
        }
        return Duration.ofSeconds(queueTimeoutSeconds);
    }

    @Override
    public Integer call() throws Exception {
        if (cacheMib < 1 || cacheMib > MAX_CACHE_MIB) {
            // Checked before the shift, which would overflow into a small or negative byte count.
            throw new IllegalArgumentException("--cache-mib must be in [1, " + MAX_CACHE_MIB + "], got " + cacheMib);
        }
        ServerLimits limits = ServerLimits.defaults()
                .withWorkers(workers)
                .withQueue(queue, queueTimeout())
                .withMaxBodyBytes(maxBodyBytes)
                .withMaxTokensPerRequest(maxTokensPerRequest)
                .withMaxInFlightPerClient(maxInFlightPerClient);
        int[] fitSpec = fitSpec();
        String set = System.getenv(tokenEnv);
        // An empty variable is no token: said so at start, never "(token from ...)".
        String token = set == null || set.isEmpty() ? null : set;
        try (SoupOfExperts soup = SoupOfExperts.load(soupDir);
                Inputs.RecordedTokenizer tok = Inputs.recordedTokenizer(soupDir, soup.labels());
                SpecialistServer server = SpecialistServer.builder()
                        .soup(soup)
                        .assigner(assigner(soup, tok, fitSpec))
                        .tokenizer(tok.tokenizer())
                        .host(host)
                        .port(port)
                        .token(token)
                        .cacheBytes(cacheMib << 20)
                        .limits(limits)
                        .build()
                        .start()) {
            CountDownLatch stopped = new CountDownLatch(1);
            Thread hook = new Thread(
                    () -> {
                        server.close();
                        stopped.countDown();
                    },
                    "soe-serve-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            spec.commandLine()
                    .getOut()
                    .printf(
                            "serving %s on %s%s%n",
                            soupDir,
                            server.uri(),
                            token == null
                                    ? " (no token: $" + tokenEnv + " is not set or empty)"
                                    : " (token from $" + tokenEnv + ")");
            spec.commandLine().getOut().flush();
            try {
                stopped.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is running: it closes the server
                }
            }
        }
        return 0;
    }
}
