package org.soupofexperts.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.config.ExpertInit;

/** The specialist cache: keys on rounded h, evicts by bytes in LRU order, frees what it evicts. */
class SpecialistCacheTest {

    private static SoupOfExperts soup() {
        return SoupOfExperts.builder()
                .model(ToyDomains.tinyModel())
                .domains(2)
                .experts(2)
                .expertInit(ExpertInit.SCALED_NOISE)
                .seed(5)
                .build();
    }

    private static long specialistBytes() {
        return 4L * ToyDomains.tinyModel().parameterCount();
    }

    @Test
    void hVectorsThatDifferByNoiseShareOneSpecialistAndOthersDoNot() {
        try (SoupOfExperts soup = soup();
                SpecialistCache cache = new SpecialistCache(soup, 1L << 30, 1e-3)) {
            try (SpecialistCache.Lease a = cache.acquire(new double[] {0.3, 0.7});
                    SpecialistCache.Lease b = cache.acquire(new double[] {0.3000002, 0.6999998});
                    SpecialistCache.Lease c = cache.acquire(new double[] {0.5, 0.5})) {
                assertSame(a.specialist(), b.specialist());
                assertNotSame(a.specialist(), c.specialist());
            }
            assertEquals(1, cache.hits());
            assertEquals(2, cache.misses());
            assertEquals(2 * specialistBytes(), cache.bytes());
        }
    }

    @Test
    void theLeastRecentlyUsedSpecialistIsEvictedAndItsNativeMemoryFreed() {
        try (SoupOfExperts soup = soup();
                SpecialistCache cache = new SpecialistCache(soup, 2 * specialistBytes(), 1e-3)) {
            cache.acquire(new double[] {1, 0}).close();
            cache.acquire(new double[] {0, 1}).close();
            cache.acquire(new double[] {1, 0}).close(); // now {0, 1} is the least recently used
            int withTwo = ResourceTest.liveArrays();
            cache.acquire(new double[] {0.5, 0.5}).close();
            assertEquals(1, cache.evictions());
            assertEquals(2, cache.size());
            assertEquals(withTwo, ResourceTest.liveArrays(), "the evicted specialist's arrays must be freed");
            long missesBefore = cache.misses();
            cache.acquire(new double[] {1, 0}).close();
            assertEquals(missesBefore, cache.misses(), "the recently used entry must have stayed");
            cache.acquire(new double[] {0, 1}).close();
            assertEquals(missesBefore + 1, cache.misses(), "the evicted entry must be built again");
        }
    }

    @Test
    void aSpecialistOnLoanSurvivesEvictionUntilItIsReturned() {
        TokenBatch batch = new ToyDomains().domain(0, 2, 5, 3);
        try (SoupOfExperts soup = soup();
                SpecialistCache cache = new SpecialistCache(soup, specialistBytes(), 1e-3)) {
            int empty = ResourceTest.liveArrays();
            SpecialistCache.Lease kept = cache.acquire(new double[] {1, 0});
            double before = kept.specialist().loss(batch);
            cache.acquire(new double[] {0, 1}).close();
            assertEquals(1, cache.evictions());
            assertEquals(before, kept.specialist().loss(batch), 0.0, "an evicted specialist on loan must still work");
            kept.close();
            int perSpecialist = ResourceTest.liveArrays() - empty;
            cache.close();
            assertEquals(empty, ResourceTest.liveArrays(), "closing the cache frees the rest");
            assertTrue(perSpecialist > 0, "one specialist stays cached until the cache closes");
        }
    }

    /**
     * 16 threads share four h under a budget of one specialist, so nearly every miss evicts what
     * another thread has just looked up. A lease must still hold a live specialist: with the
     * lookup and the lease in two critical sections, 5-12% of calls failed with "NDManager has
     * been closed already".
     */
    @Test
    void sixteenThreadsUnderATinyBudgetNeverGetAClosedSpecialist() throws Exception {
        TokenBatch batch = new ToyDomains().domain(0, 1, 4, 3);
        double[][] hs = {{1, 0}, {0, 1}, {0.5, 0.5}, {0.25, 0.75}};
        try (SoupOfExperts soup = soup();
                SpecialistCache cache = new SpecialistCache(soup, specialistBytes(), 1e-3)) {
            double[] expected = new double[hs.length];
            for (int i = 0; i < hs.length; i++) {
                try (Specialist s = soup.instantiate(hs[i])) {
                    expected[i] = s.loss(batch);
                }
            }
            int empty = ResourceTest.liveArrays();
            ExecutorService pool = Executors.newFixedThreadPool(16);
            AtomicInteger failures = new AtomicInteger();
            AtomicReference<Throwable> first = new AtomicReference<>();
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < 16; t++) {
                    int thread = t;
                    done.add(pool.submit(() -> {
                        for (int r = 0; r < 100; r++) {
                            int i = (thread * 7 + r) % hs.length;
                            try (SpecialistCache.Lease lease = cache.acquire(hs[i])) {
                                if (lease.specialist().loss(batch) != expected[i]) {
                                    throw new AssertionError("wrong specialist for h" + i);
                                }
                            } catch (RuntimeException | AssertionError e) {
                                failures.incrementAndGet();
                                first.compareAndSet(null, e);
                            }
                        }
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
            assertEquals(
                    0,
                    failures.get(),
                    () -> "of 1,600 acquire -> loss calls, " + failures.get() + " failed; first: " + first.get());
            assertTrue(
                    cache.bytes() <= specialistBytes(), "the byte bound must hold after the storm: " + cache.bytes());
            assertEquals(
                    cache.size() * specialistBytes(), cache.bytes(), "bytes must count exactly the cached specialists");
            // One outcome per call: waiting for another's build, then building after an eviction,
            // once counted as a hit and a miss.
            assertEquals(1600, cache.hits() + cache.misses(), "hits " + cache.hits() + ", misses " + cache.misses());
            cache.close();
            assertEquals(empty, ResourceTest.liveArrays(), "every evicted specialist must be freed once returned");
        }
    }

    @Test
    void badSettingsAreRejected() {
        try (SoupOfExperts soup = soup()) {
            assertThrows(IllegalArgumentException.class, () -> new SpecialistCache(soup, 0, 1e-3));
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> new SpecialistCache(soup, 10, 1.0));
            assertTrue(e.getMessage().contains("quantum"), e.getMessage());
            // So fine a grid that h / quantum saturates a long: every h would share one key.
            e = assertThrows(IllegalArgumentException.class, () -> new SpecialistCache(soup, 10, 1e-20));
            assertTrue(e.getMessage().contains("quantum must be 0 (exact h) or in [1.0E-12, 1)"), e.getMessage());
        }
    }
}
