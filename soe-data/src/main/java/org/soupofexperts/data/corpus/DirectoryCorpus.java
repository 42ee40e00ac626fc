package org.soupofexperts.data.corpus;

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
                String text;
                try (InputStream in = Compression.open(f)) {
                    text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
                if (!sink.test(new Document(text, name, root.relativize(f).toString(), 0))) {
                    return;
                }
            }
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
