package org.soupofexperts.data.cluster;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.soupofexperts.core.DomainAssigner;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.data.corpus.Corpus;
import org.soupofexperts.data.embed.Embedder;
import org.soupofexperts.data.embed.HashedNgramEmbedder;

/**
 * The paper's Algorithm 3 (from CRISP, Grangier et al. 2024): embed each specialist document,
 * assign it to its nearest domain centroid, and take the normalised histogram as h, with optional
 * additive smoothing {@code (count_i + s) / (n + k s)}. Immutable and thread-safe when its
 * embedder is.
 */
public final class NearestCentroidAssigner implements DomainAssigner {

    /** Key of the soup attachment written by {@link #attachTo}. */
    public static final String ATTACHMENT = "nearestCentroid";

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
        corpus.forEach(doc -> {
            batch.add(doc.text());
            if (batch.size() == 256) {
                count(batch, counts);
                n[0] += batch.size();
                batch.clear();
            }
        });
        count(batch, counts);
        n[0] += batch.size();
        if (n[0] == 0) {
            throw new IllegalArgumentException("the specialist set is empty: the corpus has no documents");
        }
        return normalise(counts, n[0]);
    }

    private void count(List<String> docs, long[] counts) {
        if (!docs.isEmpty()) {
            for (int a : assign(docs)) {
                counts[a]++;
            }
        }
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

    /**
     * Saves this assigner into a soup's manifest ({@link #fromSoup} reads it back); only a hashed
     * n-gram embedder can be saved this way, since it is the only one described by its numbers.
     */
    public void attachTo(SoupOfExperts soup) {
        if (!(embedder instanceof HashedNgramEmbedder h)) {
            throw new IllegalStateException(
                    "only an assigner with a HashedNgramEmbedder can be attached to a soup, not " + embedder.id());
        }
        attachTo(soup, centroids, h);
    }

    /** Saves centroids and embedder into a soup's manifest, so a loaded soup can match text. */
    public static void attachTo(SoupOfExperts soup, Centroids centroids, HashedNgramEmbedder embedder) {
        JsonObject o = new JsonObject();
        o.add("centroids", centroids.toJson());
        o.add("embedder", embedder.toJson());
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
        Centroids centroids = Centroids.fromJson(o.getAsJsonObject("centroids"));
        if (centroids.k() != soup.config().domains()) {
            // An h of the wrong length would reach instantiate(h) or, worse, a caller's own code.
            throw new IllegalArgumentException("the soup's '" + ATTACHMENT + "' attachment holds " + centroids.k()
                    + " centroids but the soup has k=" + soup.config().domains() + " domains");
        }
        return new NearestCentroidAssigner(
                HashedNgramEmbedder.fromJson(o.getAsJsonObject("embedder")), centroids, smoothing);
    }

    @Override
    public double[] domainWeights(List<String> documents) {
        if (documents == null || documents.isEmpty()) {
            throw new IllegalArgumentException("the specialist set is empty: give at least one document");
        }
        long[] counts = new long[centroids.k()];
        count(documents, counts);
        return normalise(counts, documents.size());
    }
}
