package org.soupofexperts.examples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Samples this process's resident memory (VmRSS of /proc/self/status, Linux only) every 250 ms
 * on a daemon thread until closed: first, largest and last value in MiB. Thread-safe.
 */
final class RssSampler implements AutoCloseable {

    private static final Path STATUS = Path.of("/proc/self/status");

    private final long start = read();
    private final AtomicLong max = new AtomicLong(start);
    private final Thread thread;
    private volatile boolean running = true;

    RssSampler() {
        thread = new Thread(
                () -> {
                    while (running) {
                        long v = read();
                        max.accumulateAndGet(v, Math::max);
                        try {
                            Thread.sleep(250);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                },
                "rss-sampler");
        thread.setDaemon(true);
        thread.start();
    }

    /** VmRSS in MiB, or -1 where there is no /proc. */
    static long read() {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux: no figure
        }
        return -1;
    }

    /** Resident memory in MiB: at the start, the largest seen, at the end; all -1 where not measurable. */
    record Summary(long start, long max, long end) {
        boolean measured() {
            return start >= 0 && end >= 0;
        }
    }

    /** The resident memory so far. */
    Summary summary() {
        long end = read();
        return start >= 0 && end >= 0 ? new Summary(start, Math.max(max.get(), end), end) : new Summary(-1, -1, -1);
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
