package org.soupofexperts.data.cluster;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.config.DomainAssigner;
import org.soupofexperts.data.corpus.Corpus;
import org.soupofexperts.data.embed.Embedder;
import org.soupofexperts.data.embed.HashedNgramEmbedder;
import org.soupofexperts.data.embed.MiniLmEmbedder;

/**
 * The paper's Algorithm 3 (from CRISP, Grangier et al. 2024): embed each specialist document,
 * assign it to its nearest domain centroid, and take the normalised histogram as h, with optional
 * additive smoothing {@code (count_i + s) / (n + k s)}. Immutable and thread-safe when its
 * embedder is.
 */
public final class NearestCentroidAssigner implements DomainAssigner {

    /** Key of the soup attachment written by {@link #attachTo}. */
    public static final String ATTACHMENT = "nearestCentroid";

    private static final String MINILM = "minilm";
    private static final int MAX_CHARACTERS = 10_000_000;

    private final Embedder embedder;
    private final Centroids centroids;
    private final double smoothing;

    /**
     * Assigns with {@code embedder} to the nearest of {@code centroids}; {@code smoothing} is
     * added to every count of the histogram.
     */
    public NearestCentroidAssigner(Embedder embedder, Centroids centroids, double smoothing) {
        if (embedder.dimension() != centroids.dimension()) {
            throw new IllegalArgumentException("embedder dimension " + embedder.dimension()
                    + " differs from the centroids' " + centroids.dimension());
        }
        if (centroids.embedderId() != null && !centroids.embedderId().equals(embedder.id())) {
            throw new IllegalArgumentException("the centroids were made with embedder " + centroids.embedderId()
                    + ", not " + embedder.id() + "; use the same embedder (and IDF weights) for both");
        }
        if (!(smoothing >= 0) || Double.isInfinite(smoothing)) {
            throw new IllegalArgumentException("smoothing must be >= 0, got " + smoothing);
        }
        this.embedder = embedder;
        this.centroids = centroids;
        this.smoothing = smoothing;
    }

    @Override
    public int numDomains() {
        return centroids.k();
    }

    /** Nearest domain of each document. */
    public int[] assign(List<String> documents) {
        return centroids.nearest(embedder.embed(documents));
    }

    /**
     * The histogram of a corpus of specialist documents too large to hold: documents are
     * streamed and embedded 256 at a time (for a JSONL file, use an unlabelled
     * {@code JsonlCorpus}).
     */
    public double[] domainWeights(Corpus corpus) throws IOException {
        long[] counts = new long[centroids.k()];
        List<String> batch = new ArrayList<>();
        long[] n = {0};
        long[] seen = {0};
        corpus.forEach(doc -> {
            batch.add(doc.text());
            seen[0]++;
            if (batch.size() == 256) {
                n[0] += count(batch, counts);
                batch.clear();
            }
        });
        n[0] += count(batch, counts);
        if (seen[0] == 0) {
            throw new IllegalArgumentException("the specialist set is empty: the corpus has no documents");
        }
        return normalise(counts, nonBlank(n[0], seen[0]));
    }

    /**
     * Counts each document that holds text at its nearest centroid and returns how many did. An
     * empty or blank document says nothing about a domain (its embedding is arbitrary), so it is
     * left out rather than counted wherever that embedding happens to fall.
     */
    private long count(List<String> docs, long[] counts) {
        // Blank documents, and those the embedder cannot read (blank in MiniLM's opening).
        List<String> text = docs.stream()
                .filter(d -> d != null && !d.isBlank() && embedder.embeds(d))
                .toList();
        if (!text.isEmpty()) {
            for (int a : assign(text)) {
                counts[a]++;
            }
        }
        return text.size();
    }

    private static long nonBlank(long counted, long documents) {
        if (counted == 0) {
            throw new IllegalArgumentException(
                    "the specialist set holds no text: all " + documents + " of its documents are empty or blank");
        }
        return counted;
    }

    private double[] normalise(long[] counts, long n) {
        int k = counts.length;
        double[] h = new double[k];
        double total = n + k * smoothing;
        for (int i = 0; i < k; i++) {
            h[i] = (counts[i] + smoothing) / total;
        }
        return h;
    }

    /**
     * The assigner for labelled domains in one call: a hashed character n-gram embedder whose IDF
     * weights are fitted on all the documents, and one centroid per domain (the mean embedding of
     * its documents; {@link Centroids#ofDomains}). Domain d is {@code documentsPerDomain.get(d)}.
     */
    public static NearestCentroidAssigner ofLabelledDocuments(List<List<String>> documentsPerDomain, double smoothing) {
        List<String> all = new ArrayList<>();
        documentsPerDomain.forEach(all::addAll);
        HashedNgramEmbedder embedder = HashedNgramEmbedder.defaults().fitIdf(all);
        return new NearestCentroidAssigner(embedder, Centroids.ofDomains(embedder, documentsPerDomain), smoothing);
    }

    public Centroids centroids() {
        return centroids;
    }

    public Embedder embedder() {
        return embedder;
    }

    /** The centroids' domain names, if they carry them ({@link Centroids#withNames}). */
    @Override
    public List<String> domainNames() {
        return centroids.names();
    }

    /** This assigner with its centroids named (see {@link Centroids#withNames}). */
    public NearestCentroidAssigner withDomainNames(List<String> names) {
        return new NearestCentroidAssigner(embedder, centroids.withNames(names), smoothing);
    }

    /**
     * Saves this assigner into a soup's manifest ({@link #fromSoup} reads it back): the centroids,
     * and the embedder, a hashed n-gram embedder by its numbers or the MiniLM embedder by its
     * settings (the loading application then needs MiniLM's dependency too).
     */
    public void attachTo(SoupOfExperts soup) {
        JsonObject e;
        if (embedder instanceof HashedNgramEmbedder h) {
            e = JsonParser.parseString(h.toJson()).getAsJsonObject();
        } else if (embedder instanceof MiniLmEmbedder m) {
            e = new JsonObject();
            e.addProperty("kind", MINILM);
            e.addProperty("maxCharacters", m.maxCharacters());
        } else {
            throw new IllegalStateException(
                    "only the hashed n-gram and MiniLM embedders can be attached to a soup, not " + embedder.id());
        }
        attach(soup, centroids, e);
    }

    /** Saves centroids and embedder into a soup's manifest, so a loaded soup can match text. */
    public static void attachTo(SoupOfExperts soup, Centroids centroids, HashedNgramEmbedder embedder) {
        attach(soup, centroids, JsonParser.parseString(embedder.toJson()).getAsJsonObject());
    }

    private static void attach(SoupOfExperts soup, Centroids centroids, JsonObject embedder) {
        if (centroids.k() != soup.config().numDomains()) {
            throw new IllegalArgumentException("the assigner has " + centroids.k() + " centroids but the soup has k="
                    + soup.config().numDomains() + " domains");
        }
        JsonObject o = new JsonObject();
        o.add("centroids", centroids.toJsonObject());
        o.add("embedder", embedder);
        soup.attach(ATTACHMENT, o.toString());
    }

    /** The assigner saved by {@link #attachTo}, or an exception naming what is missing. */
    public static NearestCentroidAssigner fromSoup(SoupOfExperts soup, double smoothing) {
        String text = soup.attachment(ATTACHMENT);
        JsonElement e = text == null ? null : JsonParser.parseString(text);
        if (e == null || !e.isJsonObject()) {
            throw new IllegalArgumentException("this soup carries no '" + ATTACHMENT + "' attachment");
        }
        JsonObject o = e.getAsJsonObject();
        // Its shape first (both parts objects), then what they hold.
        JsonObject embedder = part(o, "embedder");
        Centroids centroids;
        try {
            centroids = Centroids.fromJsonObject(part(o, "centroids"));
        } catch (IllegalArgumentException ex) {
            throw ex;
        } catch (RuntimeException ex) {
            // A missing array, a number where a row should be: Gson's own exceptions, named here.
            throw new IllegalArgumentException(
                    "the soup's '" + ATTACHMENT + "' attachment holds no readable centroids: " + ex.getMessage(), ex);
        }
        if (centroids.k() != soup.config().numDomains()) {
            // An h of the wrong length would reach instantiate(h) or, worse, a caller's own code.
            throw new IllegalArgumentException("the soup's '" + ATTACHMENT + "' attachment holds " + centroids.k()
                    + " centroids but the soup has k=" + soup.config().numDomains() + " domains");
        }
        return new NearestCentroidAssigner(embedder(embedder), centroids, smoothing);
    }

    /** A part of the attachment that must be a JSON object, refused by name when it is missing or not one. */
    private static JsonObject part(JsonObject o, String key) {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonObject()) {
            throw new IllegalArgumentException("the soup's '" + ATTACHMENT + "' attachment has no '" + key + "' object"
                    + (e == null
                            ? ""
                            : " (found "
                                    + (e.isJsonNull() ? "null" : e.getClass().getSimpleName()) + ")"));
        }
        return e.getAsJsonObject();
    }

    /** The embedder of an attachment: MiniLM by its settings, else a hashed embedder by its numbers. */
    private static Embedder embedder(JsonObject o) {
        if (o == null) {
            throw new IllegalArgumentException("the soup's '" + ATTACHMENT + "' attachment has no embedder");
        }
        JsonElement kind = o.get("kind");
        if (kind != null && kind.isJsonPrimitive() && MINILM.equals(kind.getAsString())) {
            JsonElement chars = o.get("maxCharacters");
            if (chars == null
                    || !chars.isJsonPrimitive()
                    || !chars.getAsJsonPrimitive().isNumber()) {
                throw new IllegalArgumentException("the MiniLM embedder of the attachment has no maxCharacters");
            }
            double v = chars.getAsDouble();
            if (v != Math.rint(v) || v < 0 || v > MAX_CHARACTERS) {
                throw new IllegalArgumentException("the MiniLM embedder's maxCharacters must be a whole number in [0, "
                        + MAX_CHARACTERS + "], got " + chars);
            }
            return new MiniLmEmbedder((int) v);
        }
        return HashedNgramEmbedder.fromJson(o.toString());
    }

    @Override
    public double[] domainWeights(List<String> documents) {
        if (documents == null || documents.isEmpty()) {
            throw new IllegalArgumentException("the specialist set is empty: give at least one document");
        }
        long[] counts = new long[centroids.k()];
        return normalise(counts, nonBlank(count(documents, counts), documents.size()));
    }
}
