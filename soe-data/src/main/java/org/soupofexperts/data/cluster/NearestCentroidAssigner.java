package org.soupofexperts.data.cluster;

import org.soupofexperts.core.DomainAssigner;
import org.soupofexperts.data.embed.Embedder;

import java.util.List;

/**
 * The paper's Algorithm 3 (from CRISP, Grangier et al. 2024): embed each specialist document,
 * assign it to its nearest domain centroid, and take the normalised histogram as h, with optional
 * additive smoothing {@code (count_i + s) / (n + k s)}. Immutable and thread-safe when its
 * embedder is.
 */
public final class NearestCentroidAssigner implements DomainAssigner {

    private final Embedder embedder;
    private final Centroids centroids;
    private final double smoothing;

    public NearestCentroidAssigner(Embedder embedder, Centroids centroids, double smoothing) {
        if (embedder.dimension() != centroids.dimension()) {
            throw new IllegalArgumentException("embedder dimension " + embedder.dimension()
                    + " differs from the centroids' " + centroids.dimension());
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

    @Override
    public double[] domainWeights(List<String> documents) {
        if (documents == null || documents.isEmpty()) {
            throw new IllegalArgumentException("the specialist set is empty: give at least one document");
        }
        int k = centroids.k();
        double[] h = new double[k];
        for (int a : assign(documents)) {
            h[a] += 1;
        }
        double total = documents.size() + k * smoothing;
        for (int i = 0; i < k; i++) {
            h[i] = (h[i] + smoothing) / total;
        }
        return h;
    }
}
