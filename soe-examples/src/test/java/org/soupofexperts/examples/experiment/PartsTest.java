package org.soupofexperts.examples.experiment;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Parts measured another way are refused, not mixed into a new report. */
class PartsTest {

    @TempDir
    Path out;

    @Test
    void partsMeasuredOnTheFirstWindowsAreRefusedByARunThatSpreadsThem() throws Exception {
        // What a run before the windows were spread recorded: the same settings without the marker.
        Files.createDirectories(out.resolve("parts"));
        Files.writeString(out.resolve("parts/settings.txt"), "steps=1000 seed=1");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new Parts(out, "steps=1000 seed=1"));
        assertTrue(e.getMessage().contains("windows=spread"), e.getMessage());
        new Parts(out.resolve("fresh"), "steps=1000 seed=1"); // a new folder is fine
        new Parts(out.resolve("fresh"), "steps=1000 seed=1"); // and reused by the same settings
    }
}
