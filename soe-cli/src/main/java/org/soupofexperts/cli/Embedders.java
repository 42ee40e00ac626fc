package org.soupofexperts.cli;

import java.util.List;
import java.util.function.Function;
import org.soupofexperts.data.embed.Embedder;
import org.soupofexperts.data.embed.HashedNgramEmbedder;
import org.soupofexperts.data.embed.MiniLmEmbedder;

/** The tool's embedder option: {@code hashed}, {@code minilm} or {@code minilm:<characters>}. */
final class Embedders {

    private Embedders() {}

    /** all-MiniLM-L6-v2's. */
    private static final int MINILM_DIMENSION = 384;

    /** The dimension of the embedder an option names (checked by {@link #parse} first). */
    static int dimension(String spec) {
        parse(spec);
        return spec.equals("hashed") ? HashedNgramEmbedder.defaults().dimension() : MINILM_DIMENSION;
    }

    /**
     * The embedder an option names, made from the documents it will embed (a hashed embedder
     * fits its IDF weights on them); refused with a message naming the forms before any work.
     */
    static Function<List<String>, Embedder> parse(String spec) {
        if (spec.equals("hashed")) {
            return docs -> HashedNgramEmbedder.defaults().fitIdf(docs);
        }
        int chars = 512;
        if (spec.startsWith("minilm:")) {
            try {
                chars = Integer.parseInt(spec.substring("minilm:".length()));
            } catch (NumberFormatException e) {
                chars = -1;
            }
            if (chars < 0) {
                throw new IllegalArgumentException(
                        "--embedder minilm:<characters> needs a whole number >= 0, got '" + spec + "'");
            }
        } else if (!spec.equals("minilm")) {
            throw new IllegalArgumentException(
                    "unknown --embedder '" + spec + "': use hashed, minilm or minilm:<characters>");
        }
        int n = chars;
        return docs -> new MiniLmEmbedder(n);
    }
}
