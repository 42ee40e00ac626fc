package org.soupofexperts.data.embed;

import java.util.List;

/** Documents to fixed-size vectors. Implementations state their thread safety. */
public interface Embedder {

    int dimension();

    /** One L2-normalised row of length {@link #dimension()} per text. */
    float[][] embed(List<String> texts);

    /** A stable description (recorded next to centroids, so they are matched with the same embedder). */
    String id();
}
