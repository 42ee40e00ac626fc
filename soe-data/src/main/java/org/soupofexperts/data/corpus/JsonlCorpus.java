package org.soupofexperts.data.corpus;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.zip.ZipException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.core.io.SoupFormatException;

/**
 * Pile-style JSONL ({@code {"text": ..., "meta": {"pile_set_name": ...}}}), plain, .gz or .zst,
 * streamed one line at a time. The domain is read from a configurable dotted field path (default
 * {@code meta.pile_set_name}); with no path the corpus is unlabelled. A malformed line throws an
 * {@link IllegalArgumentException} naming the file and line, unless bad lines are skipped (they are
 * then counted, see {@link #skippedLines()}). Immutable configuration; {@code forEach} may run from
 * several threads, each reading its own stream.
 */
public final class JsonlCorpus implements Corpus {

    private static final Logger LOG = LoggerFactory.getLogger(JsonlCorpus.class);

    /** 16 Mi characters (32 MiB as a String): far above any real document, far below the heap. */
    public static final int DEFAULT_MAX_LINE_CHARS = 1 << 24;

    private final List<Path> files;
    private final String textField;
    private final String[] domainPath;
    private final boolean skipBadLines;
    private final int maxLineChars;
    private final AtomicLong skipped = new AtomicLong();

    private JsonlCorpus(Builder b) {
        if (b.files.isEmpty()) {
            throw new IllegalArgumentException("a JSONL corpus needs at least one file");
        }
        for (Path f : b.files) {
            if (!Files.isRegularFile(f)) {
                throw new IllegalArgumentException("JSONL file " + f + " does not exist or is not a file");
            }
        }
        files = List.copyOf(b.files);
        textField = b.textField;
        domainPath = b.domainField == null ? null : b.domainField.split("\\.");
        skipBadLines = b.skipBadLines;
        maxLineChars = b.maxLineChars;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Lines skipped as malformed by the last {@link #forEach} runs (when skipping is on). */
    public long skippedLines() {
        return skipped.get();
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
        for (Path f : files) {
            var decoder = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE);
            try (InputStreamReader r = new InputStreamReader(Compression.open(f), decoder)) {
                BoundedLines lines = new BoundedLines(r, maxLineChars);
                long n = 0;
                BoundedLines.Kind kind;
                while ((kind = lines.next()) != BoundedLines.Kind.END) {
                    n++;
                    String line = lines.line();
                    if (kind == BoundedLines.Kind.LINE && line.isBlank()) {
                        continue;
                    }
                    Document d;
                    try {
                        if (kind == BoundedLines.Kind.TOO_LONG) {
                            throw new IllegalArgumentException(f + ":" + n + ": a line longer than " + maxLineChars
                                    + " characters (a corrupt file or a decompression bomb; if it is a real"
                                    + " document, raise maxLineCharacters)");
                        }
                        d = parse(line, f, n);
                    } catch (IllegalArgumentException e) {
                        if (!skipBadLines) {
                            throw e;
                        }
                        skipped.incrementAndGet();
                        LOG.debug("skipped: {}", e.getMessage());
                        continue;
                    }
                    if (!sink.test(d)) {
                        return;
                    }
                }
            } catch (UncheckedIOException e) {
                throw e.getCause();
            } catch (ZipException | EOFException e) {
                // The decompressor's own words do not say which file: a damaged .gz or .zst is bad input.
                throw new SoupFormatException(
                        f + " is damaged or not in the format its name says (" + e.getMessage() + ")", e);
            } catch (IOException e) {
                if (e.getClass().getName().startsWith("com.github.luben.zstd")) {
                    throw new SoupFormatException(
                            f + " is damaged or not in the format its name says (" + e.getMessage() + ")", e);
                }
                throw e;
            }
        }
    }

    private Document parse(String line, Path f, long n) {
        JsonObject o;
        try {
            JsonElement e = JsonParser.parseString(line);
            if (!e.isJsonObject()) {
                throw new IllegalArgumentException(f + ":" + n + ": not a JSON object");
            }
            o = e.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new IllegalArgumentException(f + ":" + n + ": malformed JSON (" + e.getMessage() + ")", e);
        }
        JsonElement text = o.get(textField);
        if (text == null || !text.isJsonPrimitive()) {
            throw new IllegalArgumentException(f + ":" + n + ": missing text field '" + textField + "'");
        }
        String domain = null;
        if (domainPath != null) {
            JsonElement cur = o;
            for (String key : domainPath) {
                cur = cur != null && cur.isJsonObject() ? cur.getAsJsonObject().get(key) : null;
            }
            if (cur == null || !cur.isJsonPrimitive() || cur.getAsString().isBlank()) {
                throw new IllegalArgumentException(
                        f + ":" + n + ": missing or empty domain field '" + String.join(".", domainPath) + "'");
            }
            domain = cur.getAsString();
        }
        return new Document(text.getAsString(), domain, f.getFileName().toString(), n);
    }

    @Override
    public String fingerprint() throws IOException {
        StringBuilder sb = new StringBuilder("jsonl[text=" + textField + ",domain="
                + (domainPath == null ? "-" : String.join(".", domainPath)) + ",skipBad=" + skipBadLines
                // Only when set: the stores of corpora read before the bound existed keep their fingerprint.
                + (maxLineChars == DEFAULT_MAX_LINE_CHARS ? "" : ",maxLine=" + maxLineChars) + "]");
        for (Path f : files) {
            sb.append(';').append(Compression.fingerprint(f));
        }
        return sb.toString();
    }

    /** Builder for {@link JsonlCorpus}. Not thread-safe. */
    public static final class Builder {
        private final List<Path> files = new ArrayList<>();
        private String textField = "text";
        private String domainField = "meta.pile_set_name";
        private boolean skipBadLines;
        private int maxLineChars = DEFAULT_MAX_LINE_CHARS;

        private Builder() {}

        public Builder file(Path f) {
            files.add(f);
            return this;
        }

        public Builder textField(String f) {
            this.textField = f;
            return this;
        }

        /** Dotted path of the domain label; null for an unlabelled corpus. */
        public Builder domainField(String path) {
            this.domainField = path;
            return this;
        }

        public Builder unlabelled() {
            return domainField(null);
        }

        /**
         * The longest line read (default {@value #DEFAULT_MAX_LINE_CHARS} characters); a longer one
         * is a bad line, read past without being held.
         */
        public Builder maxLineCharacters(int chars) {
            if (chars < 1) {
                throw new IllegalArgumentException("maxLineCharacters must be >= 1, got " + chars);
            }
            this.maxLineChars = chars;
            return this;
        }

        /** Skip (and count) malformed lines instead of failing. */
        public Builder skipBadLines(boolean skip) {
            this.skipBadLines = skip;
            return this;
        }

        public JsonlCorpus build() {
            return new JsonlCorpus(this);
        }
    }
}
