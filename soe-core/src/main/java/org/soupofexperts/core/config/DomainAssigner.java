package org.soupofexperts.core.config;

import java.util.List;

/**
 * Estimates domain weights h for a set of specialist documents (the paper's Algorithm 3 is the
 * nearest-centroid histogram in soe-data). Implementations state their thread safety.
 */
public interface DomainAssigner {

    /** Number of domains k of the h it returns. */
    int numDomains();

    /**
     * The names of its domains in the order of h, or an empty list when it does not know them
     * (then only their number is checked against a soup's).
     */
    default List<String> domainNames() {
        return List.of();
    }

    /** Domain weights on the simplex for the given documents (at least one). */
    double[] domainWeights(List<String> documents);

    /**
     * The most token positions a soup's model reads to assign one set of documents, whatever the
     * documents (0, the default, for assigners that read none, such as histograms: their cost
     * grows with the documents, which a server bounds by body size). An assigner that scores the
     * documents with a model (a fit of h) says so here, and a wrapper passes its delegate's on: a
     * server adds it to every request's cost before any work.
     */
    default long maxTokenPositions() {
        return 0;
    }

    /**
     * h for the documents, for a soup of k domains: refuses an assigner of another k and an empty
     * document set with a message that says which.
     */
    default double[] domainWeightsFor(List<String> documents, int k) {
        if (numDomains() != k) {
            throw new IllegalArgumentException("the assigner has " + numDomains() + " domains but the soup has k=" + k);
        }
        if (documents == null || documents.isEmpty()) {
            throw new IllegalArgumentException("the specialist set is empty: give at least one document");
        }
        return domainWeights(documents);
    }
}
