package org.soupofexperts.core.io.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.soupofexperts.core.io.SoupFormatException;

/** The one parser every artefact reader uses: strict, one object, bounded nesting. */
class StrictJsonTest {

    @Test
    void nestingBeyondTheLimitIsRefusedButBracketsInsideStringsAreText() throws SoupFormatException {
        String ok = "{\"a\": " + "[".repeat(StrictJson.MAX_DEPTH - 1) + "]".repeat(StrictJson.MAX_DEPTH - 1) + "}";
        assertTrue(StrictJson.parseObject(ok, "test").has("a"));
        String deep = "{\"a\": " + "[".repeat(StrictJson.MAX_DEPTH) + "]".repeat(StrictJson.MAX_DEPTH) + "}";
        SoupFormatException e = assertThrows(SoupFormatException.class, () -> StrictJson.parseObject(deep, "test"));
        assertTrue(e.getMessage().contains("nests deeper than " + StrictJson.MAX_DEPTH), e.getMessage());
        String inString = "{\"a\": \"" + "[".repeat(1000) + "\\\"{{{\"}";
        assertEquals(
                "[".repeat(1000) + "\"{{{",
                StrictJson.parseObject(inString, "test").get("a").getAsString());
    }

    @Test
    void onlyOneStrictObjectIsAccepted() {
        for (String bad : new String[] {"[1]", "{\"a\": 1} {\"b\": 2}", "{a: 1}", "{\"a\": 1,}", "{\"a\": NaN}", ""}) {
            SoupFormatException e =
                    assertThrows(SoupFormatException.class, () -> StrictJson.parseObject(bad, "where"), bad);
            assertTrue(e.getMessage().startsWith("where"), e.getMessage());
        }
    }
}
