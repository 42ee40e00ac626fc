package org.soupofexperts.examples;

import com.google.gson.Gson;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
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
                                .metaDistribution(MetaDistributions.recommended(sampler.domains()))
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
        LoadClients clientsRun = new LoadClients(corpus, K, requests, clients);
        LoadRun quiet = clientsRun.run(server.uri(), 0);
        LoadRun generate = generateTokens > 0 ? clientsRun.run(server.uri(), generateTokens) : null;
        LoadRun underAttack = null;
        Map<String, Map<String, Long>> attackOutcomes = null;
        if (hostile) {
            try (HostileClients attack =
                    new HostileClients(server.uri().getHost(), server.port()).start(idleConnections, slowloris, 7)) {
                underAttack = clientsRun.run(server.uri(), 0);
                attackOutcomes = attack.outcomes();
            }
        }
        Map<String, Long> burstOutcomes = null;
        if (burst > 0) {
            // A burst of legitimate clients, each its own address: every one served or shed with an
            // answer (503 past the queue), none reset.
            String doc = String.join("\n", corpus.documents(1, 9000, 4, 150));
            byte[] body = GSON.toJson(Map.of("documents", List.of(doc))).getBytes(StandardCharsets.UTF_8);
            burstOutcomes = LoadClients.burst(server.uri().getHost(), server.port(), burst, body);
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
