package org.soupofexperts.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.soupofexperts.core.Labels;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.config.DomainWeights;
import org.soupofexperts.core.io.BoundedRead;
import org.soupofexperts.data.corpus.JsonlCorpus;
import org.soupofexperts.data.tokenize.Tokenizer;
import org.soupofexperts.data.tokenize.Tokenizers;

/**
 * What the commands read besides their options: document files, a JSONL file's documents, h from
 * {@code --h}, and the tokenizer a model records. Stateless.
 */
final class Inputs {

    private Inputs() {}

    /** The most bytes of plain document files one command reads. */
    static final long MAX_DOCUMENT_BYTES = 256L << 20;

    /** Specialist documents: each file is one document (UTF-8 text). */
    static List<String> documents(List<Path> files) throws IOException {
        return documents(files, new Budget());
    }

    /**
     * What one command may hold of the documents it reads, over all its files and options
     * ({@link #MAX_DOCUMENT_BYTES}): a limit per file would let many files fill the heap. Not
     * thread-safe.
     */
    static final class Budget {
        private long left = MAX_DOCUMENT_BYTES;

        /** Takes {@code bytes} of the budget, or refuses naming {@code what} went past it. */
        void take(long bytes, Object what) {
            left -= bytes;
            if (left < 0) {
                throw new IllegalArgumentException(what + ": the documents add up to more than "
                        + (MAX_DOCUMENT_BYTES >> 20) + " MiB, more than this tool holds in memory;"
                        + " give fewer or shorter documents at a time");
            }
        }
    }

    /** Specialist documents, each file one document (UTF-8 text), taken from {@code budget}. */
    static List<String> documents(List<Path> files, Budget budget) throws IOException {
        if (files == null || files.isEmpty()) {
            throw new IllegalArgumentException("give at least one document file");
        }
        List<String> docs = new ArrayList<>();
        for (Path f : files) {
            if (!Files.isRegularFile(f)) {
                // A FIFO would block and /dev/zero never end. (Also a mistyped name.)
                throw new IllegalArgumentException(f
                        + (Files.exists(f) ? " is not a regular file (a folder, device or pipe)" : " does not exist"));
            }
            // Held whole as a String: bounded before it is read.
            budget.take(Files.size(f), f);
            docs.add(BoundedRead.utf8(f, MAX_DOCUMENT_BYTES, "a document"));
        }
        return docs;
    }

    /**
     * Up to {@code max} documents' {@code field} from a JSONL file (plain, .gz or .zst), each
     * taken from {@code budget} at two bytes a character (a Java string's).
     */
    static List<String> jsonlDocuments(Path f, String field, int max, Budget budget) throws IOException {
        if (!Files.isRegularFile(f)) {
            throw new IllegalArgumentException(
                    f + (Files.exists(f) ? " is not a regular file (a folder, device or pipe)" : " does not exist"));
        }
        List<String> out = new ArrayList<>();
        if (max <= 0) {
            return out;
        }
        JsonlCorpus.builder().file(f).textField(field).unlabelled().build().forEachWhile(d -> {
            budget.take(2L * d.text().length(), f);
            out.add(d.text());
            return out.size() < max; // --max-documents reached: stop reading the file
        });
        return out;
    }

    static boolean isJsonl(Path f) {
        Path name = f.getFileName(); // none for "/"
        String n = name == null ? "" : name.toString();
        return n.endsWith(".jsonl") || n.endsWith(".jsonl.gz") || n.endsWith(".jsonl.zst");
    }

    /** h from --h: numbers in domain order, or name=weight pairs (the soup must know its domains' names). */
    static double[] weights(List<String> given, SoupOfExperts soup) {
        if (given.stream().allMatch(s -> s.contains("="))) {
            Map<String, Double> byName = new LinkedHashMap<>();
            for (String s : given) {
                String[] kv = s.split("=", 2);
                try {
                    if (byName.put(kv[0].trim(), Double.parseDouble(kv[1].trim())) != null) {
                        throw new IllegalArgumentException("--h names domain '" + kv[0].trim() + "' twice");
                    }
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--h: '" + s + "' is not name=weight");
                }
            }
            return soup.labels().weights(byName);
        }
        double[] h = new double[given.size()];
        for (int i = 0; i < h.length; i++) {
            try {
                h[i] = Double.parseDouble(given.get(i).trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--h: '" + given.get(i)
                        + "' is not a number; give numbers, or name=weight" + " for every entry");
            }
        }
        return DomainWeights.validate(h, soup.config().numDomains());
    }

    /**
     * The tokenizer the model in {@code dir} was trained with, from its labels, to be closed
     * after use (try-with-resources): text is never read with another one, which would give
     * meaningless numbers.
     */
    static RecordedTokenizer recordedTokenizer(Path dir, Labels labels) throws IOException {
        try {
            return new RecordedTokenizer(Tokenizers.recorded(labels));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(dir + ": " + e.getMessage(), e);
        }
    }

    /** A model's own tokenizer; closing it frees a native Hugging Face tokenizer. */
    record RecordedTokenizer(Tokenizer tokenizer) implements AutoCloseable {
        @Override
        public void close() {
            Tokenizers.close(tokenizer);
        }
    }
}
