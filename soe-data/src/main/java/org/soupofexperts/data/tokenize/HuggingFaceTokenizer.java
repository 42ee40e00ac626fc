package org.soupofexperts.data.tokenize;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import org.soupofexperts.core.Labels;
import org.soupofexperts.core.io.BoundedRead;
import org.soupofexperts.core.io.internal.ConfigJson;

/**
 * A Hugging Face {@code tokenizer.json} through DJL's tokenizers binding (its native library
 * ships in the Maven jar; nothing is downloaded). No special tokens are added. Thread-safe for
 * encode/decode; close it to free the native tokenizer.
 */
// DJL's tokenizer has this class's own simple name, so it is named in full here.
@SuppressWarnings("checkstyle:inlineQualifiedName")
public final class HuggingFaceTokenizer implements Tokenizer, AutoCloseable {

    private final ai.djl.huggingface.tokenizers.HuggingFaceTokenizer tokenizer;
    private final int vocabSize;
    private final String id;

    private final String definition;

    private HuggingFaceTokenizer(
            ai.djl.huggingface.tokenizers.HuggingFaceTokenizer t, int vocabSize, String id, String definition) {
        this.tokenizer = t;
        this.vocabSize = vocabSize;
        this.id = id;
        this.definition = definition;
    }

    /** The tokenizer.json this tokenizer was loaded from, as text. */
    public String definition() {
        return definition;
    }

    /**
     * Labels naming these domains and this tokenizer, with its tokenizer.json: a soup labelled so
     * saves the file in its manifest, passes it to its specialists, and {@link #fromLabels} reads
     * it back.
     */
    public Labels labels(List<String> domains) {
        return Labels.ofDomains(domains).withTokenizer(id, vocabSize, definition);
    }

    /**
     * The tokenizer an artefact was trained with, from its labels' definition (see {@link
     * #labels}); close it when done.
     *
     * @throws IllegalArgumentException when the labels carry no Hugging Face tokenizer definition
     */
    public static HuggingFaceTokenizer fromLabels(Labels labels) throws IOException {
        if (labels.tokenizerDefinition() == null
                || labels.tokenizer() == null
                || !labels.tokenizer().startsWith("hf:")) {
            throw new IllegalArgumentException(
                    "these labels carry no Hugging Face tokenizer definition (tokenizer " + labels.tokenizer() + ")");
        }
        Path tmp = Files.createTempFile("tokenizer", ".json");
        try {
            Files.writeString(tmp, labels.tokenizerDefinition(), StandardCharsets.UTF_8);
            HuggingFaceTokenizer t = load(tmp);
            if (!t.id().equals(labels.tokenizer())) {
                t.close();
                throw new IllegalArgumentException("the stored tokenizer definition is " + t.id() + ", the labels name "
                        + labels.tokenizer() + ": the artefact was damaged or edited");
            }
            return t;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The largest tokenizer.json read: far above real ones (a 250,000-token vocabulary is about 20 MB). */
    public static final long MAX_FILE_BYTES = 256L << 20;

    /** Loads {@code tokenizer.json} (a file, or a directory holding one). */
    public static HuggingFaceTokenizer load(Path path) throws IOException {
        Path file = Files.isDirectory(path) ? path.resolve("tokenizer.json") : path;
        if (!Files.exists(file)) {
            throw new IllegalArgumentException("no tokenizer.json at " + path);
        }
        byte[] bytes = BoundedRead.bytes(file, MAX_FILE_BYTES, "tokenizer.json");
        JsonObject o;
        try {
            o = JsonParser.parseString(new String(bytes, StandardCharsets.UTF_8))
                    .getAsJsonObject();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + " is not a valid tokenizer.json", e);
        }
        int vocab;
        try {
            vocab = vocabulary(o);
        } catch (RuntimeException e) {
            // A model that is not an object, an id that is not a number, an added token without one.
            throw new IllegalArgumentException(
                    file + " is not a tokenizer.json this library can read: " + e.getMessage(), e);
        }
        if (vocab == 0) {
            throw new IllegalArgumentException(file + " declares no vocabulary");
        }
        ai.djl.huggingface.tokenizers.HuggingFaceTokenizer t;
        try {
            t = ai.djl.huggingface.tokenizers.HuggingFaceTokenizer.builder()
                    .optTokenizerPath(file)
                    .optAddSpecialTokens(false)
                    // tokenizer.json files often carry a 512-token truncation or padding meant for
                    // classifiers; a language-model corpus must be encoded whole.
                    .optTruncation(false)
                    .optPadding(false)
                    .build();
        } catch (NoClassDefFoundError e) {
            throw new IllegalStateException(
                    file + " is a Hugging Face tokenizer: it needs the Maven dependency"
                            + " ai.djl.huggingface:tokenizers (optional in soe-data, its version in soe-bom) on the class path",
                    e);
        }
        return new HuggingFaceTokenizer(
                t, vocab, "hf:" + sha256(bytes).substring(0, 16), new String(bytes, StandardCharsets.UTF_8));
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public int[] encode(String text) {
        long[] ids = tokenizer.encode(text).getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    @Override
    public String decode(int[] ids) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            l[i] = ids[i];
        }
        return tokenizer.decode(l);
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    /**
     * The vocabulary size a tokenizer.json declares: one more than its largest token id, at most
     * the largest vocabulary a model of this library holds ({@code ConfigJson.MAX_VOCAB}).
     */
    private static int vocabulary(JsonObject o) {
        long vocab = 0;
        if (o.has("model") && !o.get("model").isJsonObject()) {
            throw new IllegalArgumentException("its 'model' is not an object");
        }
        JsonElement v = o.has("model") ? o.getAsJsonObject("model").get("vocab") : null;
        if (v != null && v.isJsonObject()) {
            for (var e : v.getAsJsonObject().entrySet()) {
                vocab = Math.max(vocab, tokenId(e.getValue(), e.getKey()) + 1L);
            }
        } else if (v != null && v.isJsonArray()) {
            vocab = v.getAsJsonArray().size();
        }
        if (o.has("added_tokens") && o.get("added_tokens").isJsonArray()) {
            for (var e : o.getAsJsonArray("added_tokens")) {
                vocab = Math.max(vocab, tokenId(e.getAsJsonObject().get("id"), "an added token") + 1L);
            }
        }
        if (vocab > ConfigJson.MAX_VOCAB) {
            throw new IllegalArgumentException("its vocabulary of " + vocab + " tokens is larger than the "
                    + ConfigJson.MAX_VOCAB + " a model of this library holds");
        }
        return (int) vocab;
    }

    private static long tokenId(JsonElement id, String of) {
        if (id == null || !id.isJsonPrimitive() || !id.getAsJsonPrimitive().isNumber()) {
            throw new IllegalArgumentException("the id of " + of + " is not a number: " + id);
        }
        try {
            long t = id.getAsBigDecimal().longValueExact();
            if (t < 0 || t >= ConfigJson.MAX_VOCAB) {
                throw new IllegalArgumentException("the id of " + of + " is " + t + ", outside [0, "
                        + ConfigJson.MAX_VOCAB + "): its vocabulary would be larger than the " + ConfigJson.MAX_VOCAB
                        + " a model of this library holds");
            }
            return t;
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("the id of " + of + " is not a whole number: " + id);
        }
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
