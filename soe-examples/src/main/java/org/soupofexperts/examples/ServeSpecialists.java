package org.soupofexperts.examples;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.core.ModelConfig;
import org.soupofexperts.core.SoupConfig;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.SpecialistCache;
import org.soupofexperts.core.train.TokenBatch;
import org.soupofexperts.core.train.TrainingConfig;
import org.soupofexperts.data.cluster.Centroids;
import org.soupofexperts.data.cluster.NearestCentroidAssigner;
import org.soupofexperts.data.embed.HashedNgramEmbedder;
import org.soupofexperts.data.sample.InMemoryDomainSampler;
import org.soupofexperts.data.sample.MetaDistributions;
import org.soupofexperts.data.synth.SyntheticCorpus;
import org.soupofexperts.data.tokenize.ByteTokenizer;
import org.soupofexperts.examples.experiment.Commands;
import org.soupofexperts.examples.experiment.Parts;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Specialists inside a running service: an HTTP endpoint (the JDK's own server) that takes a few
 * documents of a specialist domain, matches them to the domain centroids (Algorithm 3), takes the
 * specialist for that h from a {@link SpecialistCache} (instantiating it on a miss) and returns
 * its loss on those documents; then a load run from several client threads on loopback, with
 * latency percentiles and errors. The soup is trained at start on the built-in synthetic corpus.
 */
@Command(name = "serve-specialists", mixinStandardHelpOptions = true,
        description = "HTTP endpoint that scores documents with a specialist made for them, and a load run against it.")
public final class ServeSpecialists implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(ServeSpecialists.class);
    private static final int K = 4;
    private static final int CONTEXT = 64;
    private static final Gson GSON = new Gson();

    @Option(names = "--steps", defaultValue = "600", description = "training steps of the soup at start")
    int steps;

    @Option(names = "--requests", defaultValue = "1000")
    int requests;

    @Option(names = "--clients", defaultValue = "8", description = "client threads of the load run")
    int clients;

    @Option(names = "--server-threads", defaultValue = "4")
    int serverThreads;

    @Option(names = "--cache-mib", defaultValue = "64", description = "bound of the specialist cache")
    int cacheMib;

    @Option(names = "--out", defaultValue = "target/serve")
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
        List<String> docs = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int d = 0; d < K; d++) {
            List<String> dd = corpus.documents(d, 0, 200, 150);
            docs.addAll(dd);
            for (int i = 0; i < dd.size(); i++) {
                labels.add(d);
            }
            train[d] = tok.encode(String.join("\n", dd));
        }
        HashedNgramEmbedder emb = HashedNgramEmbedder.defaults().fitIdf(docs);
        Centroids centroids = Centroids.ofLabels(emb.embed(docs), labels.stream().mapToInt(Integer::intValue).toArray(), K, emb.id());
        NearestCentroidAssigner assigner = new NearestCentroidAssigner(emb, centroids, 0.0);
        SoupConfig config = SoupConfig.builder().model(ModelConfig.builder().vocabSize(tok.vocabSize()).layers(2).dModel(64)
                .heads(4).contextLength(CONTEXT).build()).domains(K).experts(4).seed(42).build();
        InMemoryDomainSampler sampler = new InMemoryDomainSampler(corpus.domainNames(), train);
        try (SoupOfExperts soup = SoupOfExperts.train(config, TrainingConfig.builder().sampler(sampler)
                        .metaDistribution(MetaDistributions.recommended(sampler.sizes())).steps(steps).batchSize(16)
                        .learningRate(2e-3).logEvery(Math.max(1, steps / 5)).build());
                SpecialistCache cache = new SpecialistCache(soup, (long) cacheMib << 20, 0.05)) {
            ExecutorService serverPool = Executors.newFixedThreadPool(serverThreads);
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
            server.setExecutor(serverPool);
            server.createContext("/loss", ex -> handle(ex, assigner, cache, tok));
            server.start();
            int port = server.getAddress().getPort();
            LOG.info("serving on http://127.0.0.1:{}/loss", port);
            try {
                JsonObject report = load(port, corpus);
                report.addProperty("cacheHits", cache.hits());
                report.addProperty("cacheMisses", cache.misses());
                report.addProperty("cacheEvictions", cache.evictions());
                write(report);
            } finally {
                server.stop(0);
                serverPool.shutdownNow();
            }
        }
        return 0;
    }

    /** POST {"documents": [...]} -> {"h": [...], "bitsPerByte": x}; 400 for a bad request. */
    private static void handle(HttpExchange ex, NearestCentroidAssigner assigner, SpecialistCache cache, ByteTokenizer tok)
            throws IOException {
        try (ex) {
            if (!"POST".equals(ex.getRequestMethod())) {
                reply(ex, 405, "{\"error\":\"POST a JSON object {\\\"documents\\\": [text, ...]}\"}");
                return;
            }
            List<String> documents = new ArrayList<>();
            try (InputStream in = ex.getRequestBody()) {
                JsonArray arr = JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8)).getAsJsonObject()
                        .getAsJsonArray("documents");
                arr.forEach(e -> documents.add(e.getAsString()));
            } catch (RuntimeException e) {
                reply(ex, 400, "{\"error\":\"expected {\\\"documents\\\": [text, ...]}\"}");
                return;
            }
            List<int[]> windows = new ArrayList<>();
            for (String d : documents) {
                int[] t = tok.encode(d);
                for (int at = 0; at + CONTEXT + 1 <= t.length; at += CONTEXT) {
                    windows.add(Arrays.copyOfRange(t, at, at + CONTEXT + 1));
                }
            }
            if (windows.isEmpty()) {
                reply(ex, 400, "{\"error\":\"documents must hold at least " + (CONTEXT + 1) + " bytes in all\"}");
                return;
            }
            double[] h = assigner.domainWeights(documents);
            double nats;
            try (SpecialistCache.Lease lease = cache.acquire(h)) {
                nats = lease.specialist().loss(TokenBatch.of(windows.toArray(new int[0][])));
            }
            JsonObject o = new JsonObject();
            o.add("h", GSON.toJsonTree(h));
            o.addProperty("bitsPerByte", nats / Math.log(2));
            reply(ex, 200, o.toString());
        } catch (RuntimeException e) {
            LOG.warn("request failed", e);
        }
    }

    private static void reply(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(b);
        }
    }

    /** Several client threads, each sending its share of the requests; latencies in ms. */
    private JsonObject load(int port, SyntheticCorpus corpus) throws Exception {
        HttpClient client = HttpClient.newBuilder().executor(Executors.newFixedThreadPool(2)).build();
        URI uri = URI.create("http://127.0.0.1:" + port + "/loss");
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
                    List<String> docs = new ArrayList<>(corpus.documents(main, 5_000_000L + 10L * i, 3 + rng.nextInt(3), 60));
                    docs.addAll(corpus.documents(mixed, 6_000_000L + 10L * i, 1, 60));
                    JsonObject body = new JsonObject();
                    body.add("documents", GSON.toJsonTree(docs));
                    long s = System.nanoTime();
                    try {
                        HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri)
                                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() != 200 || !r.body().contains("bitsPerByte")) {
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
        o.addProperty("requests", requests);
        o.addProperty("clients", clients);
        o.addProperty("serverThreads", serverThreads);
        o.addProperty("errors", errors.get());
        o.addProperty("seconds", seconds);
        o.addProperty("requestsPerSecond", requests / seconds);
        for (double q : new double[] {0.5, 0.9, 0.99}) {
            o.addProperty("p" + Math.round(q * 100) + "Millis", sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
        }
        o.addProperty("maxMillis", sorted[sorted.length - 1]);
        return o;
    }

    private void write(JsonObject r) throws IOException {
        String md = String.format("Load run: %d requests from %d client threads on loopback, %d server threads, %.1f s"
                        + " (%.0f requests/s); errors: %d.%n%n| p50 ms | p90 ms | p99 ms | max ms |%n|---:|---:|---:|---:|%n"
                        + "| %.1f | %.1f | %.1f | %.1f |%n%nSpecialist cache: %d hits, %d misses (instantiations), %d evictions.%n",
                r.get("requests").getAsInt(), r.get("clients").getAsInt(), r.get("serverThreads").getAsInt(),
                r.get("seconds").getAsDouble(), r.get("requestsPerSecond").getAsDouble(), r.get("errors").getAsInt(),
                r.get("p50Millis").getAsDouble(), r.get("p90Millis").getAsDouble(), r.get("p99Millis").getAsDouble(),
                r.get("maxMillis").getAsDouble(), r.get("cacheHits").getAsLong(), r.get("cacheMisses").getAsLong(),
                r.get("cacheEvictions").getAsLong());
        Parts.write(out.resolve("serve.md"), md);
        Parts.write(out.resolve("serve.json"), new GsonBuilder().setPrettyPrinting().create().toJson(r));
        LOG.info("load run:\n{}", md);
    }
}
