package org.soupofexperts.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Resident memory of this process from /proc (Linux): current and peak RSS, and a reset of the
 * peak so that each configuration of a run gets its own. Returns -1 where /proc is missing.
 */
final class Memory {

    private Memory() {}

    /** Current resident set size in bytes. */
    static long rss() {
        return field("VmRSS:");
    }

    /** Peak resident set size since the start or the last {@link #resetPeak}, in bytes. */
    static long peakRss() {
        return field("VmHWM:");
    }

    /** Resets the peak (writing 5 to clear_refs, Linux 4.0+); false if the kernel refused. */
    static boolean resetPeak() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Memory the JVM heap uses; resident memory beyond it is mostly the engine's native memory. */
    static long heapUsed() {
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }

    private static long field(String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(name)) {
                    return Long.parseLong(line.substring(name.length()).trim().split("\\s+")[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
