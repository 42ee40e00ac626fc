package org.soupofexperts.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.soupofexperts.testing.SourceSizes;

/**
 * soe-core's rooms stay small enough to read: no package holds more than 12 source files, and no
 * file of the training loop ({@code core.train} and its rooms) is longer than 300 lines. Reads the
 * sources (Surefire runs in the module's folder).
 */
class RoomSizeTest {

    static final int MAX_FILES_PER_PACKAGE = 12;
    static final int MAX_TRAINING_FILE_LINES = 300;
    private static final Path SOURCES = Path.of("src/main/java");
    private static final Path TRAIN = SOURCES.resolve("org/soupofexperts/core/train");

    @Test
    void noPackageHoldsMoreThanTwelveFiles() {
        assertTrue(Files.isDirectory(SOURCES), "run from soe-core's folder: " + SOURCES.toAbsolutePath());
        Map<String, Integer> crowded = SourceSizes.crowdedPackages(SOURCES, MAX_FILES_PER_PACKAGE);
        assertEquals(Map.of(), crowded, "packages with more than " + MAX_FILES_PER_PACKAGE + " files");
    }

    @Test
    void noTrainingFileIsLongerThanThreeHundredLines() {
        assertTrue(Files.isDirectory(TRAIN), "run from soe-core's folder: " + TRAIN.toAbsolutePath());
        Map<String, Integer> longFiles = SourceSizes.longFiles(TRAIN, MAX_TRAINING_FILE_LINES);
        assertEquals(Map.of(), longFiles, "files over " + MAX_TRAINING_FILE_LINES + " lines");
    }

    @Test
    void theChecksFindACrowdedPackageAndALongFile(@TempDir Path dir) throws IOException {
        Path pkg = Files.createDirectories(dir.resolve("a/b"));
        for (int i = 0; i < 3; i++) {
            Files.writeString(pkg.resolve("C" + i + ".java"), "class C" + i + " {}\n");
        }
        Files.writeString(pkg.resolve("Long.java"), "class Long {\n" + "\n".repeat(5) + "}\n");
        assertEquals(Map.of("a/b", 4), SourceSizes.crowdedPackages(dir, 3));
        assertEquals(Map.of("a/b/Long.java", 7), SourceSizes.longFiles(dir, 6));
        assertEquals(Map.of(), SourceSizes.crowdedPackages(dir, 4));
        assertEquals(Map.of(), SourceSizes.longFiles(dir, 7));
    }
}
