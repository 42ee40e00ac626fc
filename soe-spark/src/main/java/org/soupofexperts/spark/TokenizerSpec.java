package org.soupofexperts.spark;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.soupofexperts.core.io.BoundedRead;
import org.soupofexperts.data.tokenize.ByteTokenizer;
import org.soupofexperts.data.tokenize.HuggingFaceTokenizer;
import org.soupofexperts.data.tokenize.Tokenizer;

/**
 * A tokenizer that travels to Spark's executors as a value: the byte tokenizer, or a Hugging
 * Face tokenizer given by the text of its tokenizer.json (read once on the driver, so executors
 * need no access to the driver's files). Immutable and thread-safe; {@link #create} makes a new
 * tokenizer each time (one per task).
 */
public final class TokenizerSpec implements Serializable {

    private static final long serialVersionUID = 1L;

    /** tokenizer.json's text, or null for bytes. */
    private final String definition;

    private TokenizerSpec(String definition) {
        this.definition = definition;
    }

    /** The byte tokenizer (vocabulary 256). */
    public static TokenizerSpec bytes() {
        return new TokenizerSpec(null);
    }

    /** A Hugging Face tokenizer from its tokenizer.json (a file, or a folder holding one), read now. */
    public static TokenizerSpec huggingFace(Path tokenizerJson) throws IOException {
        Path file = Files.isDirectory(tokenizerJson) ? tokenizerJson.resolve("tokenizer.json") : tokenizerJson;
        if (!Files.exists(file)) {
            throw new IllegalArgumentException("no tokenizer.json at " + tokenizerJson);
        }
        String text = BoundedRead.utf8(file, HuggingFaceTokenizer.MAX_FILE_BYTES, "tokenizer.json");
        HuggingFaceTokenizer check = load(text); // fails here, on the driver, for a bad file
        check.close();
        return new TokenizerSpec(text);
    }

    /** {@code bytes}, or the path of a tokenizer.json (the job's {@code --tokenizer}). */
    public static TokenizerSpec parse(String spec) throws IOException {
        return spec == null || spec.equals("bytes") ? bytes() : huggingFace(Path.of(spec));
    }

    /** A new tokenizer (close it if it is {@link AutoCloseable}). */
    public Tokenizer create() {
        return definition == null ? new ByteTokenizer() : load(definition);
    }

    private static HuggingFaceTokenizer load(String text) {
        try {
            Path tmp = Files.createTempFile("soe-tokenizer", ".json");
            try {
                Files.writeString(tmp, text, StandardCharsets.UTF_8);
                return HuggingFaceTokenizer.load(tmp);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stage the tokenizer definition in a temporary file", e);
        }
    }
}
