package org.soupofexperts.examples.experiment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Parts come back as the records they were written from; parts measured another way are refused. */
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

    @Test
    void aPartComesBackAsTheRecordItWasWrittenFromNotMeasuredValuesIncluded() throws Exception {
        Parts parts = new Parts(out, "steps=2");
        PlainRun run = new PlainRun(3e-3, 2, 1.25, 512, 2.5, new double[] {2.0, Double.NaN}, new float[] {5.5f, 5.1f});
        parts.put("generic", run);
        PlainRun back = new Parts(out, "steps=2").get("generic", PlainRun.class).orElseThrow();
        assertEquals(1.25, back.seconds());
        assertEquals(512, back.tokens());
        assertArrayEquals(run.perDomainBitsPerByte(), back.perDomainBitsPerByte());
        assertArrayEquals(run.losses(), back.losses());
        assertTrue(parts.get("soup", SoupRun.class).isEmpty(), "a part never written is absent");
    }

    @Test
    void getOrRunDoesTheWorkOnceAndThenReadsItsPart() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        Parts.Work<PlainRun> work = () -> {
            runs.incrementAndGet();
            return new PlainRun(1e-3, 1, 0.5, 8, 3.0, new double[] {3.0}, new float[] {4f});
        };
        new Parts(out, "steps=1").getOrRun("generic", PlainRun.class, work);
        PlainRun again = new Parts(out, "steps=1").getOrRun("generic", PlainRun.class, work);
        assertEquals(1, runs.get());
        assertEquals(0.5, again.seconds());
    }

    @Test
    void aDamagedPartIsAnErrorThatNamesItsFile() throws Exception {
        Parts parts = new Parts(out, "steps=1");
        Files.writeString(out.resolve("parts/generic.json"), "{\"seconds\": [1, 2");
        IOException e = assertThrows(IOException.class, () -> parts.get("generic", PlainRun.class));
        assertTrue(e.getMessage().contains("generic.json"), e.getMessage());
    }

    @Test
    void aPartOfAnotherFormIsRefusedRatherThanReadWithFieldsMissing() throws Exception {
        // What the string-keyed version wrote for a soup: its scores flat, no "scores" or "losses".
        Parts parts = new Parts(out, "steps=1");
        Files.writeString(out.resolve("parts/soup.json"), "{\"seconds\": 12.5, \"naturalBitsPerByte\": 3.2}");
        IOException e = assertThrows(IOException.class, () -> parts.get("soup", SoupRun.class));
        assertTrue(e.getMessage().contains("soup.json") && e.getMessage().contains("another version"), e.getMessage());
    }
}
