package org.soupofexperts.core.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The domain set: names in the order of h, sizes, the natural h, and what it refuses. */
class DomainsTest {

    private static final Domains THREE = Domains.of(List.of("code", "law", "poems"), new long[] {100, 300, 600});

    @Test
    void theNaturalHWeightsEachDomainByItsShareOfTheTokens() {
        assertArrayEquals(new double[] {0.1, 0.3, 0.6}, THREE.natural(), 1e-15);
        assertEquals(3, THREE.count());
        assertEquals("law", THREE.name(1));
        assertEquals(300, THREE.size(1));
    }

    @Test
    void aOneHotHIsFoundByNameAndAnUnknownNameListsTheDomains() {
        assertArrayEquals(new double[] {0, 0, 1}, THREE.oneHot("poems"), 0);
        assertEquals(-1, THREE.indexOf("songs"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> THREE.oneHot("songs"));
        assertTrue(e.getMessage().contains("'songs'") && e.getMessage().contains("[code, law, poems]"), e.getMessage());
    }

    @Test
    void badDomainSetsAreRefusedByWhatIsWrong() {
        assertRefused(List.of(), new long[0], "at least one domain");
        assertRefused(List.of("a", "b"), new long[] {1}, "1 sizes for 2 names");
        assertRefused(List.of("a", "a"), new long[] {1, 1}, "distinct");
        assertRefused(List.of("a", " "), new long[] {1, 1}, "distinct and not blank");
        assertRefused(List.of("a", "b"), new long[] {1, -1}, "'b' has a negative size -1");
        assertRefused(null, new long[] {1}, "names and sizes");
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> Domains.of(List.of("a", "b"), new long[] {0, 0}).natural());
        assertTrue(e.getMessage().contains("hold no tokens"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> THREE.name(3));
        assertThrows(IllegalArgumentException.class, () -> THREE.size(-1));
    }

    @Test
    void theSetIsACopyAndComparesByValue() {
        long[] sizes = {1, 2};
        Domains d = Domains.of(List.of("a", "b"), sizes);
        sizes[0] = 99;
        d.sizes()[1] = 99;
        assertArrayEquals(new long[] {1, 2}, d.sizes());
        assertEquals(Domains.of(List.of("a", "b"), new long[] {1, 2}), d);
        assertEquals(Domains.of(List.of("a", "b"), new long[] {1, 2}).hashCode(), d.hashCode());
        assertNotEquals(Domains.of(List.of("b", "a"), new long[] {1, 2}), d);
        assertEquals("Domains[a=1, b=2]", d.toString());
        assertThrows(UnsupportedOperationException.class, () -> d.names().add("c"));
    }

    @Test
    void aSoupConfigTakesItsCountFromTheDomains() {
        assertEquals(3, SoupConfig.builder().domains(THREE).seed(1).build().numDomains());
    }

    private static void assertRefused(List<String> names, long[] sizes, String why) {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Domains.of(names, sizes), Arrays.toString(sizes));
        assertTrue(e.getMessage().contains(why), e.getMessage());
    }
}
