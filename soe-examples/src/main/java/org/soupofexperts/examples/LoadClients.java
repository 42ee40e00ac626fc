package org.soupofexperts.examples;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.soupofexperts.data.synth.SyntheticCorpus;
import org.soupofexperts.examples.ServeReport.LoadRun;

/**
 * The legitimate clients of {@link ServeSpecialists}' load runs: client threads sharing a fixed
 * number of requests, each a specialist set of unseen synthetic documents (for {@code /loss}) or
 * those documents and a prompt (for {@code /generate}); latencies, errors and throughput.
 */
final class LoadClients {

    private static final Gson GSON = new Gson();

    private final SyntheticCorpus corpus;
    private final int domains;
    private final int requests;
    private final int clients;

    LoadClients(SyntheticCorpus corpus, int domains, int requests, int clients) {
        this.corpus = corpus;
        this.domains = domains;
        this.requests = requests;
        this.clients = clients;
    }

    /**
     * Several client threads, each sending its share of the requests; latencies in ms. With
     * {@code newTokens} > 0 the requests are {@code /generate} for that many tokens, else {@code /loss}.
     */
    LoadRun run(URI base, int newTokens) throws Exception {
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
                    String body = requestBody(rng, i, newTokens);
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
    private String requestBody(SplittableRandom rng, int i, int newTokens) {
        int main = rng.nextInt(domains);
        int mixed = rng.nextInt(domains);
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

    /**
     * {@code n} clients, each from its own loopback address (127.0.1.1, 127.0.1.2, ...), each
     * sending one valid {@code /loss} request with {@code body} at the same moment; the count of
     * each outcome (status code, or "closed": a connection reset or closed without an answer).
     */
    static Map<String, Long> burst(String host, int port, int n, byte[] body) throws InterruptedException {
        if (n < 1 || n > 254 * 254) {
            throw new IllegalArgumentException("a burst needs 1 to 64,516 clients, got " + n);
        }
        Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> clients = new ArrayList<>();
        byte[] raw = HostileClients.body(body, false);
        for (int i = 0; i < n; i++) {
            String from = "127.0." + (1 + i / 254) + "." + (1 + i % 254);
            Thread t = new Thread(() -> {
                String outcome;
                try {
                    go.await();
                    outcome = HostileClients.send(host, port, raw, from);
                } catch (IOException e) {
                    outcome = "closed";
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    outcome = "interrupted";
                }
                counts.computeIfAbsent(outcome, k -> new AtomicLong()).incrementAndGet();
            });
            t.setDaemon(true);
            clients.add(t);
            t.start();
        }
        go.countDown();
        for (Thread t : clients) {
            t.join(120_000);
        }
        Map<String, Long> out = new TreeMap<>();
        counts.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }
}
