package org.soupofexperts.data.tokenize;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.soupofexperts.core.Labels;

/**
 * Finds the tokenizer a user names or an artefact records, so that tools read text with the
 * tokenizer a model was trained with and never another. Stateless and thread-safe; a returned
 * {@link HuggingFaceTokenizer} holds native memory until it is closed (see {@link #close}).
 */
public final class Tokenizers {

    /** The name of the byte tokenizer where a tokenizer is given by name ({@link #named}). */
    public static final String BYTES = "bytes";

    private Tokenizers() {}

    /**
     * {@code bytes} for {@link ByteTokenizer}, else the path of a Hugging Face {@code tokenizer.json}
     * (or of a folder holding one).
     *
     * @throws IllegalArgumentException when the file is missing or is no tokenizer.json
     * @throws IllegalStateException when a tokenizer.json is given and the optional dependency
     *     {@code ai.djl.huggingface:tokenizers} is not on the class path
     */
    public static Tokenizer named(String spec) throws IOException {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException(
                    "a tokenizer is 'bytes' or the path of a tokenizer.json, got '" + spec + "'");
        }
        return spec.equals(BYTES) ? new ByteTokenizer() : HuggingFaceTokenizer.load(Path.of(spec));
    }

    /**
     * The tokenizer {@code labels} record: the byte tokenizer when they name it (or name none, as
     * artefacts saved before tokenizers were recorded), a Hugging Face tokenizer rebuilt from the
     * definition they carry.
     *
     * @throws IllegalArgumentException when they name a tokenizer this library cannot rebuild
     */
    public static Tokenizer recorded(Labels labels) throws IOException {
        String id = labels.tokenizer();
        ByteTokenizer bytes = new ByteTokenizer();
        if (id == null || id.equals(bytes.id())) {
            return bytes;
        }
        if (id.startsWith("hf:") && labels.tokenizerDefinition() != null) {
            return HuggingFaceTokenizer.fromLabels(labels);
        }
        throw new IllegalArgumentException("the artefact was trained with tokenizer " + id
                + ", which its labels do not carry (only " + bytes.id()
                + " and Hugging Face tokenizers saved with their tokenizer.json can be rebuilt)");
    }

    /** Frees a tokenizer's native memory if it holds any (a Hugging Face tokenizer). */
    public static void close(Tokenizer t) {
        if (t instanceof HuggingFaceTokenizer hf) {
            hf.close();
        }
    }

    /**
     * Labels naming {@code domains} and {@code t}, with its tokenizer.json when it has one, so the
     * artefact labelled with them can be read back by {@link #recorded}.
     */
    public static Labels labels(List<String> domains, Tokenizer t) {
        if (t instanceof HuggingFaceTokenizer hf) {
            return hf.labels(domains);
        }
        return Labels.ofDomains(domains).withTokenizer(t.id(), t.vocabSize());
    }
}
