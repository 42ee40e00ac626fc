package org.soupofexperts.serve;

import java.time.Duration;
import java.util.function.Consumer;

/**
 * What one {@link SpecialistServer} lets a client use. Every request body is read fully into
 * memory (at most {@code maxBodyBytes}) before it takes a place in the bounded queue, so a slow
 * client holds a connection, never a worker. Work is bounded too, not only bytes: a request may
 * score at most {@code maxTokensPerRequest} tokens (counted before any scoring), and one client
 * address may have at most {@code maxInFlightPerClient} requests queued or running, so that a few
 * clients sending expensive valid requests back to back cannot hold every worker. Immutable;
 * thread-safe.
 *
 * @param maxBodyBytes largest request body; larger ones get 413 (before reading, when the client
 *     declares its length)
 * @param maxDocuments most documents in one request (400 beyond)
 * @param workers threads that score requests: each scores one request at a time
 * @param queue requests that may wait for a worker; more get 503 with {@code Retry-After}
 * @param queueTimeout longest wait for a worker (1 ms to 365 days); a request still waiting then
 *     gets 503 with {@code Retry-After} at once, and its place in the queue goes to the next
 * @param idleTimeout a connection that sends or accepts nothing for this long (1 ms to 365 days) is closed (this
 *     also ends clients that stop half-way through their headers or body, or stop reading an
 *     answer); not while its request waits for a worker or is being scored
 * @param minRequestBytesPerSecond a body that arrives slower than this is abandoned
 * @param maxConnections open connections at most; beyond it the server stops accepting until
 *     some close (the operating system's accept queue holds as many, so a burst waits, not reset)
 * @param maxHeaderBytes largest request line plus headers (431 beyond)
 * @param maxTokensPerRequest most tokens a {@code /loss} request scores; more get 413 before any
 *     work, asking for smaller requests
 * @param maxInFlightPerClient most requests of one client address queued or running at once; more
 *     get 429 with {@code Retry-After}
 */
public record ServerLimits(
        int maxBodyBytes,
        int maxDocuments,
        int workers,
        int queue,
        Duration queueTimeout,
        Duration idleTimeout,
        long minRequestBytesPerSecond,
        int maxConnections,
        int maxHeaderBytes,
        long maxTokensPerRequest,
        int maxInFlightPerClient) {

    public ServerLimits {
        positive("maxBodyBytes", maxBodyBytes);
        positive("maxDocuments", maxDocuments);
        positive("workers", workers);
        if (queue < 0) {
            throw new IllegalArgumentException("queue must be >= 0, got " + queue);
        }
        timeout("queueTimeout", queueTimeout);
        timeout("idleTimeout", idleTimeout);
        positive("minRequestBytesPerSecond", minRequestBytesPerSecond);
        positive("maxConnections", maxConnections);
        if (maxHeaderBytes < 1024) {
            throw new IllegalArgumentException("maxHeaderBytes must be >= 1024, got " + maxHeaderBytes);
        }
        positive("maxTokensPerRequest", maxTokensPerRequest);
        positive("maxInFlightPerClient", maxInFlightPerClient);
    }

    /**
     * 1 MiB bodies, 1,000 documents, 2 workers, 16 waiting for at most 10 s, 30 s idle timeout,
     * bodies at 1 KiB/s or faster, 512 connections, 8 KiB of headers, 16,384 tokens scored per
     * request, 8 requests per client
     * address at once.
     */
    public static ServerLimits defaults() {
        return new ServerLimits(
                1 << 20, 1000, 2, 16, Duration.ofSeconds(10), Duration.ofSeconds(30), 1024, 512, 8192, 1L << 14, 8);
    }

    /** These limits with at most {@code v} bytes per request body. */
    public ServerLimits withMaxBodyBytes(int v) {
        return with(b -> b.maxBodyBytes = v);
    }

    /** These limits with at most {@code v} documents per request. */
    public ServerLimits withMaxDocuments(int v) {
        return with(b -> b.maxDocuments = v);
    }

    /** These limits with {@code v} worker threads. */
    public ServerLimits withWorkers(int v) {
        return with(b -> b.workers = v);
    }

    /** These limits with idle connections closed after {@code v}. */
    public ServerLimits withIdleTimeout(Duration v) {
        return with(b -> b.idleTimeout = v);
    }

    /** These limits with requests slower than {@code v} bytes per second cut off. */
    public ServerLimits withMinRequestBytesPerSecond(long v) {
        return with(b -> b.minRequestBytesPerSecond = v);
    }

    /** These limits with at most {@code v} open connections. */
    public ServerLimits withMaxConnections(int v) {
        return with(b -> b.maxConnections = v);
    }

    /** These limits with at most {@code v} bytes of request headers. */
    public ServerLimits withMaxHeaderBytes(int v) {
        return with(b -> b.maxHeaderBytes = v);
    }

    /** These limits with at most {@code v} tokens scored per request. */
    public ServerLimits withMaxTokensPerRequest(long v) {
        return with(b -> b.maxTokensPerRequest = v);
    }

    /** These limits with at most {@code v} requests of one client address queued or running at once. */
    public ServerLimits withMaxInFlightPerClient(int v) {
        return with(b -> b.maxInFlightPerClient = v);
    }

    /** These limits with at most {@code v} queued requests, each waiting at most {@code timeout}. */
    public ServerLimits withQueue(int v, Duration timeout) {
        return with(b -> {
            b.queue = v;
            b.queueTimeout = timeout;
        });
    }

    /** A copy with one or two fields changed, checked like any other. */
    private ServerLimits with(Consumer<Fields> change) {
        Fields f = new Fields(this);
        change.accept(f);
        return f.limits();
    }

    /** The fields of a {@link ServerLimits} as mutable variables, for {@link #with}. */
    private static final class Fields {
        int maxBodyBytes;
        int maxDocuments;
        int workers;
        int queue;
        Duration queueTimeout;
        Duration idleTimeout;
        long minRequestBytesPerSecond;
        int maxConnections;
        int maxHeaderBytes;
        long maxTokensPerRequest;
        int maxInFlightPerClient;

        Fields(ServerLimits l) {
            maxBodyBytes = l.maxBodyBytes;
            maxDocuments = l.maxDocuments;
            workers = l.workers;
            queue = l.queue;
            queueTimeout = l.queueTimeout;
            idleTimeout = l.idleTimeout;
            minRequestBytesPerSecond = l.minRequestBytesPerSecond;
            maxConnections = l.maxConnections;
            maxHeaderBytes = l.maxHeaderBytes;
            maxTokensPerRequest = l.maxTokensPerRequest;
            maxInFlightPerClient = l.maxInFlightPerClient;
        }

        ServerLimits limits() {
            return new ServerLimits(
                    maxBodyBytes,
                    maxDocuments,
                    workers,
                    queue,
                    queueTimeout,
                    idleTimeout,
                    minRequestBytesPerSecond,
                    maxConnections,
                    maxHeaderBytes,
                    maxTokensPerRequest,
                    maxInFlightPerClient);
        }
    }

    /** The longest timeout taken: past it a duration in nanoseconds comes close to overflowing. */
    private static final Duration MAX_TIMEOUT = Duration.ofDays(365);

    private static void timeout(String name, Duration d) {
        if (d == null || d.compareTo(Duration.ofMillis(1)) < 0 || d.compareTo(MAX_TIMEOUT) > 0) {
            throw new IllegalArgumentException(name + " must be from 1 ms to 365 days, got " + d);
        }
    }

    private static void positive(String name, long v) {
        if (v < 1) {
            throw new IllegalArgumentException(name + " must be >= 1, got " + v);
        }
    }
}
