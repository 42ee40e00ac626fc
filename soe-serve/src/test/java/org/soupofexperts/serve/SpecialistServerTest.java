package org.soupofexperts.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.soupofexperts.core.Generation;
import org.soupofexperts.core.Labels;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.Specialist;
import org.soupofexperts.core.config.DomainAssigner;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.config.SoupConfig;
import org.soupofexperts.data.eval.Evaluation;
import org.soupofexperts.data.finetune.DomainWeightFit;
import org.soupofexperts.data.generate.TextGenerator;
import org.soupofexperts.data.tokenize.ByteTokenizer;

class SpecialistServerTest {

    private static final int K = 3;
    private static SoupOfExperts soup;
    private static final HttpClient CLIENT =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeAll
    static void makeSoup() {
        soup = SoupOfExperts.create(SoupConfig.builder()
                .model(ModelConfig.builder()
                        .vocabSize(256)
                        .layers(1)
                        .dModel(16)
                        .heads(2)
                        .contextLength(16)
                        .build())
                .domains(K)
                .experts(2)
                .seed(3)
                .build());
    }

    @AfterAll
    static void closeSoup() {
        soup.close();
    }

    /** h on the cache's grid (one-hot by the number of documents), so a direct instantiation is the same specialist. */
    private static final DomainAssigner BY_COUNT = new DomainAssigner() {
        @Override
        public int numDomains() {
            return K;
        }

        @Override
        public double[] domainWeights(List<String> documents) {
            double[] h = new double[K];
            h[documents.size() % K] = 1;
            return h;
        }
    };

    private static SpecialistServer.Builder server(DomainAssigner a) {
        return SpecialistServer.builder()
                .soup(soup)
                .assigner(a)
                .tokenizer(new ByteTokenizer())
                .port(0);
    }

    private static HttpResponse<String> post(SpecialistServer s, String path, String body, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(s.uri().resolve(path))
                .timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonObject json(HttpResponse<String> r) {
        return JsonParser.parseString(r.body()).getAsJsonObject();
    }

    private static final String GOOD =
            "{\"documents\": [\"the first document is long enough to predict\", \"and a second\"]}";

    @Test
    void lossIsTheSpecialistsLossAtTheDocumentsH() throws Exception {
        try (SpecialistServer s = server(BY_COUNT).build().start()) {
            HttpResponse<String> r = post(s, "loss", GOOD);
            assertEquals(200, r.statusCode(), r.body());
            JsonObject o = json(r);
            double[] h = {0, 0, 1};
            for (int i = 0; i < K; i++) {
                assertEquals(h[i], o.getAsJsonArray("h").get(i).getAsDouble());
            }
            List<String> docs = List.of("the first document is long enough to predict", "and a second");
            Evaluation.Loss expected;
            try (Specialist sp = soup.instantiate(h)) {
                expected = Evaluation.onDocuments(sp::loss, new ByteTokenizer(), docs, 16);
            }
            assertEquals(expected.bitsPerByte(), o.get("bitsPerByte").getAsDouble(), 1e-6);
            assertEquals(expected.tokens(), o.get("tokens").getAsLong());

            HttpResponse<String> w = post(s, "domain-weights", GOOD);
            assertEquals(200, w.statusCode());
            assertEquals(1.0, json(w).getAsJsonArray("h").get(2).getAsDouble());
            assertTrue(!json(w).has("bitsPerByte"));
        }
    }

    @Test
    void generateContinuesThePromptWithTheDocumentsSpecialistAndStopsAtAStopSequence() throws Exception {
        try (SpecialistServer s = server(BY_COUNT).build().start()) {
            String body = "{\"documents\": [\"a\", \"b\"], \"prompt\": \"the \", \"maxNewTokens\": 12,"
                    + " \"temperature\": 1.0, \"seed\": 4}";
            HttpResponse<String> r = post(s, "generate", body);
            assertEquals(200, r.statusCode(), r.body());
            String expected;
            double[] h = {0, 0, 1};
            try (Specialist sp = soup.instantiate(h)) {
                expected =
                        TextGenerator.of(sp, new ByteTokenizer()).generate("the ", new Generation(12, 1.0, 0, 1.0, 4));
            }
            assertEquals(expected, json(r).get("text").getAsString());
            assertEquals(1.0, json(r).getAsJsonArray("h").get(2).getAsDouble());
            if (expected.length() > 3) {
                String stop = expected.substring(2, 3);
                HttpResponse<String> cut =
                        post(s, "generate", body.replace("}", ", \"stop\": [" + new JsonPrimitive(stop) + "]}"));
                assertEquals(200, cut.statusCode(), cut.body());
                assertEquals(
                        expected.substring(0, expected.indexOf(stop)),
                        json(cut).get("text").getAsString());
            }
        }
    }

    @Test
    void aStreamedGenerateSendsEachPieceAsALineThenTheWholeTextAndH() throws Exception {
        try (SpecialistServer s = server(BY_COUNT).build().start()) {
            String body = "{\"documents\": [\"a\", \"b\"], \"prompt\": \"the \", \"maxNewTokens\": 12,"
                    + " \"temperature\": 1.0, \"seed\": 4";
            String whole = json(post(s, "generate", body + "}")).get("text").getAsString();
            HttpResponse<String> r = post(s, "generate", body + ", \"stream\": true}");
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(
                    "application/x-ndjson; charset=utf-8",
                    r.headers().firstValue("content-type").orElse(""));
            List<String> lines = r.body().lines().toList();
            assertTrue(lines.size() >= 3, "several pieces, then the end: " + lines);
            StringBuilder joined = new StringBuilder();
            for (String line : lines.subList(0, lines.size() - 1)) {
                JsonObject piece = JsonParser.parseString(line).getAsJsonObject();
                assertEquals(Set.of("text"), piece.keySet(), line);
                joined.append(piece.get("text").getAsString());
            }
            JsonObject end = JsonParser.parseString(lines.get(lines.size() - 1)).getAsJsonObject();
            assertTrue(end.get("done").getAsBoolean(), end.toString());
            assertEquals(whole, end.get("text").getAsString());
            assertEquals(whole, joined.toString(), "the pieces make the whole text");
            assertEquals(1.0, end.getAsJsonArray("h").get(2).getAsDouble());
            HttpResponse<String> bad = post(s, "generate", body + ", \"stream\": \"yes\"}");
            assertEquals(400, bad.statusCode());
            assertTrue(json(bad).get("error").getAsString().contains("'stream' must be true or false"), bad.body());
        }
    }

    @Test
    void generateRequestsOverTheBudgetOrMalformedAreRefusedBeforeAnyWork() throws Exception {
        try (SpecialistServer s = server(BY_COUNT)
                .limits(ServerLimits.defaults().withMaxTokensPerRequest(100))
                .build()
                .start()) {
            // Context 16: 40 new tokens past it read a whole context each.
            HttpResponse<String> big =
                    post(s, "generate", "{\"documents\": [\"a\"], \"prompt\": \"x\", \"maxNewTokens\": 40}");
            assertEquals(413, big.statusCode(), big.body());
            assertTrue(json(big).get("error").getAsString().contains("token positions"), big.body());
            HttpResponse<String> noPrompt = post(s, "generate", "{\"documents\": [\"a\"]}");
            assertEquals(400, noPrompt.statusCode());
            assertTrue(json(noPrompt).get("error").getAsString().contains("'prompt'"), noPrompt.body());
            HttpResponse<String> badTemp =
                    post(s, "generate", "{\"documents\": [\"a\"], \"prompt\": \"x\", \"temperature\": -1}");
            assertEquals(400, badTemp.statusCode());
            assertTrue(json(badTemp).get("error").getAsString().contains("temperature"), badTemp.body());
            HttpResponse<String> unknown =
                    post(s, "generate", "{\"documents\": [\"a\"], \"prompt\": \"x\", \"maxTokens\": 3}");
            assertEquals(400, unknown.statusCode());
            assertTrue(json(unknown).get("error").getAsString().contains("unknown field 'maxTokens'"), unknown.body());
            HttpResponse<String> small =
                    post(s, "generate", "{\"documents\": [\"a\"], \"prompt\": \"x\", \"maxNewTokens\": 5}");
            assertEquals(200, small.statusCode(), small.body());
        }
    }

    private static HttpResponse<String> getPage(SpecialistServer s, String path) throws Exception {
        return CLIENT.send(
                HttpRequest.newBuilder(s.uri().resolve(path))
                        .timeout(Duration.ofSeconds(60))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The value of a Prometheus sample line that starts with {@code prefix}, or -1 when there is none. */
    /** The value of the first line of a Prometheus page that starts with {@code prefix}; -1 if none. */
    static double sample(String page, String prefix) {
        for (String line : page.split("\n")) {
            if (line.startsWith(prefix)) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return -1;
    }

    @Test
    void metricsCountRequestsByEndpointAndStatusAndTheCachesHitsAndMisses() throws Exception {
        try (SpecialistServer s = server(BY_COUNT).build().start()) {
            assertEquals(200, post(s, "loss", GOOD).statusCode());
            assertEquals(200, post(s, "loss", GOOD).statusCode()); // the same h: a hit
            assertEquals(400, post(s, "loss", "{}").statusCode());
            assertEquals(404, post(s, "nowhere/" + "x".repeat(50), GOOD).statusCode());
            HttpResponse<String> page = getPage(s, "metrics");
            assertEquals(200, page.statusCode(), page.body());
            assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
            String m = page.body();
            assertEquals(2, sample(m, "soe_requests_seconds_count{endpoint=\"/loss\",status=\"200\"}"), m);
            assertEquals(1, sample(m, "soe_requests_seconds_count{endpoint=\"/loss\",status=\"400\"}"), m);
            assertEquals(1, sample(m, "soe_requests_seconds_count{endpoint=\"other\",status=\"404\"}"), m);
            assertEquals(1, sample(m, "soe_cache_hits_total"), m);
            assertEquals(1, sample(m, "soe_cache_misses_total"), m);
            assertEquals(1, sample(m, "soe_cache_instantiate_seconds_count"), m);
            assertTrue(sample(m, "soe_cache_instantiate_seconds_sum") > 0, m);
            assertTrue(!m.contains("nowhere"), "a client's path never becomes a tag");
        }
    }

    @Test
    void withTheApplicationsRegistryTheMetersGoThereAndMetricsIs404() throws Exception {
        var registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        try (SpecialistServer s =
                server(BY_COUNT).meterRegistry(registry).build().start()) {
            assertEquals(200, post(s, "domain-weights", GOOD).statusCode());
            assertEquals(404, getPage(s, "metrics").statusCode());
            assertEquals(
                    1,
                    registry.get("soe.requests")
                            .tag("endpoint", "/domain-weights")
                            .timer()
                            .count());
        }
    }

    @Test
    void badBodiesGet400WithAMessageAndTheServerKeepsServing() throws Exception {
        String deep = "{\"documents\": " + "[".repeat(200_000);
        List<String> bad = List.of(
                "",
                "not json",
                "[]",
                "{\"documents\": 5}",
                "{\"documents\": [1]}",
                "{\"documents\": [[\"a\"]]}",
                deep,
                "[".repeat(200_000),
                "{\"x\": 1}",
                "{\"documents\": []}",
                "{\"documents\": [\"a\"]}",
                "{\"documents\": [\"abc\"], \"documents\": [\"abc\"]}",
                GOOD + " trailing");
        try (SpecialistServer s = server(BY_COUNT).build().start()) {
            for (String body : bad) {
                HttpResponse<String> r = post(s, "loss", body);
                String what = body.substring(0, Math.min(40, body.length()));
                assertEquals(400, r.statusCode(), what + " -> " + r.body());
                assertEquals(400, json(r).get("status").getAsInt());
                assertTrue(json(r).get("error").getAsString().length() > 5, what);
            }
            HttpResponse<String> notUtf8 = CLIENT.send(
                    HttpRequest.newBuilder(s.uri().resolve("loss"))
                            .POST(HttpRequest.BodyPublishers.ofByteArray(
                                    new byte[] {'{', (byte) 0xC3, (byte) 0x28, '}'}))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(400, notUtf8.statusCode());
            assertTrue(notUtf8.body().contains("UTF-8"), notUtf8.body());
            assertEquals(200, post(s, "loss", GOOD).statusCode());
        }
    }

    @Test
    void bodiesOverTheLimitGet413WhetherDeclaredOrChunked() throws Exception {
        try (SpecialistServer s = server(BY_COUNT)
                .limits(ServerLimits.defaults().withMaxBodyBytes(4096))
                .build()
                .start()) {
            String big = "{\"documents\": [\"" + "x".repeat(10_000) + "\"]}";
            HttpResponse<String> declared = post(s, "loss", big);
            assertEquals(413, declared.statusCode(), declared.body());
            // A stream of unknown length goes out chunked: the server must stop at the limit.
            HttpResponse<String> chunked = CLIENT.send(
                    HttpRequest.newBuilder(s.uri().resolve("loss"))
                            .POST(HttpRequest.BodyPublishers.ofInputStream(
                                    () -> new ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8))))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(413, chunked.statusCode(), chunked.body());
            assertEquals(200, post(s, "loss", GOOD).statusCode());
        }
    }

    @Test
    void tooManyDocumentsGet400() throws Exception {
        try (SpecialistServer s = server(BY_COUNT)
                .limits(ServerLimits.defaults().withMaxDocuments(2))
                .build()
                .start()) {
            HttpResponse<String> r = post(s, "loss", "{\"documents\": [\"abcdef\", \"abcdef\", \"abcdef\"]}");
            assertEquals(400, r.statusCode());
            assertTrue(r.body().contains("more than 2 documents"), r.body());
        }
    }

    @Test
    void aTokenIsRequiredWhenSetAndHealthNeedsNone() throws Exception {
        String token = "0123456789abcdef-secret";
        try (SpecialistServer s = server(BY_COUNT).token(token).build().start()) {
            HttpResponse<String> none = post(s, "loss", GOOD);
            assertEquals(401, none.statusCode());
            assertEquals("Bearer", none.headers().firstValue("WWW-Authenticate").orElse(""));
            assertEquals(
                    401,
                    post(s, "loss", GOOD, "Authorization", "Bearer " + token + "x")
                            .statusCode());
            assertEquals(
                    200,
                    post(s, "loss", GOOD, "Authorization", "Bearer " + token).statusCode());
            HttpResponse<String> health = CLIENT.send(
                    HttpRequest.newBuilder(s.uri().resolve("health")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode());
        }
    }

    @Test
    void bindingBeyondLoopbackWithoutATokenIsRefused() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> server(BY_COUNT).host("0.0.0.0").build());
        assertTrue(e.getMessage().contains("token"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> server(BY_COUNT).token("short"));
    }

    @Test
    void timeoutsOutsideOneMillisecondToAYearAreRefusedByName() {
        ServerLimits d = ServerLimits.defaults();
        for (Duration bad : new Duration[] {
            Duration.ZERO, Duration.ofNanos(999_999), Duration.ofDays(366), Duration.ofSeconds(Long.MAX_VALUE)
        }) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> d.withQueue(4, bad), bad.toString());
            assertTrue(e.getMessage().contains("queueTimeout must be from 1 ms to 365 days"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> d.withIdleTimeout(bad), bad.toString());
            assertTrue(e.getMessage().contains("idleTimeout must be from 1 ms to 365 days"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> d.withQueue(4, null));
        assertEquals(Duration.ofDays(365), d.withQueue(4, Duration.ofDays(365)).queueTimeout());
    }

    @Test
    void anAssignerOfAnotherDomainCountIsRefused() {
        DomainAssigner two = new DomainAssigner() {
            @Override
            public int numDomains() {
                return 2;
            }

            @Override
            public double[] domainWeights(List<String> documents) {
                return new double[] {1, 0};
            }
        };
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> server(two).build());
        assertTrue(e.getMessage().contains("2 domains"), e.getMessage());
    }

    /** Domain names the soup records come back beside h; a tokenizer other than the soup's is refused. */
    @Test
    void recordedDomainNamesComeBackAndAnotherTokenizerIsRefused() throws Exception {
        try (SoupOfExperts named = SoupOfExperts.create(soup.config())) {
            named.label(Labels.ofDomains(List.of("a", "b", "c")).withTokenizer(new ByteTokenizer().id(), 256));
            try (SpecialistServer s = SpecialistServer.builder()
                    .soup(named)
                    .assigner(BY_COUNT)
                    .tokenizer(new ByteTokenizer())
                    .port(0)
                    .build()
                    .start()) {
                JsonObject o = json(post(s, "domain-weights", GOOD));
                assertEquals("c", o.getAsJsonArray("domains").get(2).getAsString(), o.toString());
            }
            named.label(Labels.NONE.withTokenizer("hf:other", 200));
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class,
                    () -> SpecialistServer.builder()
                            .soup(named)
                            .assigner(BY_COUNT)
                            .tokenizer(new ByteTokenizer())
                            .port(0)
                            .build());
            assertTrue(e.getMessage().contains("hf:other"), e.getMessage());
        }
    }

    @Test
    void wrongMethodGets405AndUnknownPathGets404() throws Exception {
        try (SpecialistServer s = server(BY_COUNT).build().start()) {
            HttpResponse<String> get = CLIENT.send(
                    HttpRequest.newBuilder(s.uri().resolve("loss")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(405, get.statusCode());
            assertEquals("POST", get.headers().firstValue("Allow").orElse(""));
            assertEquals(404, post(s, "nothing-here", GOOD).statusCode());
        }
    }

    /**
     * {@link #BY_COUNT}, except that its first {@code blocking} calls signal {@code entered} and
     * wait for {@code release}: a request held in a worker for as long as a test needs.
     */
    private static DomainAssigner blockingAssigner(int blocking, CountDownLatch entered, CountDownLatch release) {
        AtomicInteger calls = new AtomicInteger();
        return new DomainAssigner() {
            @Override
            public int numDomains() {
                return K;
            }

            @Override
            public double[] domainWeights(List<String> documents) {
                if (calls.getAndIncrement() < blocking) {
                    entered.countDown();
                    try {
                        release.await(60, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return BY_COUNT.domainWeights(documents);
            }
        };
    }

    /** A {@code /loss} request sent now, once a worker holds it in a {@link #blockingAssigner}. */
    private static CompletableFuture<HttpResponse<String>> held(SpecialistServer s, CountDownLatch entered)
            throws InterruptedException {
        CompletableFuture<HttpResponse<String>> sent = CLIENT.sendAsync(
                HttpRequest.newBuilder(s.uri().resolve("loss"))
                        .POST(HttpRequest.BodyPublishers.ofString(GOOD))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertTrue(entered.await(60, TimeUnit.SECONDS), "a worker took the request");
        return sent;
    }

    /** One worker, no queue: while it is busy, the next request gets 503 with Retry-After at once. */
    @Test
    void aFullQueueGets503AndTheBusyRequestStillCompletes() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        DomainAssigner blocking = blockingAssigner(Integer.MAX_VALUE, entered, release);
        ServerLimits oneWorker = ServerLimits.defaults().withWorkers(1).withQueue(0, Duration.ofSeconds(10));
        try (SpecialistServer s = server(blocking).limits(oneWorker).build().start()) {
            CompletableFuture<HttpResponse<String>> first = held(s, entered);
            HttpResponse<String> second = post(s, "loss", GOOD);
            assertEquals(503, second.statusCode(), second.body());
            assertEquals("1", second.headers().firstValue("Retry-After").orElse(""));
            assertEquals(1, s.rejected());
            release.countDown();
            assertEquals(200, first.get(60, TimeUnit.SECONDS).statusCode());
        }
    }

    /**
     * A request that waits in the queue past the queue timeout gets 503 then, while the worker is
     * still busy (not when it is free at last), and its place goes back: the next request queues.
     */
    @Test
    void aRequestWaitingPastTheQueueTimeoutGets503WhileTheWorkerIsStillBusy() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        DomainAssigner firstBlocks = blockingAssigner(1, entered, release);
        ServerLimits oneWorker = ServerLimits.defaults().withWorkers(1).withQueue(1, Duration.ofMillis(200));
        try (SpecialistServer s = server(firstBlocks).limits(oneWorker).build().start()) {
            CompletableFuture<HttpResponse<String>> first = held(s, entered);
            for (int i = 0; i < 2; i++) {
                // The second time the queue's one place must be free again.
                String waited = rawPost(s, "127.0.0." + (2 + i), "/loss", GOOD);
                assertTrue(waited.startsWith("HTTP/1.1 503"), waited);
                assertTrue(waited.contains("waited longer than 200 ms for a worker"), waited);
                assertTrue(waited.contains("Retry-After: 1"), waited);
                assertFalse(first.isDone(), "answered while the worker is still busy");
            }
            assertEquals(2, s.rejected());
            release.countDown();
            assertEquals(200, first.get(60, TimeUnit.SECONDS).statusCode());
            assertEquals(200, post(s, "loss", GOOD).statusCode(), "the timed-out requests left nothing behind");
        }
    }

    /**
     * A client that already has its share of requests queued or running gets 429 at once, while
     * another client (another loopback address) is served; the share comes back with the answer.
     */
    @Test
    void aClientHoldingItsShareGets429WhileAnotherClientIsServed() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        DomainAssigner firstBlocks = blockingAssigner(1, entered, release);
        ServerLimits onePerClient = ServerLimits.defaults().withMaxInFlightPerClient(1);
        try (SpecialistServer s =
                server(firstBlocks).limits(onePerClient).build().start()) {
            CompletableFuture<HttpResponse<String>> first = held(s, entered);
            HttpResponse<String> again = post(s, "loss", GOOD);
            assertEquals(429, again.statusCode(), again.body());
            assertEquals("1", again.headers().firstValue("Retry-After").orElse(""));
            assertTrue(json(again).get("error").getAsString().contains("already has 1 requests"), again.body());
            // Another address is not held back by the first client's share.
            String other = rawPost(s, "127.0.0.2", "/loss", GOOD);
            assertTrue(other.startsWith("HTTP/1.1 200"), other);
            release.countDown();
            assertEquals(200, first.get(60, TimeUnit.SECONDS).statusCode());
            // Its share is back as soon as its answer is: the next request is served.
            assertEquals(200, post(s, "loss", GOOD).statusCode());
        }
    }

    /** The cost is counted before any work: more tokens than a request may score get 413, the assigner unused. */
    @Test
    void aRequestOverTheTokenBudgetGets413BeforeAnyWork() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        DomainAssigner counting = new DomainAssigner() {
            @Override
            public int numDomains() {
                return K;
            }

            @Override
            public double[] domainWeights(List<String> documents) {
                calls.incrementAndGet();
                return BY_COUNT.domainWeights(documents);
            }
        };
        try (SpecialistServer s = server(counting)
                .limits(ServerLimits.defaults().withMaxTokensPerRequest(100))
                .build()
                .start()) {
            HttpResponse<String> big = post(s, "loss", "{\"documents\": [\"" + "x".repeat(150) + "\"]}");
            assertEquals(413, big.statusCode(), big.body());
            assertTrue(json(big).get("error").getAsString().contains("send them in several requests"), big.body());
            assertEquals(0, calls.get(), "no work before the cost is known");
            assertEquals(200, post(s, "loss", GOOD).statusCode(), "a request within the budget is served");
        }
    }

    @Test
    void aFitOfHCountsItsTokenPositionsAgainstTheBudgetAndAFitOverItIsRefusedAtBuild() throws Exception {
        // 3 losses on 2 windows of 16 + 1 tokens: 102 positions per request, whatever the documents.
        DomainWeightFit fit = DomainWeightFit.builder()
                .soup(soup)
                .tokenizer(new ByteTokenizer())
                .start(BY_COUNT)
                .windows(2)
                .maxEvaluations(3)
                .build();
        assertEquals(102, fit.maxTokenPositions());
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> server(fit)
                        .limits(ServerLimits.defaults().withMaxTokensPerRequest(101))
                        .build());
        assertTrue(e.getMessage().contains("reads up to 102 token positions"), e.getMessage());
        // GOOD holds 60 tokens: with the fit's 102 a /loss costs 162.
        try (SpecialistServer s = server(fit)
                .limits(ServerLimits.defaults().withMaxTokensPerRequest(161))
                .build()
                .start()) {
            HttpResponse<String> over = post(s, "loss", GOOD);
            assertEquals(413, over.statusCode(), over.body());
            assertTrue(json(over).get("error").getAsString().contains("with the fit of h, 162 positions"), over.body());
            HttpResponse<String> w = post(s, "domain-weights", GOOD);
            assertEquals(200, w.statusCode(), w.body());
        }
        // A wrapper that passes the fit's cost on is counted the same (an application's decorator).
        DomainAssigner wrapped = new DomainAssigner() {
            @Override
            public int numDomains() {
                return fit.numDomains();
            }

            @Override
            public double[] domainWeights(List<String> documents) {
                return fit.domainWeights(documents);
            }

            @Override
            public long maxTokenPositions() {
                return fit.maxTokenPositions();
            }
        };
        // 102 + one document of one window (16 + 1 tokens + 2) = 121: a budget of 120 serves nothing.
        e = assertThrows(
                IllegalArgumentException.class,
                () -> server(wrapped)
                        .limits(ServerLimits.defaults().withMaxTokensPerRequest(120))
                        .build());
        assertTrue(e.getMessage().contains("leaves less than the 19"), e.getMessage());
        try (SpecialistServer s = server(wrapped)
                .limits(ServerLimits.defaults().withMaxTokensPerRequest(162))
                .build()
                .start()) {
            HttpResponse<String> r = post(s, "loss", GOOD);
            assertEquals(200, r.statusCode(), r.body());
            double[] h = fit.domainWeights(List.of("the first document is long enough to predict", "and a second"));
            for (int i = 0; i < K; i++) {
                assertEquals(h[i], json(r).getAsJsonArray("h").get(i).getAsDouble(), 1e-12);
            }
            // Documents shorter than one window get the start's h (BY_COUNT: one document, index 1), not a 400.
            HttpResponse<String> shortDoc = post(s, "domain-weights", "{\"documents\": [\"tiny\"]}");
            assertEquals(200, shortDoc.statusCode(), shortDoc.body());
            assertEquals(1.0, json(shortDoc).getAsJsonArray("h").get(1).getAsDouble(), shortDoc.body());
        }
    }

    /** Errors that Jetty answers itself (a malformed request, headers too large) are JSON too, not HTML. */
    @Test
    void jettysOwnErrorsAreJson() throws Exception {
        try (SpecialistServer s = server(BY_COUNT).build().start()) {
            String bad = raw(s, "127.0.0.1", "GARBAGE\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertTrue(bad.startsWith("HTTP/1.1 400"), bad);
            assertTrue(bad.contains("application/json") && bad.contains("\"status\":400"), bad);
            String headers = "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(9000) + "\r\n\r\n";
            String big = raw(s, "127.0.0.1", headers.getBytes(StandardCharsets.US_ASCII));
            assertTrue(big.startsWith("HTTP/1.1 431"), big);
            assertTrue(big.contains("application/json") && big.contains("\"status\":431"), big);
        }
    }

    /** A POST from the given local address over a raw socket; the whole answer as text. */
    private static String rawPost(SpecialistServer s, String from, String path, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        String head = "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                + b.length + "\r\nConnection: close\r\n\r\n";
        byte[] head8 = head.getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[head8.length + b.length];
        System.arraycopy(head8, 0, all, 0, head8.length);
        System.arraycopy(b, 0, all, head8.length, b.length);
        return raw(s, from, all);
    }

    private static String raw(SpecialistServer s, String from, byte[] request) throws IOException {
        try (Socket socket = new Socket()) {
            socket.setSoTimeout(60_000);
            socket.bind(new InetSocketAddress(from, 0));
            socket.connect(new InetSocketAddress(s.uri().getHost(), s.port()), 10_000);
            OutputStream out = socket.getOutputStream();
            out.write(request);
            out.flush();
            socket.shutdownOutput();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void aFailureGets500WithAStatusAndTheServerKeepsServing() throws Exception {
        DomainAssigner failing = new DomainAssigner() {
            @Override
            public int numDomains() {
                return K;
            }

            @Override
            public double[] domainWeights(List<String> documents) {
                if (documents.get(0).startsWith("fail")) {
                    throw new IllegalStateException("boom");
                }
                return BY_COUNT.domainWeights(documents);
            }
        };
        try (SpecialistServer s = server(failing).build().start()) {
            HttpResponse<String> r = post(s, "loss", "{\"documents\": [\"fail now please, the text is long\"]}");
            assertEquals(500, r.statusCode());
            assertEquals(500, json(r).get("status").getAsInt());
            assertEquals(200, post(s, "loss", GOOD).statusCode());
        }
    }

    /**
     * Clients that stop half-way through their headers or their body hold connections, not
     * workers: a legitimate request is answered while they hang, and the idle timeout then
     * closes them.
     */
    @Test
    void slowClientsNeitherStarveOthersNorStayForever() throws Exception {
        ServerLimits quick = ServerLimits.defaults().withIdleTimeout(Duration.ofSeconds(2));
        try (SpecialistServer s = server(BY_COUNT).limits(quick).build().start()) {
            List<Socket> slow = new ArrayList<>();
            try {
                for (int i = 0; i < 24; i++) {
                    Socket c = new Socket(s.uri().getHost(), s.port());
                    OutputStream out = c.getOutputStream();
                    out.write(
                            i % 2 == 0
                                    ? "POST /loss HTTP/1.1\r\nHost: x\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII)
                                    : "POST /loss HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"documents\": [\"ab"
                                            .getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    slow.add(c);
                }
                assertEquals(200, post(s, "loss", GOOD).statusCode(), "a legitimate request among 24 stalled ones");
                for (Socket c : slow) {
                    c.setSoTimeout(30_000);
                    InputStream in = c.getInputStream();
                    // The server answers (408/400) or just closes; either way the read ends, never hangs.
                    byte[] buf = new byte[4096];
                    while (in.read(buf) >= 0) {
                        // drain until the server closes the connection
                    }
                }
            } finally {
                for (Socket c : slow) {
                    c.close();
                }
            }
        }
    }

    @Test
    void aRequestScoredForLongerThanTheIdleTimeoutIsStillAnswered() throws Exception {
        // A fit of alpha can take a minute: the connection is idle meanwhile, but the client waits
        // (Jetty runs a connection's idle timeout against a pending read or write, not a handled request).
        DomainAssigner slow = new DomainAssigner() {
            @Override
            public int numDomains() {
                return K;
            }

            @Override
            public double[] domainWeights(List<String> documents) {
                try {
                    Thread.sleep(1500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return BY_COUNT.domainWeights(documents);
            }
        };
        ServerLimits quick = ServerLimits.defaults().withIdleTimeout(Duration.ofMillis(300));
        try (SpecialistServer s = server(slow).limits(quick).build().start()) {
            HttpResponse<String> r = post(s, "loss", GOOD);
            assertEquals(200, r.statusCode(), r.body());
        }
    }

    @Test
    void aPortInUseIsAClearIOException() throws Exception {
        try (SpecialistServer s = server(BY_COUNT).build().start()) {
            IOException e = assertThrows(
                    IOException.class,
                    () -> server(BY_COUNT).port(s.port()).build().start());
            assertTrue(e.getMessage() != null && !e.getMessage().isEmpty());
        }
    }

    @Test
    void theServerDoesNotServeAfterClose() throws Exception {
        SpecialistServer s = server(BY_COUNT).build().start();
        URI u = s.uri().resolve("health");
        s.close();
        assertNotServing(u);
    }

    @Test
    void aCloseFromAnInterruptedThreadStillStopsTheServerAndKeepsTheInterrupt() throws Exception {
        // How `soe serve` stops when its thread is interrupted: the stop must not be cut short.
        SpecialistServer s = server(BY_COUNT).build().start();
        URI u = s.uri().resolve("health");
        Thread.currentThread().interrupt();
        s.close();
        assertTrue(Thread.interrupted(), "the caller's interrupt is kept (and cleared here)");
        assertNotServing(u);
    }

    /** A request to {@code u} fails to connect: nothing listens there any more. */
    private static void assertNotServing(URI u) {
        assertThrows(
                IOException.class,
                () -> CLIENT.send(
                        HttpRequest.newBuilder(u)
                                .timeout(Duration.ofSeconds(10))
                                .build(),
                        HttpResponse.BodyHandlers.ofString()));
    }
}
