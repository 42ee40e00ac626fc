package org.soupofexperts.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * docs/reliability.md's table of readers stays true: every class of the library's modules that
 * opens or reads a file has a row saying what it checks, and every row names a class that exists.
 * A new reader without a row fails here, so its checks get written down (and thought about).
 */
class ReaderTableTest {

    /** The library's modules (programs such as soe-examples and soe-bench are not the library). */
    private static final List<String> MODULES = List.of("soe-core", "soe-data", "soe-cli", "soe-serve", "soe-spark");

    private static final Pattern READS =
            Pattern.compile("Files\\.(readString|readAllBytes|readAllLines|lines|newInputStream|newBufferedReader)\\("
                    + "|FileChannel\\.open\\(|new FileInputStream\\(|new RandomAccessFile\\(");

    private static final Pattern ROW = Pattern.compile("^\\| `([A-Za-z0-9]+)` \\|", Pattern.MULTILINE);

    @Test
    void everyClassThatReadsAFileHasARowAndEveryRowAClass() throws IOException {
        Path root = Path.of("..").toAbsolutePath().normalize();
        Set<String> readers = new TreeSet<>();
        Set<String> classes = new TreeSet<>();
        for (String m : MODULES) {
            Path src = root.resolve(m).resolve("src/main/java");
            if (!Files.isDirectory(src)) {
                continue;
            }
            try (Stream<Path> files = Files.walk(src)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    String name = f.getFileName().toString().replace(".java", "");
                    classes.add(name);
                    if (READS.matcher(Files.readString(f)).find()) {
                        readers.add(name);
                    }
                }
            }
        }
        assertTrue(readers.size() >= 8, "the scan finds the readers (9 when it was written): " + readers);
        String doc = Files.readString(root.resolve("docs/reliability.md"));
        int start = doc.indexOf("### Every reader");
        assertTrue(start >= 0, "docs/reliability.md has a section '### Every reader'");
        int end = doc.indexOf("\n#", start + 4);
        String table = doc.substring(start, end < 0 ? doc.length() : end);
        Set<String> rows = new TreeSet<>();
        Matcher m = ROW.matcher(table);
        while (m.find()) {
            rows.add(m.group(1));
        }
        List<String> missing = new ArrayList<>(readers);
        missing.removeAll(rows);
        assertTrue(missing.isEmpty(), "readers without a row in docs/reliability.md: " + missing);
        List<String> unknown = new ArrayList<>(rows);
        unknown.removeAll(classes);
        assertTrue(unknown.isEmpty(), "rows naming no class of the library: " + unknown);
    }
}
