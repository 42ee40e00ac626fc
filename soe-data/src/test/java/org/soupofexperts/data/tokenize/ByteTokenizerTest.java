package org.soupofexperts.data.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ByteTokenizerTest {

    private final ByteTokenizer tok = new ByteTokenizer();

    @Test
    void textRoundTripsThroughBytes() {
        String s = "Soupe aux experts: λ = 0.5, 日本語 and emoji 🍲\n";
        int[] ids = tok.encode(s);
        assertEquals(s.getBytes(StandardCharsets.UTF_8).length, ids.length);
        assertEquals(s, tok.decode(ids));
        for (int id : ids) {
            assertEquals(true, id >= 0 && id < 256);
        }
    }

    @Test
    void invalidUtf8DecodesWithoutCrashing() {
        assertEquals("a\uFFFDb", tok.decode(new int[] {'a', 0xff, 'b'}));
        assertArrayEquals(new int[] {0xEF, 0xBF, 0xBD}, tok.encode("\uFFFD"));
        assertThrows(IllegalArgumentException.class, () -> tok.decode(new int[] {300}));
    }
}
