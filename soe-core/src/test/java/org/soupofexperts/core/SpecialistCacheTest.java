package org.soupofexperts.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.soupofexperts.core.train.TokenBatch;

/** The specialist cache: keys on rounded h, evicts by bytes in LRU order, frees what it evicts. */
class SpecialistCacheTest {

    private static SoupOfExperts soup() {
        return SoupOfExperts.builder().model(ToyDomains.tinyModel()).domains(2).experts(2)
                .expertInit(ExpertInit.SCALED_NOISE).seed(5).build();
    }

    private static long specialistBytes() {
        return 4L * ToyDomains.tinyModel().parameterCount();
    }

    @Test
    void hVectorsThatDifferByNoiseShareOneSpecialistAndOthersDoNot() {
        try (SoupOfExperts soup = soup(); SpecialistCache cache = new SpecialistCache(soup, 1L << 30, 1e-3)) {
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
        try (SoupOfExperts soup = soup(); SpecialistCache cache = new SpecialistCache(soup, 2 * specialistBytes(), 1e-3)) {
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
        try (SoupOfExperts soup = soup(); SpecialistCache cache = new SpecialistCache(soup, specialistBytes(), 1e-3)) {
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

    @Test
    void badSettingsAreRejected() {
        try (SoupOfExperts soup = soup()) {
            assertThrows(IllegalArgumentException.class, () -> new SpecialistCache(soup, 0, 1e-3));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new SpecialistCache(soup, 10, 1.0));
            assertTrue(e.getMessage().contains("quantum"), e.getMessage());
        }
    }
}
