package org.soupofexperts.data.corpus;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.Stream;
import java.util.zip.ZipException;
import org.soupofexperts.core.io.SoupFormatException;

/**
 * A directory with one sub-directory per domain, each holding text files (one document per file;
 * .gz and .zst are decompressed). Files are read in sorted order, one at a time. Thread-safe.
 */
public final class DirectoryCorpus implements Corpus {

    private final Path root;

    /** A corpus of one subfolder per domain under {@code root}. */
    public DirectoryCorpus(Path root) {
        if (!Files.isDirectory(root)) {
            throw new IllegalArgumentException("corpus directory " + root + " does not exist or is not a directory");
        }
        this.root = root;
    }

    private List<Path> domains() throws IOException {
        try (Stream<Path> s = Files.list(root)) {
            List<Path> d = s.filter(Files::isDirectory).sorted().toList();
            if (d.isEmpty()) {
                throw new IllegalArgumentException("corpus directory " + root + " has no domain sub-directories");
            }
            return d;
        }
    }

    private static List<Path> files(Path domain) throws IOException {
        try (Stream<Path> s = Files.walk(domain)) {
            return s.filter(Files::isRegularFile)
                    .filter(p -> !p.getFileName().toString().startsWith("."))
                    .sorted()
                    .toList();
        }
    }

    @Override
    public void forEach(Consumer<Document> sink) throws IOException {
        forEachWhile(d -> {
            sink.accept(d);
            return true;
        });
    }

    @Override
    public void forEachWhile(Predicate<Document> sink) throws IOException {
        for (Path d : domains()) {
            String name = d.getFileName().toString();
            for (Path f : files(d)) {
                String text = read(f);
                if (!sink.test(new Document(text, name, root.relativize(f).toString(), 0))) {
                    return;
                }
            }
        }
    }

    /** Most bytes of one document, after decompression: a small .gz can hold gigabytes. */
    public static final int MAX_DOCUMENT_BYTES = 64 << 20;

    /** One file's text, decompressed, refused past {@link #MAX_DOCUMENT_BYTES} and when damaged, naming it. */
    private static String read(Path f) throws IOException {
        try (InputStream in = Compression.open(f)) {
            byte[] b = in.readNBytes(MAX_DOCUMENT_BYTES + 1);
            if (b.length > MAX_DOCUMENT_BYTES) {
                throw new SoupFormatException(f + " holds more than " + (MAX_DOCUMENT_BYTES >> 20)
                        + " MiB of text (after decompression): too large for one document");
            }
            return new String(b, StandardCharsets.UTF_8);
        } catch (ZipException | EOFException e) {
            throw new SoupFormatException(
                    f + " is damaged or not in the format its name says (" + e.getMessage() + ")", e);
        } catch (SoupFormatException e) {
            throw e;
        } catch (IOException e) {
            if (e.getClass().getName().startsWith("com.github.luben.zstd")) {
                throw new SoupFormatException(
                        f + " is damaged or not in the format its name says (" + e.getMessage() + ")", e);
            }
            throw e;
        }
    }

    @Override
    public String fingerprint() throws IOException {
        List<String> parts = new ArrayList<>();
        // The folder's own name and every file by its path under the folder: no machine path.
        Path name = root.toAbsolutePath().normalize().getFileName();
        parts.add("dir[" + (name == null ? "/" : name) + "]");
        for (Path d : domains()) {
            for (Path f : files(d)) {
                parts.add(root.relativize(f).getParent() + "/" + Compression.fingerprint(f));
            }
        }
        return String.join(";", parts);
    }
}
