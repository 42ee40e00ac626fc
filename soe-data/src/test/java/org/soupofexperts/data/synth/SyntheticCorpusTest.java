package org.soupofexperts.data.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SyntheticCorpusTest {

    @Test
    void sameSeedSameCorpusAndDocumentsDiffer() {
        SyntheticCorpus a = new SyntheticCorpus(3, 100, 5);
        SyntheticCorpus b = new SyntheticCorpus(3, 100, 5);
        assertEquals(a.document(1, 7, 50), b.document(1, 7, 50));
        assertNotEquals(a.document(1, 7, 50), a.document(1, 8, 50));
        assertNotEquals(a.document(1, 7, 50), new SyntheticCorpus(3, 100, 6).document(1, 7, 50));
    }

    @Test
    void domainsHaveDifferentWordStatistics() {
        SyntheticCorpus c = new SyntheticCorpus(2, 100, 5);
        Map<String, Integer> f0 = freq(String.join(" ", c.documents(0, 0, 50, 100)));
        Map<String, Integer> f1 = freq(String.join(" ", c.documents(1, 0, 50, 100)));
        String top0 = f0.entrySet().stream()
                .max(Map.Entry.comparingByValue())
                .orElseThrow()
                .getKey();
        // The most frequent word of domain 0 is far less frequent in domain 1.
        assertTrue(f1.getOrDefault(top0, 0) < f0.get(top0) / 2, top0 + ": " + f0.get(top0) + " vs " + f1.get(top0));
    }

    private static Map<String, Integer> freq(String text) {
        Map<String, Integer> m = new HashMap<>();
        for (String w : text.toLowerCase().split("[ .\n]+")) {
            m.merge(w, 1, Integer::sum);
        }
        return m;
    }
}
