package org.soupofexperts.core.io;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Writes a new folder atomically: its files go into a hidden folder beside it, which is renamed
 * into place when complete, so the folder holds the whole content or does not exist; the hidden
 * folder is deleted if writing fails. An existing folder is never replaced. Stateless.
 */
public final class NewFolder {

    private NewFolder() {}

    /** What fills the folder: it writes its files into {@code dir}. */
    @FunctionalInterface
    public interface Content {
        void write(Path dir) throws IOException;
    }

    /**
     * Creates {@code dir} with the files {@code content} writes.
     *
     * @throws FileAlreadyExistsException if {@code dir} exists (the message says {@code what} it was to hold)
     */
    public static void write(Path dir, String what, Content content) throws IOException {
        Path target = dir.toAbsolutePath().normalize();
        if (Files.exists(target)) {
            throw new FileAlreadyExistsException(target.toString(), null, "choose a new folder for the " + what);
        }
        Files.createDirectories(target.getParent());
        Path tmp = target.getParent().resolve("." + target.getFileName() + ".tmp-" + UUID.randomUUID());
        try {
            Files.createDirectory(tmp);
            content.write(tmp);
            AtomicFile.rename(tmp, target);
        } finally {
            if (Files.exists(tmp)) {
                try (Stream<Path> files = Files.walk(tmp)) {
                    for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        }
    }
}
