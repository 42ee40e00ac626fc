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
    void moreValuesThanTheLimitAreRefusedBeforeParsingButCommasInsideStringsAreText() throws SoupFormatException {
        // 8,000,001 zeros: 16 MB of text that Gson would hold in about 640 MB.
        String many = "{\"a\": [" + "0,".repeat((int) StrictJson.MAX_VALUES) + "0]}";
        SoupFormatException e = assertThrows(SoupFormatException.class, () -> StrictJson.parseObject(many, "test"));
        assertTrue(
                e.getMessage().contains("holds more than " + StrictJson.MAX_VALUES + " JSON values"), e.getMessage());
        String text = "{\"a\": \"" + ",".repeat((int) StrictJson.MAX_VALUES + 10) + "\"}";
        assertEquals(
                StrictJson.MAX_VALUES + 10,
                StrictJson.parseObject(text, "test").get("a").getAsString().length());
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
