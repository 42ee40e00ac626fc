package org.soupofexperts.examples.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class MarkdownTableTest {

    @Test
    void namesLeftFiguresRightLossesToThreeDecimalsAndUnmeasuredAsADash() {
        String md = new MarkdownTable("domain", "generic", "soup", "steps")
                .row("c", 3.14159, Double.NaN, 1000)
                .row("java", 2.0, 1.9995, 7L)
                .toString();
        assertEquals(
                "| domain | generic | soup | steps |\n"
                        + "|---|---:|---:|---:|\n"
                        + "| c | 3.142 | - | 1000 |\n"
                        + "| java | 2.000 | 2.000 | 7 |\n",
                md);
    }

    @Test
    void aRowOfNumbersFollowsItsName() {
        assertEquals(
                "| model | a | b |\n|---|---:|---:|\n| soup | 1.500 | -0.250 |\n",
                new MarkdownTable("model", "a", "b")
                        .row("soup", new double[] {1.5, -0.25})
                        .toString());
    }

    @Test
    void aRowOfTheWrongWidthIsRefused() {
        MarkdownTable t = new MarkdownTable("domain", "loss");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.row("c", 1.0, 2.0));
        assertEquals("a row of 3 cells in a table of 2 columns", e.getMessage());
    }

    @Test
    void aChangeIsASignedPercentage() {
        assertEquals("-5.0%", MarkdownTable.percent(2.602 * 0.95 / 0.95 * 0.95, 2.602));
        assertEquals("+10.0%", MarkdownTable.percent(1.1, 1.0));
    }
}
