package org.soupofexperts.serve;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Objects;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.SpecialistCache;
import org.soupofexperts.core.config.DomainAssigner;
import org.soupofexperts.data.finetune.DomainWeightFit;
import org.soupofexperts.data.tokenize.Tokenizer;

/**
 * An HTTP endpoint that serves a soup's specialists (Jetty underneath):
 * <ul>
 *   <li>{@code POST /loss} with {@code {"documents": [text, ...]}}: the documents' domain weights h
 *       (the assigner's histogram), the specialist for h from a {@link SpecialistCache}, and its
 *       loss on the documents: {@code {"h": [...], "bitsPerByte": x, "natsPerToken": y, "tokens": n}}, with
 *       {@code "domains": [names]} when the soup knows them ({@link org.soupofexperts.core.Labels});
 *   <li>{@code POST /domain-weights} with the same body: only {@code {"h": [...]}};
 *   <li>{@code GET /health}: {@code {"status": "ok"}}, without a token.
 * </ul>
 * Every error is JSON {@code {"status": code, "error": message}}, Jetty's own included: 400 bad
 * body or request, 401 missing or wrong token, 404, 405, 413 body too large or more tokens than a
 * request may score, 429 the client already has its share of requests queued or running, 431
 * headers too large, 503 queue full (both with {@code Retry-After}), 500 a failure (logged). The
 * limits are in {@link ServerLimits}. It binds to the loopback interface unless told otherwise,
 * and refuses to bind to any other without a bearer token.
 *
 * <p>An assigner that is a {@link DomainWeightFit} tuning alpha ({@code alphaEvaluations}) or a
 * layer-wise alpha ({@code layerSteps}) makes {@code /loss} and {@code /generate} fit them to each
 * request's documents and answer with the soup instantiated there, not from the cache, adding
 * {@code "alpha": [...]} (and {@code "layerAlpha": [[...], ...]}) to the answer; the fit's
 * positions ({@link DomainWeightFit#maxSpecializePositions()}) count against a request's budget
 * before any work. Documents too short for one window get the cached specialist of the start h,
 * and are charged only the start assigner's positions. Such a specialist costs a model's weights
 * per request running, and layer-wise fits take turns: each of their gradient passes holds the
 * JVM's one gradient lock, which a training run in the same JVM holds for the whole run, so an
 * application that trains while it serves makes those requests wait for it.
 * {@code /domain-weights} gives only the fitted h.
 *
 * <p>Thread-safe: requests are scored concurrently by {@code limits.workers()} threads, which
 * the soup, assigner and tokenizer must allow (the library's own do). {@link #close()} stops
 * the server and frees the cache it made; it never closes the soup.
 */
public final class SpecialistServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SpecialistServer.class);

    private final Server server;
    private final ServerConnector connector;
    private final Endpoints endpoints;
    private final SpecialistCache ownedCache;
    private final MeterRegistry ownedRegistry;

    private SpecialistServer(Builder b) {
        SpecialistCache cache = b.cache != null ? b.cache : new SpecialistCache(b.soup, b.cacheBytes, 0.05);
        this.ownedCache = b.cache == null ? cache : null;
        ServerLimits limits = b.limits;
        int context = b.soup.config().model().contextLength();
        this.endpoints = new Endpoints(
                b.assigner,
                b.tokenizer,
                cache,
                context,
                limits,
                b.token,
                b.soup.labels().domains());
        MeterRegistry registry =
                b.registry != null ? b.registry : new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        this.ownedRegistry = b.registry == null ? registry : null;
        endpoints.metrics(new ServerMetrics(registry, cache, endpoints));
        // Jetty's own threads only parse and write: scoring runs on the endpoints' workers.
        QueuedThreadPool io = new QueuedThreadPool(16, 4);
        io.setName("soe-serve-io");
        io.setDaemon(true);
        this.server = new Server(io);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setRequestHeaderSize(limits.maxHeaderBytes());
        http.setMinRequestDataRate(limits.minRequestBytesPerSecond());
        this.connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        connector.setHost(b.host.getHostAddress());
        connector.setPort(b.port);
        connector.setIdleTimeout(limits.idleTimeout().toMillis());
        // A burst of connections waits in the system's accept queue (50 by default, then resets)
        // until the acceptor takes it and the endpoints answer, with 503 if they must.
        connector.setAcceptQueueSize(limits.maxConnections());
        server.addConnector(connector);
        server.addBean(new NetworkConnectionLimit(limits.maxConnections(), connector));
        server.setHandler(endpoints);
        server.setErrorHandler(new JsonErrors());
        server.setStopTimeout(5_000);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts listening. Returns this server.
     *
     * @throws IOException when the address cannot be bound (for example, the port is taken)
     */
    public SpecialistServer start() throws IOException {
        try {
            server.start();
        } catch (IOException e) {
            close();
            throw e;
        } catch (Exception e) {
            close();
            throw new IOException("the server did not start: " + e.getMessage(), e);
        }
        LOG.info("serving specialists on {}", uri());
        return this;
    }

    /** The port it listens on (the one chosen by the system when it was built with port 0). */
    public int port() {
        return connector.getLocalPort();
    }

    /** The base address, such as {@code http://127.0.0.1:8080/}. */
    public URI uri() {
        String host = connector.getHost();
        return URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port() + "/");
    }

    /** Requests answered with 503 because the queue was full or the wait too long, since start. */
    public long rejected() {
        return endpoints.rejected();
    }

    @Override
    public void close() {
        // A close asked for by interrupting the caller (how `soe serve` is stopped) must still
        // stop the server: Jetty's stop waits, and the pending interrupt would cut it short.
        boolean interrupted = Thread.interrupted();
        try {
            server.stop();
        } catch (Exception e) {
            LOG.warn("stopping the HTTP server failed", e);
        } finally {
            endpoints.close();
            if (ownedCache != null) {
                ownedCache.close();
            }
            if (ownedRegistry != null) {
                ownedRegistry.close();
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Configures a server. Not thread-safe; {@link #build()} checks the whole configuration. */
    public static final class Builder {
        private SoupOfExperts soup;
        private DomainAssigner assigner;
        private Tokenizer tokenizer;
        private MeterRegistry registry;
        private SpecialistCache cache;
        private long cacheBytes = 256L << 20;
        private InetAddress host = InetAddress.getLoopbackAddress();
        private int port = 8080;
        private String token;
        private ServerLimits limits = ServerLimits.defaults();

        private Builder() {}

        /** The soup whose specialists are served (required; the server never closes it). */
        public Builder soup(SoupOfExperts s) {
            this.soup = s;
            return this;
        }

        /** Turns a request's documents into h (required), such as a {@code NearestCentroidAssigner}. */
        public Builder assigner(DomainAssigner a) {
            this.assigner = a;
            return this;
        }

        /**
         * The Micrometer registry for the server's meters (requests by endpoint and status, the
         * cache's hits, misses, evictions and instantiation time; see docs/serving.md). Default: a
         * Prometheus registry of the server's own, served at {@code GET /metrics}; with the
         * application's registry, {@code /metrics} answers 404 and the application exports it.
         */
        public Builder meterRegistry(MeterRegistry r) {
            this.registry = r;
            return this;
        }

        /** The tokenizer the soup was trained with (required). */
        public Builder tokenizer(Tokenizer t) {
            this.tokenizer = t;
            return this;
        }

        /** A cache to share with the rest of the service; without one the server makes its own. */
        public Builder cache(SpecialistCache c) {
            this.cache = c;
            return this;
        }

        /** Bound of the cache the server makes when none is given; default 256 MiB. */
        public Builder cacheBytes(long bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("cacheBytes must be >= 1, got " + bytes);
            }
            this.cacheBytes = bytes;
            return this;
        }

        /** The address to bind; default the loopback address. Any other needs {@link #token}. */
        public Builder host(String hostOrAddress) {
            try {
                this.host = InetAddress.getByName(Objects.requireNonNull(hostOrAddress, "host"));
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("unknown host '" + hostOrAddress + "'", e);
            }
            return this;
        }

        /** The port; 0 lets the system choose one (read it from {@link #port()}); default 8080. */
        public Builder port(int p) {
            if (p < 0 || p > 65535) {
                throw new IllegalArgumentException("port must be in [0, 65535], got " + p);
            }
            this.port = p;
            return this;
        }

        /**
         * A secret that clients send as {@code Authorization: Bearer <token>} (at least 16
         * characters); null for none, which only a loopback address allows.
         */
        public Builder token(String t) {
            if (t != null && t.length() < 16) {
                throw new IllegalArgumentException("a token needs at least 16 characters, got " + t.length());
            }
            this.token = t;
            return this;
        }

        public Builder limits(ServerLimits l) {
            this.limits = Objects.requireNonNull(l, "limits");
            return this;
        }

        /** The server, not yet listening: call {@link SpecialistServer#start()}. */
        public SpecialistServer build() {
            if (soup == null || assigner == null || tokenizer == null) {
                throw new IllegalStateException("a server needs soup(...), assigner(...) and tokenizer(...)");
            }
            int k = soup.config().numDomains();
            if (assigner.numDomains() != k) {
                throw new IllegalArgumentException("the assigner gives h over " + assigner.numDomains()
                        + " domains, the soup was trained on " + k);
            }
            String trainedWith = soup.labels().tokenizer();
            if (trainedWith != null && !trainedWith.equals(tokenizer.id())) {
                throw new IllegalArgumentException(
                        "the soup was trained with tokenizer " + trainedWith + ", not " + tokenizer.id());
            }
            int vocab = soup.config().model().vocabSize();
            if (tokenizer.vocabSize() > vocab) {
                throw new IllegalArgumentException(
                        "the tokenizer's vocabulary (" + tokenizer.vocabSize() + ") is larger than the soup's (" + vocab
                                + "): is it the tokenizer the soup was trained with?");
            }
            DomainWeightFit tuner = Endpoints.tuner(assigner);
            if (tuner != null && tuner.soup() != soup) {
                // Its specialists would be instantiations of that other soup.
                throw new IllegalArgumentException("the assigner is a fit of alpha over another soup than the"
                        + " server's: build the DomainWeightFit with this server's soup");
            }
            long fit = Endpoints.specialistCost(assigner);
            long smallest = soup.config().model().contextLength() + 3L; // one document of one window
            if (fit > 0 && (fit > limits.maxTokensPerRequest() - smallest)) {
                // No /loss or /generate request whose documents hold a window could be served: say so
                // now, not to each client.
                throw new IllegalArgumentException("the assigner's fit of h" + (tuner != null ? " and alpha" : "")
                        + " reads up to " + fit
                        + " token positions per request, which leaves less than the " + smallest
                        + " of one window of documents within the " + limits.maxTokensPerRequest()
                        + " allowed per request (maxTokensPerRequest, soe serve --max-tokens-per-request):"
                        + " give the fit fewer windows, evaluations or layer steps, or raise the limit");
            }
            if (!host.isLoopbackAddress() && token == null) {
                throw new IllegalArgumentException("binding " + host.getHostAddress()
                        + " exposes the server beyond this machine: set a token(...) or bind to the loopback address");
            }
            return new SpecialistServer(this);
        }
    }
}
