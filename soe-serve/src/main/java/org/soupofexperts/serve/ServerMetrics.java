package org.soupofexperts.serve;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.soupofexperts.core.SpecialistCache;

/**
 * The server's meters in a Micrometer registry: {@code soe.requests} (a timer per endpoint and
 * status: count and latency from arrival to the answer written), the cache's hits, misses and
 * evictions ({@code soe.cache.*}), its bytes and entries, and the time spent instantiating
 * specialists ({@code soe.cache.instantiate}), the requests queued or running, and the fits of h to
 * requests' documents ({@code soe.fits}, by outcome: complete or stopped early by the fit's time limit). Endpoint tags
 * are the server's own paths, any other path counts as {@code other}, so a client cannot grow the
 * registry. Thread-safe.
 */
final class ServerMetrics {

    private static final Set<String> ENDPOINTS = Set.of("/health", "/loss", "/domain-weights", "/generate", "/metrics");

    private final MeterRegistry registry;

    ServerMetrics(MeterRegistry registry, SpecialistCache cache, Endpoints endpoints) {
        this.registry = registry;
        FunctionCounter.builder("soe.cache.hits", cache, SpecialistCache::hits)
                .description("requests served by a cached specialist")
                .register(registry);
        FunctionCounter.builder("soe.cache.misses", cache, SpecialistCache::misses)
                .description("requests that instantiated their specialist")
                .register(registry);
        FunctionCounter.builder("soe.cache.evictions", cache, SpecialistCache::evictions)
                .description("specialists dropped to keep the cache within its bytes")
                .register(registry);
        Gauge.builder("soe.cache.bytes", cache, SpecialistCache::bytes)
                .description("parameter bytes of the cached specialists")
                .baseUnit("bytes")
                .register(registry);
        Gauge.builder("soe.cache.entries", cache, SpecialistCache::size).register(registry);
        FunctionTimer.builder(
                        "soe.cache.instantiate",
                        cache,
                        SpecialistCache::misses,
                        SpecialistCache::instantiateNanos,
                        TimeUnit.NANOSECONDS)
                .description("time spent instantiating specialists on cache misses")
                .register(registry);
        Gauge.builder("soe.requests.active", endpoints, Endpoints::active)
                .description("requests queued or running")
                .register(registry);
    }

    /** Starts timing a request. */
    long start() {
        return System.nanoTime();
    }

    /** Records a request to {@code path} answered with {@code status}, started at {@code start}. */
    void record(long start, String path, int status) {
        Timer.builder("soe.requests")
                .description("requests by endpoint and status, from arrival to the answer written")
                .tag("endpoint", ENDPOINTS.contains(path) ? path : "other")
                .tag("status", Integer.toString(status))
                .register(registry)
                .record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    }

    /**
     * Records one request's fit of h (with alpha and a layer-wise alpha when the fit tunes them)
     * that took {@code nanos}, and whether its time limit stopped it.
     */
    void fit(long nanos, boolean stoppedEarly) {
        Timer.builder("soe.fits")
                .description("fits of h (and alpha) to a request's documents, by whether the time limit (or an"
                        + " interrupt) stopped them")
                .tag("outcome", stoppedEarly ? "stopped-early" : "complete")
                .register(registry)
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    /** The registry in Prometheus' text format, or null when it is not a Prometheus registry. */
    String scrape() {
        return registry instanceof PrometheusMeterRegistry p ? p.scrape() : null;
    }
}
