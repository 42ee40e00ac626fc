package org.soupofexperts.data.corpus;

import com.github.luben.zstd.ZstdInputStream;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.GZIPInputStream;

/**
 * Opens plain, gzip ({@code .gz}) and Zstandard ({@code .zst}) files by their extension, and
 * fingerprints files for provenance. Thread-safe.
 */
final class Compression {

    private Compression() {}

    static InputStream open(Path file) throws IOException {
        InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        String name = file.getFileName().toString();
        if (name.endsWith(".gz")) {
            return new GZIPInputStream(in, 1 << 16);
        }
        if (name.endsWith(".zst") || name.endsWith(".zstd")) {
            try {
                return new BufferedInputStream(Zstd.open(in), 1 << 16);
            } catch (NoClassDefFoundError e) {
                in.close();
                throw new IllegalStateException(
                        file + " is zstd-compressed: reading it needs the Maven dependency"
                                + " com.github.luben:zstd-jni (optional in soe-data, its version in soe-bom) on the class path",
                        e);
            }
        }
        return in;
    }

    /**
     * A file as recorded in provenance: its name, size and SHA-256, never its folder (an artefact
     * must not carry the path of the machine that made it). The hash is read once per file version
     * (path, size, modification time) in a process, so a store that checks its corpus on every open
     * does not read a large corpus again.
     */
    static String fingerprint(Path file) throws IOException {
        Path abs = file.toAbsolutePath().normalize();
        long size = Files.size(abs);
        String version = abs + ":" + size + ":" + Files.getLastModifiedTime(abs).toMillis();
        String hash = HASHES.get(version);
        if (hash == null) {
            hash = sha256(abs);
            if (HASHES.size() >= MAX_HASHES) {
                // A long-lived process that reads many corpora must not grow without end; a cleared
                // cache costs one more read of each file.
                HASHES.clear();
            }
            HASHES.put(version, hash);
        }
        return file.getFileName() + ":" + size + ":sha256=" + hash;
    }

    private static String sha256(Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** Hashes of file versions already read, by absolute path, size and modification time. */
    private static final Map<String, String> HASHES = new ConcurrentHashMap<>();

    private static final int MAX_HASHES = 1024;

    /**
     * The one place that names zstd-jni's classes: the JVM resolves them when this class is first
     * used, so without the optional dependency the error arises at the call in {@link #open},
     * which names it (in {@code open} itself, verifying the method would already need them).
     */
    private static final class Zstd {
        static InputStream open(InputStream in) throws IOException {
            return new ZstdInputStream(in);
        }
    }
}
