package org.soupofexperts.data.cluster;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.soupofexperts.data.corpus.Corpus;
import org.soupofexperts.data.corpus.Document;
import org.soupofexperts.data.embed.Embedder;
import org.soupofexperts.data.store.TokenStore;

/**
 * Domains for an unlabelled corpus, as the paper makes them: embed documents, k-means them into
 * k clusters, and label each document by its nearest centroid ({@code cluster-<i>}). Stateless
 * and thread-safe.
 */
public final class ClusterDomains {

    private ClusterDomains() {}

    /**
     * Fits k centroids on at most {@code maxDocuments} documents of the corpus, chosen by
     * reservoir sampling (so the corpus is streamed once and never held whole).
     */
    public static Centroids fit(Corpus corpus, Embedder embedder, int k, int maxDocuments, long seed)
            throws IOException {
        if (maxDocuments < k) {
            throw new IllegalArgumentException("maxDocuments (" + maxDocuments + ") must be at least k=" + k);
        }
        List<String> sample = new ArrayList<>();
        SplittableRandom rng = new SplittableRandom(seed);
        long[] seen = {0};
        corpus.forEach(doc -> {
            seen[0]++;
            if (sample.size() < maxDocuments) {
                sample.add(doc.text());
            } else {
                long j = rng.nextLong(seen[0]);
                if (j < maxDocuments) {
                    sample.set((int) j, doc.text());
                }
            }
        });
        return KMeans.fit(embedder.embed(sample), k, seed, 100, embedder.id());
    }

    /** Domain names of k clusters, in centroid order: {@code cluster-0 .. cluster-(k-1)}. */
    public static List<String> domainNames(int k) {
        List<String> n = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            n.add("cluster-" + i);
        }
        return n;
    }

    /**
     * Token-store options that label each document by its nearest centroid, with the store's
     * domain i being centroid i (so the store, the soup and the histogram share one order).
     */
    public static TokenStore.Options storeOptions(
            Embedder embedder, Centroids centroids, double validFraction, long seed) {
        if (embedder.dimension() != centroids.dimension()) {
            throw new IllegalArgumentException("embedder dimension " + embedder.dimension()
                    + " differs from the centroids' " + centroids.dimension());
        }
        Function<Document, String> label =
                doc -> "cluster-" + centroids.nearest(embedder.embed(List.of(doc.text()))[0]);
        return new TokenStore.Options(
                validFraction,
                seed,
                label,
                "clusters(" + embedder.id() + ", " + centroids.fingerprint() + ")",
                domainNames(centroids.k()));
    }
}
