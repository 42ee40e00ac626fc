package org.soupofexperts.examples;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.SpecialistCache;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.config.SoupConfig;
import org.soupofexperts.core.train.SoupTrainingConfig;
import org.soupofexperts.data.cluster.NearestCentroidAssigner;
import org.soupofexperts.data.sample.InMemoryDomainSampler;
import org.soupofexperts.data.sample.MetaDistributions;
import org.soupofexperts.data.synth.SyntheticCorpus;
import org.soupofexperts.data.tokenize.ByteTokenizer;
import org.soupofexperts.examples.experiment.Commands;
import org.soupofexperts.examples.experiment.Parts;
import org.soupofexperts.serve.ServerLimits;
import org.soupofexperts.serve.SpecialistServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Specialists inside a running service: the library's {@link SpecialistServer} (POST /loss takes
 * a few documents of a specialist domain, matches them to the domain centroids (Algorithm 3),
 * takes the specialist for that h from a {@link SpecialistCache} and returns its loss on them),
 * then a load run from several client threads on loopback with latency percentiles and errors;
 * with {@code --hostile}, the same load run again while hostile clients attack the server, and
 * the process's resident memory sampled throughout. The soup is trained at start on the
 * built-in synthetic corpus.
 */
@Command(
        name = "serve-specialists",
        mixinStandardHelpOptions = true,
        description = "HTTP endpoint that scores documents with a specialist made for them, and a load run against it.")
public final class ServeSpecialists implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(ServeSpecialists.class);
    private static final int K = 4;
    private static final int CONTEXT = 64;
    private static final Gson GSON = new Gson();

    @Option(
            names = "--steps",
            defaultValue = "600",
            description = "training steps of the soup at start (default: ${DEFAULT-VALUE})")
    int steps;

    @Option(
            names = "--requests",
            defaultValue = "1000",
            description = "legitimate requests per load run (default: ${DEFAULT-VALUE})")
    int requests;

    @Option(
            names = "--clients",
            defaultValue = "8",
            description = "client threads of the load run (default: ${DEFAULT-VALUE})")
    int clients;

    @Option(names = "--server-threads", defaultValue = "2", description = "server workers (default: ${DEFAULT-VALUE})")
    int serverThreads;

    @Option(
            names = "--queue",
            defaultValue = "16",
            description = "requests that may wait for a worker (default: ${DEFAULT-VALUE})")
    int queue;

    @Option(
            names = "--cache-mib",
            defaultValue = "64",
            description = "bound of the specialist cache (default: ${DEFAULT-VALUE})")
    int cacheMib;

    @Option(
            names = "--hostile",
            description = "run the load a second time under attack: held connections, slowloris,"
                    + " oversized bodies, deep JSON, random bytes")
    boolean hostile;

    @Option(
            names = "--idle-connections",
            defaultValue = "200",
            description = "connections the attack holds open (default: ${DEFAULT-VALUE})")
    int idleConnections;

    @Option(
            names = "--slowloris",
            defaultValue = "50",
            description = "slowloris clients of the attack (default: ${DEFAULT-VALUE})")
    int slowloris;

    @Option(
            names = "--burst",
            defaultValue = "0",
            description = "then this many legitimate clients at once, each from its own loopback address (0: none)")
    int burst;

    @Option(
            names = "--generate-tokens",
            defaultValue = "0",
            description = "also a run of POST /generate requests, each asking for this many new tokens from a"
                    + " 16-character prompt (default ${DEFAULT-VALUE}: none)")
    int generateTokens;

    @Option(
            names = "--out",
            defaultValue = "target/serve",
            description = "where serve.md and serve.json go (default: ${DEFAULT-VALUE})")
    Path out;

    public static void main(String[] args) {
        Commands.exit(new ServeSpecialists(), args);
    }

    @Override
    public Integer call() throws Exception {
        Files.createDirectories(out);
        SyntheticCorpus corpus = new SyntheticCorpus(K, 400, 2025);
        ByteTokenizer tok = new ByteTokenizer();
        int[][] train = new int[K][];
        List<List<String>> docs = new ArrayList<>();
        for (int d = 0; d < K; d++) {
            List<String> dd = corpus.documents(d, 0, 200, 150);
            docs.add(dd);
            train[d] = tok.encode(String.join("\n", dd));
        }
        NearestCentroidAssigner assigner = NearestCentroidAssigner.ofLabelledDocuments(docs, 0.0);
        SoupConfig config = SoupConfig.builder()
                .model(ModelConfig.builder()
                        .vocabSize(tok.vocabSize())
                        .layers(2)
                        .dModel(64)
                        .heads(4)
                        .contextLength(CONTEXT)
                        .build())
                .domains(K)
                .experts(4)
                .seed(42)
                .build();
        InMemoryDomainSampler sampler = new InMemoryDomainSampler(corpus.domainNames(), train);
        ServerLimits limits =
                ServerLimits.defaults().withWorkers(serverThreads).withQueue(queue, Duration.ofSeconds(10));
        try (SoupOfExperts soup = trained(
                        config,
                        SoupTrainingConfig.builder()
                                .source(sampler)
                                .metaDistribution(MetaDistributions.recommended(sampler.sizes()))
                                .steps(steps)
                                .batchSize(16)
                                .learningRate(2e-3)
                                .logEvery(Math.max(1, steps / 5))
                                .build());
                SpecialistCache cache = new SpecialistCache(soup, (long) cacheMib << 20, 0.05);
                SpecialistServer server = SpecialistServer.builder()
                        .soup(soup)
                        .assigner(assigner)
                        .tokenizer(tok)
                        .cache(cache)
                        .port(0)
                        .limits(limits)
                        .build()
                        .start();
                RssSampler rss = new RssSampler()) {
            JsonObject report = new JsonObject();
            report.add("quiet", load(server.uri(), corpus, 0));
            report.getAsJsonObject("quiet").addProperty("rssMiBAfter", RssSampler.read());
            if (generateTokens > 0) {
                report.add("generate", load(server.uri(), corpus, generateTokens));
                report.getAsJsonObject("generate").addProperty("rssMiBAfter", RssSampler.read());
            }
            if (hostile) {
                try (HostileClients attack = new HostileClients(server.uri().getHost(), server.port())
                        .start(idleConnections, slowloris, 7)) {
                    report.add("underAttack", load(server.uri(), corpus, 0));
                    report.getAsJsonObject("underAttack").addProperty("rssMiBAfter", RssSampler.read());
                    report.add("attackOutcomes", GSON.toJsonTree(attack.outcomes()));
                }
            }
            if (burst > 0) {
                // A burst of legitimate clients, each its own address: every one served or shed
                // with an answer (503 past the queue), none reset.
                String doc = String.join("\n", corpus.documents(1, 9000, 4, 150));
                byte[] body = GSON.toJson(Map.of("documents", List.of(doc))).getBytes(StandardCharsets.UTF_8);
                report.add(
                        "burst",
                        GSON.toJsonTree(HostileClients.burst(server.uri().getHost(), server.port(), burst, body)));
            }
            report.addProperty("serverThreads", serverThreads);
            report.addProperty("queue", queue);
            report.addProperty("rejectedWith503", server.rejected());
            report.addProperty("cacheHits", cache.hits());
            report.addProperty("cacheMisses", cache.misses());
            report.addProperty("cacheEvictions", cache.evictions());
            report.add("rssMiB", rss.summary());
            write(report);
        }
        return 0;
    }

    /**
     * Several client threads, each sending its share of the requests; latencies in ms. With
     * {@code newTokens} > 0 the requests are {@code /generate} for that many tokens, else {@code /loss}.
     */
    private JsonObject load(URI base, SyntheticCorpus corpus, int newTokens) throws Exception {
        HttpClient client = HttpClient.newBuilder()
                .executor(Executors.newFixedThreadPool(2))
                .build();
        URI uri = base.resolve(newTokens > 0 ? "generate" : "loss");
        String expect = newTokens > 0 ? "\"text\"" : "bitsPerByte";
        double[] latencies = new double[requests];
        AtomicInteger next = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        long t0 = System.nanoTime();
        List<Future<?>> futures = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int clientId = c;
            futures.add(pool.submit(() -> {
                SplittableRandom rng = new SplittableRandom(1000 + clientId);
                int i;
                while ((i = next.getAndIncrement()) < requests) {
                    // A specialist set: 5 unseen documents, mostly from one domain, some from another.
                    int main = rng.nextInt(K);
                    int mixed = rng.nextInt(K);
                    List<String> docs =
                            new ArrayList<>(corpus.documents(main, 5_000_000L + 10L * i, 3 + rng.nextInt(3), 60));
                    docs.addAll(corpus.documents(mixed, 6_000_000L + 10L * i, 1, 60));
                    JsonObject body = new JsonObject();
                    body.add("documents", GSON.toJsonTree(docs));
                    if (newTokens > 0) {
                        String prompt =
                                corpus.documents(main, 7_000_000L + i, 1, 60).get(0);
                        body.addProperty("prompt", prompt.substring(0, Math.min(16, prompt.length())));
                        body.addProperty("maxNewTokens", newTokens);
                    }
                    long s = System.nanoTime();
                    try {
                        HttpResponse<String> r = client.send(
                                HttpRequest.newBuilder(uri)
                                        .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() != 200 || !r.body().contains(expect)) {
                            errors.incrementAndGet();
                        }
                    } catch (IOException | InterruptedException e) {
                        errors.incrementAndGet();
                    }
                    latencies[i] = (System.nanoTime() - s) / 1e6;
                }
                return null;
            }));
        }
        for (Future<?> f : futures) {
            f.get();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        pool.shutdown();
        double[] sorted = latencies.clone();
        Arrays.sort(sorted);
        JsonObject o = new JsonObject();
        o.addProperty("endpoint", uri.getPath());
        o.addProperty("newTokens", newTokens);
        o.addProperty("requests", requests);
        o.addProperty("clients", clients);
        o.addProperty("errors", errors.get());
        o.addProperty("seconds", seconds);
        o.addProperty("requestsPerSecond", requests / seconds);
        for (double q : new double[] {0.5, 0.9, 0.99}) {
            o.addProperty(
                    "p" + Math.round(q * 100) + "Millis",
                    sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
        }
        o.addProperty("maxMillis", sorted[sorted.length - 1]);
        return o;
    }

    private void write(JsonObject r) throws IOException {
        StringBuilder md = new StringBuilder(String.format(
                "Load runs: %d legitimate requests each from %d client threads on"
                        + " loopback; %d server workers, queue %d.%n%n| run | errors | requests/s | p50 ms | p90 ms | p99 ms | max ms | RSS after, MiB |%n"
                        + "|---|---:|---:|---:|---:|---:|---:|---:|%n",
                requests, clients, serverThreads, queue));
        for (String run : new String[] {"quiet", "generate", "underAttack"}) {
            if (r.has(run)) {
                JsonObject o = r.getAsJsonObject(run);
                md.append(String.format(
                        "| %s | %d | %.0f | %.1f | %.1f | %.1f | %.1f | %d |%n",
                        run.equals("generate") ? "generate (" + o.get("newTokens") + " new tokens each)" : run,
                        o.get("errors").getAsInt(),
                        o.get("requestsPerSecond").getAsDouble(),
                        o.get("p50Millis").getAsDouble(),
                        o.get("p90Millis").getAsDouble(),
                        o.get("p99Millis").getAsDouble(),
                        o.get("maxMillis").getAsDouble(),
                        o.get("rssMiBAfter").getAsLong()));
            }
        }
        if (r.has("attackOutcomes")) {
            md.append(String.format("%nWhat the attackers got (status code, or closed without an answer):%n%n"));
            r.getAsJsonObject("attackOutcomes")
                    .entrySet()
                    .forEach(e -> md.append("- ")
                            .append(e.getKey())
                            .append(": ")
                            .append(e.getValue())
                            .append(String.format("%n")));
        }
        if (r.has("burst")) {
            md.append(String.format(
                    "%nA burst of %d legitimate clients at once, each from its own loopback address"
                            + " (status code, or closed: reset or closed without an answer): %s%n",
                    burst, r.get("burst")));
        }
        JsonObject rss = r.getAsJsonObject("rssMiB");
        md.append(String.format(
                "%nResident memory of the process (server and clients): %s.%n",
                rss.has("start")
                        ? String.format(
                                "%d MiB after training, at most %d MiB, %d MiB at the end",
                                rss.get("start").getAsLong(),
                                rss.get("max").getAsLong(),
                                rss.get("end").getAsLong())
                        : "not measured (no /proc/self/status)"));
        md.append(String.format(
                "Requests refused with 503: %d. Specialist cache: %d hits, %d misses (instantiations),"
                        + " %d evictions.%n",
                r.get("rejectedWith503").getAsLong(),
                r.get("cacheHits").getAsLong(),
                r.get("cacheMisses").getAsLong(),
                r.get("cacheEvictions").getAsLong()));
        Parts.write(out.resolve("serve.md"), md.toString());
        Parts.write(
                out.resolve("serve.json"),
                new GsonBuilder().setPrettyPrinting().create().toJson(r));
        LOG.info("load run:\n{}", md);
    }

    private static SoupOfExperts trained(SoupConfig config, SoupTrainingConfig training) {
        SoupOfExperts soup = SoupOfExperts.create(config);
        try {
            soup.train(training);
            return soup;
        } catch (RuntimeException e) {
            soup.close();
            throw e;
        }
    }
}
