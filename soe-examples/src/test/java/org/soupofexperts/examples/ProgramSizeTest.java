package org.soupofexperts.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.soupofexperts.testing.SourceSizes;

/**
 * Each experiment program reads in one sitting: no file of soe-examples is longer than 250 lines
 * (a program's options and runs in one file, its report, results and variants in others).
 */
class ProgramSizeTest {

    static final int MAX_LINES = 250;

    @Test
    void noExampleFileIsLongerThanTwoHundredFiftyLines() {
        Path sources = Path.of("src/main/java");
        assertTrue(Files.isDirectory(sources), "run from soe-examples' folder: " + sources.toAbsolutePath());
        Map<String, Integer> longFiles = SourceSizes.longFiles(sources, MAX_LINES);
        assertEquals(Map.of(), longFiles, "files over " + MAX_LINES + " lines");
    }
}
