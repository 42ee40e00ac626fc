package org.soupofexperts.data.corpus;

import com.github.luben.zstd.ZstdInputStream;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/** Opens plain, gzip ({@code .gz}) and Zstandard ({@code .zst}) files by their extension. */
final class Compression {

    private Compression() {}

    static InputStream open(Path file) throws IOException {
        InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        String name = file.getFileName().toString();
        if (name.endsWith(".gz")) {
            return new GZIPInputStream(in, 1 << 16);
        }
        if (name.endsWith(".zst") || name.endsWith(".zstd")) {
            return new BufferedInputStream(new ZstdInputStream(in), 1 << 16);
        }
        return in;
    }

    static String fingerprint(Path file) throws IOException {
        return file.toAbsolutePath().normalize() + ":" + Files.size(file) + ":"
                + Files.getLastModifiedTime(file).toMillis();
    }
}
