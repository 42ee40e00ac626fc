package org.soupofexperts.core;

import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.core.config.DomainWeights;

/**
 * Specialists of one soup, kept for reuse: keyed by h rounded to a grid (so h vectors that differ
 * by noise share an entry, built at the first such h asked for), bounded by the bytes their
 * parameters take, least recently used out first. Callers borrow a specialist with {@link
 * #acquire} and give it back by closing the {@link Lease}; an evicted specialist frees its native
 * memory when its last lease is closed, so eviction never pulls a model out from under a caller.
 *
 * <pre>{@code
 * try (SpecialistCache.Lease lease = cache.acquire(h)) {
 *     double nats = lease.specialist().loss(batch);
 * }
 * }</pre>
 *
 * <p>Thread-safe: any number of threads may acquire at once; a missing specialist is built once
 * (other threads asking for the same key wait for it), outside the cache's lock. A lease is taken
 * in the same critical section that finds the specialist (the builder's own lease before anyone
 * else can see it), so no eviction can free a specialist between its lookup and its lease.
 */
public final class SpecialistCache implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SpecialistCache.class);

    private final SoupOfExperts soup;
    private final long maxBytes;
    private final double quantum;
    /** Access-ordered: the first entry is the least recently used. */
    private final LinkedHashMap<Key, CompletableFuture<Entry>> entries = new LinkedHashMap<>(16, 0.75f, true);

    private long bytes;
    private long hits;
    private long misses;
    private long evictions;
    private long instantiateNanos;
    private boolean closed;

    /** The finest grid step taken (h / quantum stays far within a long's range). */
    public static final double MIN_QUANTUM = 1e-12;

    /**
     * @param soup where specialists come from
     * @param maxBytes bound on the parameter bytes of the cached specialists (at least one is kept)
     * @param quantum grid step of h for the key, e.g. 1e-3 (0 keys on the exact h; else at least
     *     {@link #MIN_QUANTUM})
     */
    public SpecialistCache(SoupOfExperts soup, long maxBytes, double quantum) {
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes must be >= 1, got " + maxBytes);
        }
        if (!(quantum >= 0) || quantum >= 1 || (quantum > 0 && quantum < MIN_QUANTUM)) {
            // Below it, h / quantum saturates a long: every h would share one key and one specialist.
            throw new IllegalArgumentException(
                    "quantum must be 0 (exact h) or in [" + MIN_QUANTUM + ", 1), got " + quantum);
        }
        this.soup = soup;
        this.maxBytes = maxBytes;
        this.quantum = quantum;
    }

    /** A borrowed specialist; close it to give it back (it stays cached unless evicted). */
    public final class Lease implements AutoCloseable {
        private final Entry entry;
        private boolean returned;

        private Lease(Entry entry) {
            this.entry = entry;
        }

        /** The borrowed specialist; valid until this lease is closed. */
        public Specialist specialist() {
            if (returned) {
                throw new IllegalStateException("this lease was closed");
            }
            return entry.specialist;
        }

        @Override
        public void close() {
            synchronized (SpecialistCache.this) {
                if (returned) {
                    return;
                }
                returned = true;
                entry.leases--;
                if (entry.evicted && entry.leases == 0) {
                    entry.specialist.close();
                }
            }
        }
    }

    /**
     * The specialist for h (built on a miss); the lease must be closed after use. A lease is only
     * ever taken inside the same critical section that finds a live entry, so an eviction can
     * never free a specialist between the lookup and the lease.
     */
    public Lease acquire(double[] h) {
        double[] hh = DomainWeights.validate(h, soup.config().numDomains());
        Key key = new Key(hh, quantum);
        // One outcome per call, counted where it is known: a hit when a built specialist is
        // leased, a miss when this call builds it (a call that waited for another's build and
        // then found it evicted builds it, and is one miss, not a hit and a miss).
        while (true) {
            CompletableFuture<Entry> future;
            boolean mine = false;
            synchronized (this) {
                if (closed) {
                    throw new IllegalStateException("the cache is closed");
                }
                future = entries.get(key);
                if (future == null) {
                    future = new CompletableFuture<>();
                    entries.put(key, future);
                    misses++;
                    mine = true;
                } else if (future.isDone() && !future.isCompletedExceptionally()) {
                    hits++;
                    return lease(future.join());
                }
            }
            if (mine) {
                return build(key, hh, future);
            }
            // Another thread is building it: wait outside the lock, then look again (it may
            // have been evicted meanwhile, and is then built anew).
            try {
                future.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while another thread built this specialist", e);
            } catch (ExecutionException e) {
                throw new IllegalStateException(
                        "building the specialist for h=" + Arrays.toString(hh) + " failed", e.getCause());
            }
        }
    }

    /** Builds the specialist for a key this thread has claimed, and leases it before anyone can evict it. */
    private Lease build(Key key, double[] hh, CompletableFuture<Entry> future) {
        Entry entry;
        try {
            long t0 = System.nanoTime();
            Specialist s = soup.instantiate(hh);
            long took = System.nanoTime() - t0;
            synchronized (this) {
                instantiateNanos += took;
            }
            entry = new Entry(s, 4L * s.parameterCount());
        } catch (RuntimeException | Error e) {
            synchronized (this) {
                entries.remove(key, future);
            }
            future.completeExceptionally(e);
            throw e;
        }
        synchronized (this) {
            entry.leases = 1;
            future.complete(entry);
            if (closed || entries.get(key) != future) {
                // The cache closed while this was built: the caller still gets it, and frees it on return.
                entry.evicted = true;
            } else {
                bytes += entry.bytes;
                evictBeyondBound(key);
            }
            return new Lease(entry);
        }
    }

    /** Takes a lease on a live entry; the caller holds the lock. */
    private Lease lease(Entry entry) {
        entry.leases++;
        return new Lease(entry);
    }

    /** Drops least recently used entries until the bound holds, never the one just added. */
    private void evictBeyondBound(Key keep) {
        Iterator<Map.Entry<Key, CompletableFuture<Entry>>> it =
                entries.entrySet().iterator();
        while (bytes > maxBytes && it.hasNext()) {
            Map.Entry<Key, CompletableFuture<Entry>> e = it.next();
            if (e.getKey().equals(keep)
                    || !e.getValue().isDone()
                    || e.getValue().isCompletedExceptionally()) {
                continue;
            }
            Entry victim = e.getValue().join();
            it.remove();
            bytes -= victim.bytes;
            evictions++;
            victim.evicted = true;
            if (victim.leases == 0) {
                victim.specialist.close();
            }
        }
    }

    /** Total time spent instantiating specialists on misses, in nanoseconds (one per miss that built). */
    public synchronized long instantiateNanos() {
        return instantiateNanos;
    }

    /** Parameter bytes of the cached specialists. */
    public synchronized long bytes() {
        return bytes;
    }

    /** Number of cached specialists (including any being built). */
    public synchronized int size() {
        return entries.size();
    }

    public synchronized long hits() {
        return hits;
    }

    public synchronized long misses() {
        return misses;
    }

    public synchronized long evictions() {
        return evictions;
    }

    /** Frees every cached specialist that is not on loan; those on loan are freed when returned. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (CompletableFuture<Entry> f : entries.values()) {
            if (f.isDone() && !f.isCompletedExceptionally()) {
                Entry e = f.join();
                e.evicted = true;
                if (e.leases == 0) {
                    e.specialist.close();
                }
            }
        }
        entries.clear();
        bytes = 0;
        LOG.debug("specialist cache closed: {} hits, {} misses, {} evictions", hits, misses, evictions);
    }

    /** A cached specialist; its counters are guarded by the cache's lock. */
    private static final class Entry {
        final Specialist specialist;
        final long bytes;
        int leases;
        boolean evicted;

        Entry(Specialist specialist, long bytes) {
            this.specialist = specialist;
            this.bytes = bytes;
        }
    }

    /** h rounded to the grid. */
    private static final class Key {
        private final long[] cells;

        Key(double[] h, double quantum) {
            cells = new long[h.length];
            for (int i = 0; i < h.length; i++) {
                cells[i] = quantum == 0 ? Double.doubleToLongBits(h[i]) : Math.round(h[i] / quantum);
            }
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Arrays.equals(cells, k.cells);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(cells);
        }
    }
}
