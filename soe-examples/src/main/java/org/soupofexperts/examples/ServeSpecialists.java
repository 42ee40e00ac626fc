package org.soupofexperts.examples;

import com.google.gson.Gson;
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
import org.soupofexperts.core.train.TrainingPlan;
import org.soupofexperts.data.cluster.NearestCentroidAssigner;
import org.soupofexperts.data.sample.InMemoryDomainSampler;
import org.soupofexperts.data.sample.MetaDistributions;
import org.soupofexperts.data.synth.SyntheticCorpus;
import org.soupofexperts.data.tokenize.ByteTokenizer;
import org.soupofexperts.examples.ServeReport.LoadRun;
import org.soupofexperts.examples.experiment.Commands;
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
                        TrainingPlan.builder()
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
            report(server, cache, rss, corpus).write(out);
        }
        return 0;
    }

    /** The load runs against the running server, and what the server and the cache counted. */
    private ServeReport report(SpecialistServer server, SpecialistCache cache, RssSampler rss, SyntheticCorpus corpus)
            throws Exception {
        LoadRun quiet = load(server.uri(), corpus, 0);
        LoadRun generate = generateTokens > 0 ? load(server.uri(), corpus, generateTokens) : null;
        LoadRun underAttack = null;
        Map<String, Map<String, Long>> attackOutcomes = null;
        if (hostile) {
            try (HostileClients attack =
                    new HostileClients(server.uri().getHost(), server.port()).start(idleConnections, slowloris, 7)) {
                underAttack = load(server.uri(), corpus, 0);
                attackOutcomes = attack.outcomes();
            }
        }
        Map<String, Long> burstOutcomes = null;
        if (burst > 0) {
            // A burst of legitimate clients, each its own address: every one served or shed with an
            // answer (503 past the queue), none reset.
            String doc = String.join("\n", corpus.documents(1, 9000, 4, 150));
            byte[] body = GSON.toJson(Map.of("documents", List.of(doc))).getBytes(StandardCharsets.UTF_8);
            burstOutcomes = HostileClients.burst(server.uri().getHost(), server.port(), burst, body);
        }
        return new ServeReport(
                requests,
                clients,
                serverThreads,
                queue,
                quiet,
                generate,
                underAttack,
                attackOutcomes,
                burst,
                burstOutcomes,
                server.rejected(),
                cache.hits(),
                cache.misses(),
                cache.evictions(),
                rss.summary());
    }

    /**
     * Several client threads, each sending its share of the requests; latencies in ms. With
     * {@code newTokens} > 0 the requests are {@code /generate} for that many tokens, else {@code /loss}.
     */
    private LoadRun load(URI base, SyntheticCorpus corpus, int newTokens) throws Exception {
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
            SplittableRandom rng = new SplittableRandom(1000 + c);
            futures.add(pool.submit(() -> {
                int i;
                while ((i = next.getAndIncrement()) < requests) {
                    String body = requestBody(corpus, rng, i, newTokens);
                    long s = System.nanoTime();
                    try {
                        HttpResponse<String> r = client.send(
                                HttpRequest.newBuilder(uri)
                                        .POST(HttpRequest.BodyPublishers.ofString(body))
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
        return new LoadRun(
                uri.getPath(),
                newTokens,
                errors.get(),
                seconds,
                requests / seconds,
                quantile(sorted, 0.5),
                quantile(sorted, 0.9),
                quantile(sorted, 0.99),
                sorted[sorted.length - 1],
                RssSampler.read());
    }

    /** A specialist set of request i: 5 unseen documents, mostly from one domain, some from another. */
    private static String requestBody(SyntheticCorpus corpus, SplittableRandom rng, int i, int newTokens) {
        int main = rng.nextInt(K);
        int mixed = rng.nextInt(K);
        List<String> docs = new ArrayList<>(corpus.documents(main, 5_000_000L + 10L * i, 3 + rng.nextInt(3), 60));
        docs.addAll(corpus.documents(mixed, 6_000_000L + 10L * i, 1, 60));
        JsonObject body = new JsonObject();
        body.add("documents", GSON.toJsonTree(docs));
        if (newTokens > 0) {
            String prompt = corpus.documents(main, 7_000_000L + i, 1, 60).get(0);
            body.addProperty("prompt", prompt.substring(0, Math.min(16, prompt.length())));
            body.addProperty("maxNewTokens", newTokens);
        }
        return body.toString();
    }

    private static double quantile(double[] sorted, double q) {
        return sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    }

    private static SoupOfExperts trained(SoupConfig config, TrainingPlan training) {
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
