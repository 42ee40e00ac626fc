package org.soupofexperts.data.store;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/**
 * Which process is building a store folder: {@code <pid> <start instant> <host>} in a small file
 * inside it, so that the folder of a killed build can be told from one in progress at once,
 * instead of after {@link TokenStore#STALE} (five killed builds once left 216 MB). Stateless.
 */
final class BuildOwner {

    static final String FILE = "builder";

    private BuildOwner() {}

    /** This process, as written into a build folder. */
    static String current() {
        ProcessHandle me = ProcessHandle.current();
        return me.pid() + " " + me.info().startInstant().map(Instant::toString).orElse("-") + " " + host() + "\n";
    }

    /**
     * True only when the file names a process of this host that no longer runs (or whose pid now
     * belongs to a process started at another time). False when it is unreadable, names another
     * host, or the process runs: then the caller falls back to the age rule.
     */
    static boolean isGone(Path file) {
        String text;
        try {
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) || Files.size(file) > 1024) {
                return false;
            }
            text = Files.readString(file, StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return false;
        }
        String[] f = text.split(" ");
        if (f.length != 3 || !f[2].equals(host())) {
            return false;
        }
        long pid;
        try {
            pid = Long.parseLong(f[0]);
        } catch (NumberFormatException e) {
            return false;
        }
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        if (h.isEmpty() || !h.get().isAlive()) {
            return true;
        }
        Optional<String> started = h.get().info().startInstant().map(Instant::toString);
        return !f[1].equals("-") && started.isPresent() && !started.get().equals(f[1]);
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName().replace(' ', '_');
        } catch (IOException e) {
            return "unknown-host";
        }
    }
}
