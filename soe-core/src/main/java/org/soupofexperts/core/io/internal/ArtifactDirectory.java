package org.soupofexperts.core.io.internal;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.UUID;
import org.slf4j.LoggerFactory;
import org.soupofexperts.core.io.AtomicFile;
import org.soupofexperts.core.io.SoupFormatException;

/**
 * The on-disk layout of a saved soup or specialist: {@code manifest.json} plus one
 * content-addressed parameter file {@code params-<sha256 prefix>.bin} that the manifest names
 * with its size and SHA-256.
 *
 * <p>Why this layout: a save writes the new parameter file under a new name, then replaces the
 * manifest with an atomic rename, and only then deletes the old parameter file (the one the old
 * manifest named, nothing else). A save never replaces an artefact of another kind and never
 * writes into a folder holding other files; temporaries of a killed save are removed by the next. A crash at any
 * point leaves either the old complete artefact or the new one, never a mix. Loading checks size
 * and checksum before decoding, so truncation and corruption are reported, not half-loaded.
 *
 * <p>Stateless and thread-safe; concurrent saves into the same directory are not supported.
 */
public final class ArtifactDirectory {

    /** Name of the manifest file. */
    public static final String MANIFEST = "manifest.json";
    /**
     * Format tag written into every manifest. Format 2 stores linear weights (in, out); format 1
     * (never released) stored them (out, in) and is refused, because a square weight read in the
     * other layout would load without any error.
     */
    public static final String FORMAT = "soupofexperts/2";

    /** Manifest field holding the SHA-256 of the manifest without that field (pretty JSON, UTF-8). */
    public static final String MANIFEST_SHA256 = "manifestSha256";

    /** SHA-256 of the manifest as this library writes it, leaving out {@link #MANIFEST_SHA256}. */
    private static String manifestDigest(JsonObject m) {
        JsonObject copy = m.deepCopy();
        copy.remove(MANIFEST_SHA256);
        return HexFormat.of().formatHex(sha256().digest(GSON.toJson(copy).getBytes(StandardCharsets.UTF_8)));
    }

    /** Manifests hold configs, provenance and attachments (centroids): a few MiB at most. */
    public static final long MAX_MANIFEST_BYTES = 64L << 20;

    private static final Gson GSON =
            new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

    private ArtifactDirectory() {}

    /**
     * Throws as {@link #save} would for {@code dir} (a link, a file, a folder of other files or of
     * another kind of artefact), so that a program can refuse a bad output folder before the work
     * whose result it would save. A folder that does not exist yet passes.
     */
    public static void checkWritable(Path dir, String kind) throws IOException {
        if (!Files.notExists(dir, LinkOption.NOFOLLOW_LINKS)) {
            ArtifactFiles.checkReplaceable(dir, kind);
        }
    }

    /** Writes parameters with {@code writer}. */
    @FunctionalInterface
    public interface ParameterWriter {
        void write(DataOutputStream out) throws IOException;
    }

    /** A verified artefact: its manifest and its parameter file. */
    public record Loaded(JsonObject manifest, Path parameters) {}

    /**
     * Saves atomically: the parameters, then {@code manifest} (to which this adds format, kind,
     * parameter file name, size and checksum), then removes files of the previous save.
     */
    public static void save(Path dir, String kind, JsonObject manifest, ParameterWriter writer) throws IOException {
        long size = GSON.toJson(manifest).getBytes(StandardCharsets.UTF_8).length;
        if (size > MAX_MANIFEST_BYTES - 4096) {
            // Refused before anything is written: no load would take it (the centroids of thousands
            // of clusters in a soup's attachment are what grows it).
            throw new IllegalArgumentException(dir + ": the " + kind + "'s manifest would hold " + size
                    + " bytes, over the " + MAX_MANIFEST_BYTES + " a load takes; fewer clusters (or a smaller"
                    + " embedder) make its attachments smaller");
        }
        Files.createDirectories(dir);
        String previous = ArtifactFiles.checkReplaceable(dir, kind);
        ArtifactFiles.removeTemporaries(dir);
        String token = UUID.randomUUID().toString();
        Path tmpParams = dir.resolve(".params-" + token + ".tmp");
        Path tmpManifest = dir.resolve(".manifest-" + token + ".tmp");
        MessageDigest sha = sha256();
        long bytes;
        try {
            try (OutputStream fos = Files.newOutputStream(tmpParams, StandardOpenOption.CREATE_NEW);
                    DigestOutputStream dos = new DigestOutputStream(new BufferedOutputStream(fos, 1 << 20), sha);
                    DataOutputStream out = new DataOutputStream(dos)) {
                writer.write(out);
            }
            force(tmpParams);
            bytes = Files.size(tmpParams);
            String digest = HexFormat.of().formatHex(sha.digest());
            String paramsName = "params-" + digest.substring(0, 16) + ".bin";
            move(tmpParams, dir.resolve(paramsName));
            forceDirectory(dir);

            JsonObject m = manifest.deepCopy();
            m.addProperty("format", FORMAT);
            m.addProperty("kind", kind);
            JsonObject p = new JsonObject();
            p.addProperty("file", paramsName);
            p.addProperty("bytes", bytes);
            p.addProperty("sha256", digest);
            m.add("parameterFile", p);
            m.remove(MANIFEST_SHA256);
            m.addProperty(MANIFEST_SHA256, manifestDigest(m));
            Files.writeString(tmpManifest, GSON.toJson(m), StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW);
            force(tmpManifest);
            move(tmpManifest, dir.resolve(MANIFEST));
            forceDirectory(dir);
            if (previous != null && !previous.equals(paramsName)) {
                Files.deleteIfExists(dir.resolve(previous));
            }
            ArtifactFiles.removeOrphanedParameters(dir, paramsName);
        } finally {
            Files.deleteIfExists(tmpParams);
            Files.deleteIfExists(tmpManifest);
        }
    }

    /**
     * Refuses any format but {@link #FORMAT}, naming the layout change for format 1.
     *
     * @param where the file that declared {@code format}, for the message
     */
    public static void checkFormat(String format, Object where) throws SoupFormatException {
        if (FORMAT.equals(format)) {
            return;
        }
        String why = "soupofexperts/1".equals(format)
                ? " (format 1 stored linear weights (out, in), format 2 stores them (in, out); an artefact of the"
                        + " unreleased format 1 must be trained or exported again)"
                : "";
        throw new SoupFormatException(
                where + " has format '" + format + "'; this library reads '" + FORMAT + "'" + why);
    }

    /**
     * Opens a saved artefact of {@code kind}, verifying the manifest, the parameter file's size
     * and its SHA-256. Throws {@link SoupFormatException} naming what is wrong.
     */
    public static Loaded open(Path dir, String kind) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new SoupFormatException(dir + " is not a directory (expected a saved " + kind + ")");
        }
        Path manifestPath = dir.resolve(MANIFEST);
        JsonObject m = readManifest(dir, manifestPath, kind);
        String format = string(m, "format", manifestPath);
        checkFormat(format, manifestPath);
        String actualKind = string(m, "kind", manifestPath);
        if (!kind.equals(actualKind)) {
            throw new SoupFormatException(dir + " holds a saved " + actualKind + ", not a " + kind);
        }
        if (!m.has("parameterFile") || !m.get("parameterFile").isJsonObject()) {
            throw new SoupFormatException(manifestPath + " does not name its parameter file");
        }
        return new Loaded(m, verifiedParameters(dir, manifestPath, m.getAsJsonObject("parameterFile")));
    }

    /** The manifest, bounded in size and checked against its own SHA-256. */
    private static JsonObject readManifest(Path dir, Path manifestPath, String kind) throws IOException {
        if (!Files.isRegularFile(manifestPath, LinkOption.NOFOLLOW_LINKS)) {
            throw new SoupFormatException(dir + " is not a saved " + kind + ": it has no " + MANIFEST
                    + (Files.exists(manifestPath)
                            ? " that is a regular file (links and special files are refused)"
                            : ""));
        }
        if (Files.size(manifestPath) > MAX_MANIFEST_BYTES) {
            throw new SoupFormatException(manifestPath + " has " + Files.size(manifestPath)
                    + " bytes, over the limit of " + MAX_MANIFEST_BYTES + " for a manifest");
        }
        JsonObject m = StrictJson.readObject(manifestPath);
        if (m.has(MANIFEST_SHA256)) {
            String declared = m.get(MANIFEST_SHA256).isJsonPrimitive()
                    ? m.get(MANIFEST_SHA256).getAsString()
                    : "";
            if (!declared.equals(manifestDigest(m))) {
                throw new SoupFormatException(manifestPath + " was edited or damaged: its content does not match its "
                        + MANIFEST_SHA256 + " (a manifest is written by this library only)");
            }
        } else {
            LoggerFactory.getLogger(ArtifactDirectory.class)
                    .warn(
                            "{} has no {} (saved by a version before 0.1.0-SNAPSHOT of 2026-11-29): its edits cannot be detected",
                            manifestPath,
                            MANIFEST_SHA256);
        }
        return m;
    }

    /** The parameter file the manifest names: a regular file in the folder, of the size and SHA-256 it gives. */
    private static Path verifiedParameters(Path dir, Path manifestPath, JsonObject p) throws IOException {
        String name = string(p, "file", manifestPath);
        if (name.contains("/") || name.contains("\\") || name.startsWith(".")) {
            throw new SoupFormatException(manifestPath + " names an invalid parameter file '" + name + "'");
        }
        Path params = dir.resolve(name);
        long expected;
        try {
            expected = Long.parseLong(string(p, "bytes", manifestPath));
        } catch (NumberFormatException e) {
            throw new SoupFormatException(manifestPath + " has a non-numeric parameter file size", e);
        }
        if (Files.exists(params, LinkOption.NOFOLLOW_LINKS)
                && !Files.isRegularFile(params, LinkOption.NOFOLLOW_LINKS)) {
            // A FIFO or a link to /dev/zero would block or never end.
            throw new SoupFormatException(
                    dir + ": parameter file " + name + " is a link or a special file, not a regular file; refused");
        }
        long actual;
        try {
            actual = Files.size(params);
        } catch (NoSuchFileException e) {
            throw new SoupFormatException(dir + " is incomplete: parameter file " + name + " is missing", e);
        }
        if (actual != expected) {
            throw new SoupFormatException(dir + " is truncated or damaged: " + name + " has " + actual
                    + " bytes, the manifest says " + expected);
        }
        if (!digest(params).equals(string(p, "sha256", manifestPath))) {
            throw new SoupFormatException(dir + " is corrupt: the SHA-256 of " + name + " does not match the manifest");
        }
        return params;
    }

    private static String string(JsonObject o, String key, Path where) throws SoupFormatException {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonPrimitive()) {
            throw new SoupFormatException(where + " lacks the field '" + key + "'");
        }
        return e.getAsString();
    }

    /** Hex SHA-256 of a file's content, read in 1 MiB blocks. */
    public static String digest(Path file) throws IOException {
        MessageDigest sha = sha256();
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            int r;
            while ((r = in.read(buf)) > 0) {
                sha.update(buf, 0, r);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    private static void move(Path from, Path to) throws IOException {
        AtomicFile.rename(from, to);
    }

    private static void force(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    private static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some file systems cannot sync a directory; the renames are still ordered.
        }
    }

    /**
     * Deletes an artefact's own files (the manifest, parameter files and temporaries of saves),
     * then the folder if that left it empty. Anything else stays, so a folder a user also put
     * files in is never emptied; returns whether the folder is gone.
     */
    public static boolean delete(Path dir) throws IOException {
        return ArtifactFiles.delete(dir);
    }

    /** Pretty JSON of any tree (for reports). */
    public static String toJson(JsonElement e) {
        return GSON.toJson(e);
    }
}
