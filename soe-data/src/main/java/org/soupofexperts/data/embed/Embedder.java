package org.soupofexperts.data.embed;

import java.util.List;

/** Documents to fixed-size vectors. Implementations state their thread safety. */
public interface Embedder {

    int dimension();

    /** One L2-normalised row of length {@link #dimension()} per text. */
    float[][] embed(List<String> texts);

    /** A stable description (recorded next to centroids, so they are matched with the same embedder). */
    String id();

    /**
     * Whether {@link #embed} takes this text (default: any). A sentence embedder refuses a text
     * that is blank in what it reads; callers that must place every document (clustering) place
     * those by their neighbours instead of failing.
     */
    default boolean embeds(String text) {
        return true;
    }
}
