package org.soupofexperts.data.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class InMemoryCorpusTest {

    @Test
    void streamsTheTextsInOrderUnlabelledWithTheirPositions() throws Exception {
        List<Document> seen = new ArrayList<>();
        Corpus.of("notes", List.of("a", "b", "c")).forEach(seen::add);
        assertEquals(
                List.of(
                        new Document("a", null, "notes", 1),
                        new Document("b", null, "notes", 2),
                        new Document("c", null, "notes", 3)),
                seen);
    }

    @Test
    void stopsWhenTheSinkSaysSo() throws Exception {
        List<String> seen = new ArrayList<>();
        Corpus.of("notes", List.of("a", "b", "c")).forEachWhile(d -> {
            seen.add(d.text());
            return seen.size() < 2;
        });
        assertEquals(List.of("a", "b"), seen);
    }

    @Test
    void theFingerprintChangesWithAnyTextAndNotWithTheList() throws Exception {
        String f = Corpus.of("s", List.of("ab", "c")).fingerprint();
        assertEquals(f, Corpus.of("s", new ArrayList<>(List.of("ab", "c"))).fingerprint());
        assertNotEquals(f, Corpus.of("s", List.of("a", "bc")).fingerprint(), "the same bytes split otherwise");
        assertNotEquals(f, Corpus.of("s", List.of("ab", "d")).fingerprint());
        assertTrue(f.contains("2 documents"), f);
    }

    @Test
    void copiesTheListAndRefusesANullTextOrABlankSource() throws Exception {
        List<String> texts = new ArrayList<>(List.of("a"));
        Corpus c = Corpus.of("s", texts);
        texts.add("b");
        List<String> seen = new ArrayList<>();
        c.forEach(d -> seen.add(d.text()));
        assertEquals(List.of("a"), seen);
        String e = assertThrows(IllegalArgumentException.class, () -> Corpus.of("s", Arrays.asList("a", null)))
                .getMessage();
        assertTrue(e.contains("document 2"), e);
        assertThrows(IllegalArgumentException.class, () -> Corpus.of(" ", List.of("a")));
    }
}
