package org.soupofexperts.examples.experiment;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A Markdown table of an experiment's report: the first column left-aligned (names), the others
 * right-aligned (figures). A {@code double} cell is written to three decimals and NaN as "-", so
 * that every report writes numbers the same way. Not thread-safe.
 */
public final class MarkdownTable {

    private final List<String> header;
    private final List<List<String>> rows = new ArrayList<>();

    /** A table with these column titles. */
    public MarkdownTable(String... header) {
        if (header.length == 0) {
            throw new IllegalArgumentException("a table needs at least one column");
        }
        this.header = List.of(header);
    }

    /** A table with these column titles. */
    public MarkdownTable(List<String> header) {
        this(header.toArray(String[]::new));
    }

    /**
     * Adds a row: one cell per column; a {@code Double} as {@link #number}, anything else as its
     * {@code toString}.
     */
    public MarkdownTable row(Object... cells) {
        if (cells.length != header.size()) {
            throw new IllegalArgumentException(
                    "a row of " + cells.length + " cells in a table of " + header.size() + " columns");
        }
        List<String> row = new ArrayList<>(cells.length);
        for (Object c : cells) {
            row.add(c instanceof Double v ? number(v) : String.valueOf(c));
        }
        rows.add(row);
        return this;
    }

    /** A row whose first cell is {@code name} and whose others are {@code values}. */
    public MarkdownTable row(String name, double[] values) {
        Object[] cells = new Object[values.length + 1];
        cells[0] = name;
        for (int i = 0; i < values.length; i++) {
            cells[i + 1] = values[i];
        }
        return row(cells);
    }

    /** A loss as every report writes it: three decimals, NaN (not measured) as "-". */
    public static String number(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.3f", v);
    }

    /** A relative change as a signed percentage to one decimal, e.g. "-5.0%". */
    public static String percent(double value, double reference) {
        return String.format(Locale.ROOT, "%+.1f%%", 100 * (value / reference - 1));
    }

    @Override
    public String toString() {
        StringBuilder md = new StringBuilder();
        line(md, header);
        md.append("|---|").append("---:|".repeat(header.size() - 1)).append('\n');
        rows.forEach(r -> line(md, r));
        return md.toString();
    }

    private static void line(StringBuilder md, List<String> cells) {
        md.append("| ").append(String.join(" | ", cells)).append(" |\n");
    }
}
