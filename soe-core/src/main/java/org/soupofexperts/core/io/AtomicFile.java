package org.soupofexperts.core.io;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;

/**
 * Writes files so that readers see the old content or the new, never a part: the bytes go to a
 * temporary file of a unique name beside it (two writers never share one), are forced to disk,
 * and the temporary file is renamed over the target; on any failure it is removed. {@link
 * #rename} is the library's one atomic rename (an ArchUnit rule forbids {@code ATOMIC_MOVE}
 * anywhere else), used for files and for folders written under a temporary name.
 * Stateless; thread-safe (concurrent writers of one file: the last rename wins, whole).
 */
public final class AtomicFile {

    private AtomicFile() {}

    /** Writes {@code text} as UTF-8 into {@code file}, creating its folder when needed. */
    public static void write(Path file, String text) throws IOException {
        write(file, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Writes {@code bytes} into {@code file}, creating its folder when needed. */
    public static void write(Path file, byte[] bytes) throws IOException {
        write(file, out -> out.write(bytes));
    }

    /** What writes a file's bytes (into a stream the caller must not close). */
    @FunctionalInterface
    public interface Content {
        /** Writes the whole file into {@code out}. */
        void writeTo(OutputStream out) throws IOException;
    }

    /** Writes what {@code content} gives into {@code file}, creating its folder when needed. */
    public static void write(Path file, Content content) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = parent.resolve("." + file.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try {
            // A unique name, so no other writer holds this file; synced before the rename.
            try (FileOutputStream out = new FileOutputStream(tmp.toFile())) {
                content.writeTo(out);
                out.getFD().sync();
            }
            rename(tmp, file);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Renames {@code from} to {@code to} in one step: a file replaces any file there, a folder
     * needs {@code to} absent (or an empty folder). Readers see the old or the new, never neither.
     *
     * @throws IOException naming the file system when it cannot rename atomically (then nothing
     *     moved), or as {@link Files#move} does
     */
    public static void rename(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException(
                    "the file system of " + to + " cannot rename atomically; writing there could leave a part-written"
                            + " file or folder, so it is refused",
                    e);
        }
    }

    /**
     * Puts the folder {@code fresh} in the place of {@code target} (all three on one file system):
     * an existing {@code target} is first renamed to {@code aside}, then {@code fresh} renamed into
     * place, so {@code target} is always the whole old folder or the whole new one (absent only
     * between the two renames). The caller deletes {@code aside} by its own rule, and names it so
     * that its clean-up of interrupted writes finds it.
     *
     * @return whether there was an old folder, now at {@code aside}
     */
    public static boolean replaceFolder(Path fresh, Path target, Path aside) throws IOException {
        boolean old = Files.exists(target, LinkOption.NOFOLLOW_LINKS);
        if (old) {
            rename(target, aside);
        }
        rename(fresh, target);
        return old;
    }
}
