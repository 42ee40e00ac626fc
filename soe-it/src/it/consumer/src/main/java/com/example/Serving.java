package com.example;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.train.TrainingPlan;
import org.soupofexperts.data.cluster.NearestCentroidAssigner;
import org.soupofexperts.data.sample.InMemoryDomainSampler;
import org.soupofexperts.data.sample.MetaDistributions;
import org.soupofexperts.data.synth.SyntheticCorpus;
import org.soupofexperts.data.tokenize.ByteTokenizer;
import org.soupofexperts.serve.SpecialistServer;

/**
 * A service's use of soe-serve: serve a soup's specialists over HTTP, generate text from a prompt
 * for a set of documents, and read the server's metrics in Prometheus format.
 */
public class Serving {
    public static void main(String[] args) throws Exception {
        SyntheticCorpus corpus = new SyntheticCorpus(2, 200, 7);
        ByteTokenizer tokenizer = new ByteTokenizer();
        List<List<String>> docs = new ArrayList<>();
        int[][] tokens = new int[2][];
        for (int d = 0; d < 2; d++) {
            docs.add(corpus.documents(d, 0, 200, 60));
            tokens[d] = tokenizer.encode(String.join("\n\n", docs.get(d)));
        }
        InMemoryDomainSampler sampler = new InMemoryDomainSampler(corpus.domainNames(), tokens);
        try (SoupOfExperts soup = SoupOfExperts.builder()
                .model(ModelConfig.builder()
                        .vocabSize(256)
                        .layers(2)
                        .dModel(64)
                        .heads(4)
                        .contextLength(64)
                        .build())
                .domains(sampler.domains())
                .experts(4)
                .seed(42)
                .build()) {
            soup.train(TrainingPlan.builder()
                    .source(sampler)
                    .metaDistribution(MetaDistributions.recommended(sampler.domains()))
                    .steps(60)
                    .batchSize(16)
                    .learningRate(2e-3)
                    .build());
            try (SpecialistServer server = SpecialistServer.builder()
                    .soup(soup)
                    .assigner(NearestCentroidAssigner.ofLabelledDocuments(docs, 0.0))
                    .tokenizer(tokenizer)
                    .port(0) // the system picks a free port
                    .build()
                    .start()) {
                HttpClient http = HttpClient.newHttpClient();
                String body = "{\"documents\": [\""
                        + corpus.documents(0, 5_000, 1, 60).get(0).replace("\"", "'")
                        + "\"], \"prompt\": \"the \", \"maxNewTokens\": 20}";
                HttpResponse<String> generated = http.send(
                        HttpRequest.newBuilder(server.uri().resolve("generate"))
                                .POST(HttpRequest.BodyPublishers.ofString(body))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                System.out.println("POST /generate " + generated.statusCode() + ": " + generated.body());
                String metrics = http.send(
                                HttpRequest.newBuilder(server.uri().resolve("metrics"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .body();
                String served = metrics.lines()
                        .filter(l -> l.startsWith("soe_requests_seconds_count") && l.contains("/generate"))
                        .findFirst()
                        .orElseThrow(() -> new IllegalStateException("no /generate count in /metrics:\n" + metrics));
                System.out.println(served);
                if (generated.statusCode() != 200 || !served.contains("status=\"200\"")) {
                    throw new IllegalStateException("expected one answered /generate, got " + served);
                }
            }
        }
    }
}
