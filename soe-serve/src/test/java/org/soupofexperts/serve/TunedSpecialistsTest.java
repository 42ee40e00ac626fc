package org.soupofexperts.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.Specialist;
import org.soupofexperts.core.config.DomainAssigner;
import org.soupofexperts.core.config.ExpertInit;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.data.eval.Evaluation;
import org.soupofexperts.data.finetune.DomainWeightFit;
import org.soupofexperts.data.tokenize.ByteTokenizer;

/** A server whose assigner is a fit of alpha: each request gets the specialist fitted to its documents. */
class TunedSpecialistsTest {

    private static final int K = 3;
    private static final int CONTEXT = 16;
    private static final List<String> DOCS = List.of(
            "the first document is long enough to predict, and more than one window of it",
            "a second document, written in another way entirely");
    private static final String BODY = "{\"documents\": [\"" + DOCS.get(0) + "\", \"" + DOCS.get(1) + "\"]}";
    private static final HttpClient CLIENT =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private static SoupOfExperts soup;

    /** A fixed start h, away from the simplex's corners, that the fit moves from. */
    private static final DomainAssigner START = new DomainAssigner() {
        @Override
        public int numDomains() {
            return K;
        }

        @Override
        public double[] domainWeights(List<String> documents) {
            return new double[] {0.5, 0.25, 0.25};
        }
    };

    @BeforeAll
    static void makeSoup() {
        // Noisy experts, so that alpha changes the model (zero experts would make every alpha alike).
        soup = soup(5);
    }

    private static SoupOfExperts soup(long seed) {
        return SoupOfExperts.builder()
                .model(ModelConfig.builder()
                        .vocabSize(256)
                        .layers(1)
                        .dModel(16)
                        .heads(2)
                        .contextLength(CONTEXT)
                        .build())
                .domains(K)
                .experts(4)
                .expertInit(ExpertInit.SCALED_NOISE)
                .seed(seed)
                .build();
    }

    @AfterAll
    static void closeSoup() {
        soup.close();
    }

    private static DomainWeightFit.Builder fit(SoupOfExperts s) {
        return fit(s, START);
    }

    private static DomainWeightFit.Builder fit(SoupOfExperts s, DomainAssigner start) {
        return DomainWeightFit.builder()
                .soup(s)
                .tokenizer(new ByteTokenizer())
                .start(start)
                .windows(2)
                .maxEvaluations(7);
    }

    private static SpecialistServer server(DomainAssigner a) {
        return SpecialistServer.builder()
                .soup(soup)
                .assigner(a)
                .tokenizer(new ByteTokenizer())
                .port(0)
                .build();
    }

    private static JsonObject post(SpecialistServer s, String path, String body) throws Exception {
        HttpResponse<String> r = send(s, path, body);
        assertEquals(200, r.statusCode(), r.body());
        return JsonParser.parseString(r.body()).getAsJsonObject();
    }

    private static HttpResponse<String> send(SpecialistServer s, String path, String body) throws Exception {
        return CLIENT.send(
                HttpRequest.newBuilder(s.uri().resolve(path))
                        .timeout(Duration.ofSeconds(60))
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static void assertNumbers(double[] expected, JsonArray got) {
        assertEquals(expected.length, got.size(), got.toString());
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], got.get(i).getAsDouble(), 1e-12, got.toString());
        }
    }

    @Test
    void lossAndGenerateUseTheSpecialistAtTheDocumentsFittedLayerWiseAlpha() throws Exception {
        DomainWeightFit tuned =
                fit(soup).alphaEvaluations(9).layerSteps(3).layerRate(0.5).build();
        DomainWeightFit.Result expected = tuned.fit(DOCS);
        double[][] rows = expected.layerAlpha();
        assertEquals(soup.layerGroups(), rows.length);
        Evaluation.Loss atRows;
        Evaluation.Loss atH;
        try (Specialist sp = tuned.instantiate(expected);
                Specialist plain = soup.instantiate(expected.h())) {
            atRows = Evaluation.onDocuments(sp::loss, new ByteTokenizer(), DOCS, CONTEXT);
            atH = Evaluation.onDocuments(plain::loss, new ByteTokenizer(), DOCS, CONTEXT);
        }
        // The check below can tell the two specialists apart.
        assertTrue(Math.abs(atRows.bitsPerByte() - atH.bitsPerByte()) > 1e-4, atRows + " vs " + atH);
        try (SpecialistServer s = server(tuned).start()) {
            JsonObject o = post(s, "loss", BODY);
            assertNumbers(expected.h(), o.getAsJsonArray("h"));
            assertNumbers(expected.alpha(), o.getAsJsonArray("alpha"));
            JsonArray layers = o.getAsJsonArray("layerAlpha");
            assertEquals(rows.length, layers.size());
            for (int g = 0; g < rows.length; g++) {
                assertNumbers(rows[g], layers.get(g).getAsJsonArray());
            }
            assertEquals(atRows.bitsPerByte(), o.get("bitsPerByte").getAsDouble(), 1e-6);
            assertFalse(o.get("fitStoppedEarly").getAsBoolean(), o.toString());

            JsonObject g = post(
                    s,
                    "generate",
                    "{\"documents\": "
                            + JsonParser.parseString(BODY).getAsJsonObject().get("documents")
                            + ", \"prompt\": \"the \", \"maxNewTokens\": 3}");
            assertNumbers(expected.alpha(), g.getAsJsonArray("alpha"));
            assertEquals(rows.length, g.getAsJsonArray("layerAlpha").size());
            assertTrue(g.has("text"), g.toString());

            HttpResponse<String> streamed = CLIENT.send(
                    HttpRequest.newBuilder(s.uri().resolve("generate"))
                            .POST(HttpRequest.BodyPublishers.ofString("{\"documents\": "
                                    + JsonParser.parseString(BODY)
                                            .getAsJsonObject()
                                            .get("documents")
                                    + ", \"prompt\": \"the \", \"maxNewTokens\": 3, \"stream\": true}"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, streamed.statusCode(), streamed.body());
            String[] lines = streamed.body().trim().split("\n");
            JsonObject done = JsonParser.parseString(lines[lines.length - 1]).getAsJsonObject();
            assertTrue(done.has("done"), streamed.body());
            assertNumbers(expected.alpha(), done.getAsJsonArray("alpha"));
            assertEquals(rows.length, done.getAsJsonArray("layerAlpha").size());

            // /domain-weights stays the fit of h alone.
            JsonObject w = post(s, "domain-weights", BODY);
            assertNumbers(tuned.domainWeights(DOCS), w.getAsJsonArray("h"));
            assertFalse(w.has("alpha"), w.toString());
            assertFalse(w.get("fitStoppedEarly").getAsBoolean(), w.toString());
            // Three fits on /loss and /generate (one streamed), one of h alone on /domain-weights.
            assertEquals(4, SpecialistServerTest.sample(metrics(s), "soe_fits_seconds_count{outcome=\"complete\"}"));
        }
    }

    @Test
    void documentsTooShortToFitGetTheCachedSpecialistOfTheStartH() throws Exception {
        DomainWeightFit tuned = fit(soup).alphaEvaluations(9).build();
        try (SpecialistServer s = server(tuned).start()) {
            JsonObject o = post(s, "loss", "{\"documents\": [\"short\"]}");
            assertNumbers(new double[] {0.5, 0.25, 0.25}, o.getAsJsonArray("h"));
            assertFalse(o.has("alpha"), o.toString());
        }
    }

    @Test
    void theFitsAlphaAndLayerStepsCountAgainstTheBudgetBeforeAnyRequest() {
        // 2 windows of 17 positions: 7 losses of h (238), 9 of alpha (306), 3 + 1 layer-wise losses
        // with gradients at three passes each (408).
        DomainWeightFit tuned = fit(soup).alphaEvaluations(9).layerSteps(3).build();
        assertEquals(238, tuned.maxTokenPositions());
        assertEquals(238 + 306 + 408, tuned.maxSpecializePositions());
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> SpecialistServer.builder()
                        .soup(soup)
                        .assigner(tuned)
                        .tokenizer(new ByteTokenizer())
                        .limits(ServerLimits.defaults().withMaxTokensPerRequest(952))
                        .build());
        assertTrue(e.getMessage().contains("fit of h and alpha reads up to 952 token positions"), e.getMessage());
    }

    @Test
    void aFitOfAlphaOverAnotherSoupIsRefused() {
        try (SoupOfExperts other = soup(6)) {
            DomainWeightFit elsewhere = fit(other).alphaEvaluations(9).build();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> server(elsewhere));
            assertTrue(e.getMessage().contains("another soup"), e.getMessage());
        }
    }

    @Test
    void aPromptOrStopSequenceThatGenerationRefusesIsRefusedBeforeTheFit() throws Exception {
        // Every fit starts by asking the start assigner for h: no call means no fit was begun.
        AtomicInteger starts = new AtomicInteger();
        DomainWeightFit tuned = fit(soup, start(0, starts)).alphaEvaluations(9).build();
        String docs =
                JsonParser.parseString(BODY).getAsJsonObject().get("documents").toString();
        try (SpecialistServer s = server(tuned).start()) {
            int before = starts.get();
            HttpResponse<String> empty = send(s, "generate", "{\"documents\": " + docs + ", \"prompt\": \"\"}");
            assertEquals(400, empty.statusCode(), empty.body());
            assertTrue(empty.body().contains("the prompt encodes to no tokens"), empty.body());
            assertEquals(before, starts.get(), "a fit was begun for an empty prompt");
            HttpResponse<String> stop =
                    send(s, "generate", "{\"documents\": " + docs + ", \"prompt\": \"the \", \"stop\": [\"\"]}");
            assertEquals(400, stop.statusCode(), stop.body());
            assertTrue(stop.body().contains("a stop sequence must have 1 to 256 characters"), stop.body());
            assertEquals(before, starts.get(), "a fit was begun for an empty stop sequence");
            // The same request with a prompt is fitted: the count can move.
            post(s, "generate", "{\"documents\": " + docs + ", \"prompt\": \"the \", \"maxNewTokens\": 1}");
            assertTrue(starts.get() > before);
        }
    }

    @Test
    void documentsTooShortToFitAreChargedOnlyTheStartAssigner() throws Exception {
        DomainWeightFit tuned = fit(soup, start(500, new AtomicInteger()))
                .alphaEvaluations(9)
                .layerSteps(3)
                .build();
        // h: 238 and the start's 500; alpha 306; layer-wise 408.
        assertEquals(1452, tuned.maxSpecializePositions());
        // The least budget the server accepts with this fit: 1,452 positions and one window (16 + 3).
        try (SpecialistServer s = SpecialistServer.builder()
                .soup(soup)
                .assigner(tuned)
                .tokenizer(new ByteTokenizer())
                .port(0)
                .limits(ServerLimits.defaults().withMaxTokensPerRequest(1452 + CONTEXT + 3))
                .build()
                .start()) {
            // 7 positions of documents, then 16 + 28 x 16 for a prompt of 4 tokens and 40 new ones:
            // 471, and 971 with the start's 500, within the budget; 1,923 with the whole fit.
            JsonObject o = post(s, "generate", generate("short", 40));
            assertNumbers(new double[] {0.5, 0.25, 0.25}, o.getAsJsonArray("h"));
            assertFalse(o.has("alpha"), o.toString());
            // 75 new tokens: 7 + 16 + 63 x 16 = 1,031, past the budget only with the start's 500.
            HttpResponse<String> start = send(s, "generate", generate("short", 75));
            assertEquals(413, start.statusCode(), start.body());
            assertTrue(start.body().contains("the start assigner's h takes 500"), start.body());
            // Documents long enough to fit are charged the whole fit.
            HttpResponse<String> fitted = send(s, "loss", BODY);
            assertEquals(413, fitted.statusCode(), fitted.body());
            assertTrue(fitted.body().contains("the fit of h and alpha takes 1452"), fitted.body());
            assertTrue(fitted.body().contains("counting 2 more per document"), fitted.body());
        }
    }

    @Test
    void aFitPastItsTimeLimitAnswersAtTheBestFoundSaysSoAndIsCounted() throws Exception {
        // The limit passes while the start's loss is computed: the fit stops there.
        DomainWeightFit limited = fit(soup)
                .alphaEvaluations(9)
                .layerSteps(3)
                .timeLimit(Duration.ofNanos(1))
                .build();
        try (SpecialistServer s = server(limited).start();
                Specialist atStart = soup.instantiate(START.domainWeights(DOCS))) {
            JsonObject o = post(s, "loss", BODY);
            assertTrue(o.get("fitStoppedEarly").getAsBoolean(), o.toString());
            assertNumbers(START.domainWeights(DOCS), o.getAsJsonArray("h"));
            assertNumbers(soup.alpha(START.domainWeights(DOCS)), o.getAsJsonArray("alpha"));
            assertFalse(o.has("layerAlpha"), "no layer step ran: " + o);
            double startLoss = Evaluation.onDocuments(atStart::loss, new ByteTokenizer(), DOCS, CONTEXT)
                    .bitsPerByte();
            assertEquals(startLoss, o.get("bitsPerByte").getAsDouble(), 1e-5, "the specialist at the start h");
            JsonObject w = post(s, "domain-weights", BODY);
            assertTrue(w.get("fitStoppedEarly").getAsBoolean(), w.toString());
            // Documents too short to fit run no fit, so they say nothing about one.
            assertFalse(post(s, "loss", "{\"documents\": [\"short\"]}").has("fitStoppedEarly"));
            String m = metrics(s);
            assertEquals(2, SpecialistServerTest.sample(m, "soe_fits_seconds_count{outcome=\"stopped-early\"}"), m);
            assertEquals(-1, SpecialistServerTest.sample(m, "soe_fits_seconds_count{outcome=\"complete\"}"), m);
        }
    }

    private static String metrics(SpecialistServer s) throws Exception {
        HttpResponse<String> page = CLIENT.send(
                HttpRequest.newBuilder(s.uri().resolve("metrics"))
                        .timeout(Duration.ofSeconds(60))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, page.statusCode(), page.body());
        return page.body();
    }

    private static String generate(String document, int newTokens) {
        return "{\"documents\": [\"" + document + "\"], \"prompt\": \"the \", \"maxNewTokens\": " + newTokens + "}";
    }

    /** START's h, counting its calls, with {@code cost} token positions declared. */
    private static DomainAssigner start(long cost, AtomicInteger calls) {
        return new DomainAssigner() {
            @Override
            public int numDomains() {
                return K;
            }

            @Override
            public double[] domainWeights(List<String> documents) {
                calls.incrementAndGet();
                return START.domainWeights(documents);
            }

            @Override
            public long maxTokenPositions() {
                return cost;
            }
        };
    }
}
