package org.soupofexperts.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code soe} in a child JVM (the only way to kill or signal it for real), its output into a log.
 * The fault tests act on a child when it has reached an observed point (a checkpoint on disk, a
 * progress line, a temporary file of a save), never after a delay on the clock: on a busy machine
 * a child is slower, not differently ordered. The only clock is a hang guard of ten minutes.
 */
final class Child {

    /** Longest wait for any observed progress before the test fails as a hang. */
    static final long HANG_GUARD_NANOS = TimeUnit.MINUTES.toNanos(10);

    /** A condition on the child's files, polled. */
    @FunctionalInterface
    interface Reached {
        boolean now() throws IOException;
    }

    private final Process process;
    private final Path log;

    private Child(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Starts {@code soe args} with {@code jvmOptions}, stdout and stderr into {@code log}. */
    static Child start(Path log, List<String> jvmOptions, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(
                List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g"));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), Soe.class.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        return new Child(p, log);
    }

    static Child start(Path log, String... args) throws IOException {
        return start(log, List.of(), args);
    }

    Process process() {
        return process;
    }

    String log() throws IOException {
        return Files.readString(log);
    }

    /**
     * Waits until {@code reached} holds while the child runs; false if the child ended first (it
     * must then have succeeded). Polls every millisecond, so that short windows (a save) are seen.
     */
    boolean await(Reached reached, String what) throws Exception {
        long guard = System.nanoTime() + HANG_GUARD_NANOS;
        while (process.isAlive()) {
            if (reached.now()) {
                return true;
            }
            assertTrue(System.nanoTime() < guard, "no " + what + " in ten minutes: " + log());
            Thread.sleep(1);
        }
        endedByItself();
        return false;
    }

    /** Waits until the log contains {@code text} while the child runs (false if it ended first). */
    boolean awaitLog(String text) throws Exception {
        return await(() -> log().contains(text), "'" + text + "' in the log");
    }

    /** SIGKILL now if still running (true), else checks that it ended by itself with success. */
    boolean kill() throws Exception {
        if (process.isAlive()) {
            process.destroyForcibly().waitFor();
            return true;
        }
        endedByItself();
        return false;
    }

    /** Waits for the child to end by itself (within the hang guard), successfully. */
    void finish() throws Exception {
        assertTrue(process.waitFor(HANG_GUARD_NANOS, TimeUnit.NANOSECONDS), "no end in ten minutes: " + log());
        endedByItself();
    }

    private void endedByItself() throws Exception {
        process.waitFor();
        assertEquals(0, process.exitValue(), "the child failed by itself: " + log());
    }

    /** Every entry of {@code dir} (none if it does not exist), by name. */
    static List<String> names(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (var s = Files.list(dir)) {
            return s.map(f -> f.getFileName().toString()).toList();
        }
    }

    /** Bytes under {@code dir}, files that vanish while walked left out (0 if it does not exist). */
    static long bytesUnder(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        long total = 0;
        try (var s = Files.walk(dir)) {
            for (Path f : s.toList()) {
                try {
                    total += Files.isRegularFile(f) ? Files.size(f) : 0;
                } catch (IOException gone) {
                    // renamed or removed by the child meanwhile
                }
            }
        } catch (IOException | UncheckedIOException gone) {
            return total;
        }
        return total;
    }
}
