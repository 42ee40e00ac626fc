package org.soupofexperts.data.embed;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.soupofexperts.core.io.internal.StrictJson;

/**
 * The default embedder, which needs no model files: hashed character n-grams (lower-cased), with
 * sublinear term frequency {@code 1 + log tf}, optional IDF weights fitted on a corpus, and L2
 * normalisation. Only the first {@code maxChars} characters of a document are used (the paper
 * embeds 1,024-token windows). Immutable and thread-safe.
 */
public final class HashedNgramEmbedder implements Embedder {

    private final int dimension;
    private final int minN;
    private final int maxN;
    private final int maxChars;
    private final float[] idf; // null: all ones

    public HashedNgramEmbedder(int dimension, int minN, int maxN, int maxChars) {
        this(dimension, minN, maxN, maxChars, null);
    }

    /** Largest dimension: a batch of 256 documents then holds 64 MiB of counts. */
    public static final int MAX_DIMENSION = 1 << 16;

    /** Longest n-gram: counting costs about maxChars x (maxN - minN + 1) x maxN character reads. */
    public static final int MAX_N = 32;

    /** Most characters of a document embedded. */
    public static final int MAX_CHARS = 10_000_000;

    private HashedNgramEmbedder(int dimension, int minN, int maxN, int maxChars, float[] idf) {
        // Bounded because these numbers also come from files (a soup's attachment): a forged one
        // must not make every request take hours or gigabytes.
        if (dimension < 1 || dimension > MAX_DIMENSION) {
            throw new IllegalArgumentException(
                    "embedding dimension must be in [1, " + MAX_DIMENSION + "], got " + dimension);
        }
        if (minN < 1 || maxN < minN || maxN > MAX_N) {
            throw new IllegalArgumentException(
                    "n-gram range must satisfy 1 <= minN <= maxN <= " + MAX_N + ", got " + minN + ".." + maxN);
        }
        if (maxChars < 1 || maxChars > MAX_CHARS) {
            throw new IllegalArgumentException("maxChars must be in [1, " + MAX_CHARS + "], got " + maxChars);
        }
        if (idf != null) {
            for (int i = 0; i < idf.length; i++) {
                if (!(idf[i] > 0 && idf[i] < Float.POSITIVE_INFINITY)) {
                    throw new IllegalArgumentException(
                            "IDF weight " + i + " must be positive and finite, got " + idf[i]);
                }
            }
        }
        this.dimension = dimension;
        this.minN = minN;
        this.maxN = maxN;
        this.maxChars = maxChars;
        this.idf = idf;
    }

    /** 1,024 dimensions, 3- to 5-grams, first 4,096 characters, no IDF. */
    public static HashedNgramEmbedder defaults() {
        return new HashedNgramEmbedder(1024, 3, 5, 4096);
    }

    /** A copy with IDF weights {@code log((1 + N) / (1 + df)) + 1} fitted on {@code corpus}. */
    public HashedNgramEmbedder fitIdf(List<String> corpus) {
        if (corpus.isEmpty()) {
            throw new IllegalArgumentException("cannot fit IDF weights on an empty corpus");
        }
        int[] df = new int[dimension];
        for (String doc : corpus) {
            float[] tf = counts(doc);
            for (int i = 0; i < dimension; i++) {
                if (tf[i] > 0) {
                    df[i]++;
                }
            }
        }
        float[] w = new float[dimension];
        for (int i = 0; i < dimension; i++) {
            w[i] = (float) (Math.log((1.0 + corpus.size()) / (1.0 + df[i])) + 1.0);
        }
        return new HashedNgramEmbedder(dimension, minN, maxN, maxChars, w);
    }

    @Override
    public int dimension() {
        return dimension;
    }

    @Override
    public float[][] embed(List<String> texts) {
        float[][] out = new float[texts.size()][];
        for (int t = 0; t < out.length; t++) {
            float[] v = counts(texts.get(t));
            double norm = 0;
            for (int i = 0; i < dimension; i++) {
                if (v[i] > 0) {
                    v[i] = (float) (1 + Math.log(v[i])) * (idf == null ? 1f : idf[i]);
                    norm += v[i] * v[i];
                }
            }
            if (norm > 0) {
                float inv = (float) (1 / Math.sqrt(norm));
                for (int i = 0; i < dimension; i++) {
                    v[i] *= inv;
                }
            }
            out[t] = v;
        }
        return out;
    }

    private float[] counts(String text) {
        String s = text.length() > maxChars ? text.substring(0, maxChars) : text;
        byte[] b = s.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8);
        float[] v = new float[dimension];
        for (int i = 0; i < b.length; i++) {
            long h = 0xcbf29ce484222325L;
            for (int n = 1; n <= maxN && i + n <= b.length; n++) {
                h ^= b[i + n - 1] & 0xff;
                h *= 0x100000001b3L;
                if (n >= minN) {
                    long m = h ^ (h >>> 29);
                    v[(int) Long.remainderUnsigned(m, dimension)] += 1;
                }
            }
        }
        return v;
    }

    @Override
    public String id() {
        return "hashed-ngrams(dim=" + dimension + ", n=" + minN + ".." + maxN + ", maxChars=" + maxChars + ", idf="
                + (idf == null ? "none" : Integer.toHexString(Arrays.hashCode(idf))) + ")";
    }

    /**
     * This embedder as a JSON object in text (its numbers and IDF weights), to save next to
     * centroids or send to other processes; {@link #fromJson} reads it back.
     */
    public String toJson() {
        return toJsonObject().toString();
    }

    /**
     * The embedder described by {@link #toJson()}.
     *
     * @throws IllegalArgumentException if {@code json} is not such an object, naming what is wrong
     */
    public static HashedNgramEmbedder fromJson(String json) {
        return StrictJson.readArgument(json, "a hashed n-gram embedder", HashedNgramEmbedder::fromJsonObject);
    }

    private JsonObject toJsonObject() {
        JsonObject o = new JsonObject();
        o.addProperty("type", "hashed-ngrams");
        o.addProperty("dimension", dimension);
        o.addProperty("minN", minN);
        o.addProperty("maxN", maxN);
        o.addProperty("maxChars", maxChars);
        if (idf != null) {
            JsonArray a = new JsonArray();
            for (float f : idf) {
                a.add(f);
            }
            o.add("idf", a);
        }
        return o;
    }

    private static HashedNgramEmbedder fromJsonObject(JsonObject o) {
        int dimension = whole(o, "dimension");
        float[] idf = null;
        if (o.has("idf")) {
            JsonArray a = o.getAsJsonArray("idf");
            if (a.size() != dimension) {
                throw new IllegalArgumentException(
                        "IDF weights have length " + a.size() + " but the dimension is " + dimension);
            }
            idf = new float[a.size()];
            for (int i = 0; i < idf.length; i++) {
                // A value past float's range would become Infinity: refused by the constructor.
                idf[i] = (float) a.get(i).getAsDouble();
            }
        }
        return new HashedNgramEmbedder(dimension, whole(o, "minN"), whole(o, "maxN"), whole(o, "maxChars"), idf);
    }

    /** An int field, refused rather than truncated when it is not a whole number within int's range. */
    private static int whole(JsonObject o, String key) {
        if (!o.has(key)
                || !o.get(key).isJsonPrimitive()
                || !o.get(key).getAsJsonPrimitive().isNumber()) {
            throw new IllegalArgumentException("'" + key + "' must be a number");
        }
        try {
            return o.get(key).getAsBigDecimal().intValueExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("'" + key + "' must be a whole number within int's range, got "
                    + o.get(key).getAsString());
        }
    }
}
