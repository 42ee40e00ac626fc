package org.soupofexperts.core.io;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;

/**
 * Writes a small file so that readers see the old content or the new, never a part: the bytes go
 * to a temporary file of a unique name beside it (two writers never share one), are forced to
 * disk, and the temporary file is renamed over the target; on any failure it is removed.
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
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = parent.resolve("." + file.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try {
            // A unique name, so no other writer holds this file; synced before the rename.
            try (FileOutputStream out = new FileOutputStream(tmp.toFile())) {
                out.write(bytes);
                out.getFD().sync();
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
