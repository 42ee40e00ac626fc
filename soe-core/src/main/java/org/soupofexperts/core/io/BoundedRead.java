package org.soupofexperts.core.io;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The one way this library reads a whole file into memory: only a regular file (a FIFO would
 * block, {@code /dev/zero} never end), and only up to a size checked before reading (a 3 GiB
 * file would fill the heap). Everything larger is streamed by its own reader. Stateless.
 */
public final class BoundedRead {

    private BoundedRead() {}

    /**
     * The file's bytes.
     *
     * @param what what the file is, for the message ("tokenizer.json", "a document")
     * @throws SoupFormatException if it is not a regular file or holds more than {@code maxBytes}
     */
    public static byte[] bytes(Path file, long maxBytes, String what) throws IOException {
        check(file, maxBytes, what);
        return Files.readAllBytes(file);
    }

    /**
     * The file as UTF-8 text.
     *
     * @throws SoupFormatException if it is not a regular file, holds more than {@code maxBytes},
     *     or is not UTF-8
     */
    public static String utf8(Path file, long maxBytes, String what) throws IOException {
        check(file, maxBytes, what);
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw new SoupFormatException(file + " (" + what + ") is not UTF-8 text", e);
        }
    }

    private static void check(Path file, long maxBytes, String what) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new SoupFormatException(file + " (" + what + ") "
                    + (Files.exists(file) ? "is not a regular file (a folder, device or pipe)" : "does not exist"));
        }
        long size = Files.size(file);
        if (size > maxBytes) {
            throw new SoupFormatException(
                    file + " (" + what + ") has " + size + " bytes, over the limit of " + maxBytes + " for it");
        }
    }
}
