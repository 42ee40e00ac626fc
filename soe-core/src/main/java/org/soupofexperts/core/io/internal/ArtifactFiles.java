package org.soupofexperts.core.io.internal;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.slf4j.LoggerFactory;
import org.soupofexperts.core.io.ArtifactConflictException;
import org.soupofexperts.core.io.SoupFormatException;

/**
 * Which files of a folder are an artefact's own ({@link ArtifactDirectory}): the manifest, the
 * parameter files, the temporaries of saves, and the parameter files of saves killed before
 * their manifest (proven by their content). A save replaces only what it can prove is a
 * library's; a delete removes only those files. Stateless.
 */
final class ArtifactFiles {

    private ArtifactFiles() {}

    private static final Pattern TEMPORARY = Pattern.compile("\\.(params|manifest)-[0-9a-f-]{36}\\.tmp");
    private static final Pattern PARAMS = Pattern.compile("params-[0-9a-f]{16}\\.bin");

    /**
     * What a save may replace: nothing (an empty or new folder), or an artefact of the same kind.
     * A folder holding another kind, or files that are not an artefact's, is refused, so that a
     * mistyped output path never destroys a soup or a user's files. Returns the parameter file
     * the current manifest names (deleted once the new save is complete), or null.
     */
    static String checkReplaceable(Path dir, String kind) throws IOException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new ArtifactConflictException(
                    dir + " is not a folder (or is a link to one): cannot save a " + kind + " there");
        }
        Path manifestPath = dir.resolve(ArtifactDirectory.MANIFEST);
        if (Files.exists(manifestPath, LinkOption.NOFOLLOW_LINKS)) {
            String existing;
            String params = null;
            try {
                JsonObject m = StrictJson.readObject(manifestPath);
                existing = m.get("kind").getAsString();
                JsonElement p = m.get("parameterFile");
                if (p != null && p.isJsonObject() && p.getAsJsonObject().has("file")) {
                    params = p.getAsJsonObject().get("file").getAsString();
                }
            } catch (RuntimeException | SoupFormatException e) {
                throw new ArtifactConflictException(
                        dir + " holds a " + ArtifactDirectory.MANIFEST
                                + " this library cannot read; refusing to replace it" + " with a " + kind
                                + " (choose another folder or delete it)",
                        e);
            }
            if (!kind.equals(existing)) {
                throw new ArtifactConflictException(dir + " holds a saved " + existing
                        + "; refusing to replace it with a " + kind + " (choose another folder)");
            }
            return params != null && PARAMS.matcher(params).matches() ? params : null;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                // Temporaries and orphaned parameter files are what a first save killed before its
                // manifest leaves: provably ours, and removed by this save.
                if (!TEMPORARY.matcher(p.getFileName().toString()).matches() && !isOrphanedParameters(p)) {
                    throw new ArtifactConflictException(dir + " is not empty and holds no saved " + kind + " (found "
                            + p.getFileName() + "); choose an empty or new folder");
                }
            }
        }
        return null;
    }

    /** A {@code params-<h>.bin} regular file whose content's SHA-256 begins with h. */
    private static boolean isOrphanedParameters(Path p) throws IOException {
        String name = p.getFileName().toString();
        return PARAMS.matcher(name).matches()
                && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)
                && ArtifactDirectory.digest(p).startsWith(name.substring("params-".length(), "params-".length() + 16));
    }

    /**
     * Deletes an artefact's own files (the manifest, parameter files and temporaries of saves),
     * then the folder if that left it empty. Anything else stays, so a folder a user also put
     * files in is never emptied; returns whether the folder is gone.
     */
    static boolean delete(Path dir) throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if ((name.equals(ArtifactDirectory.MANIFEST)
                                || PARAMS.matcher(name).matches()
                                || TEMPORARY.matcher(name).matches())
                        && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    Files.delete(p);
                }
            }
        }
        try {
            Files.delete(dir);
            return true;
        } catch (DirectoryNotEmptyException e) {
            return false;
        }
    }

    /**
     * Parameter files of saves killed after their parameters were in place but before their
     * manifest was: {@code params-<h>.bin} that the manifest does not name, whose content's
     * SHA-256 begins with h. The content proves the library wrote the file, so a user's own file
     * is never taken for one.
     */
    static void removeOrphanedParameters(Path dir, String current) throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                if (!p.getFileName().toString().equals(current) && isOrphanedParameters(p)) {
                    LoggerFactory.getLogger(ArtifactDirectory.class)
                            .info("removing {}, left by a save that was killed before its manifest was written", p);
                    Files.delete(p);
                }
            }
        }
    }

    /** Temporary files of saves that were killed before they finished. */
    static void removeTemporaries(Path dir) throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                if (TEMPORARY.matcher(p.getFileName().toString()).matches()
                        && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    Files.delete(p);
                }
            }
        }
    }
}
