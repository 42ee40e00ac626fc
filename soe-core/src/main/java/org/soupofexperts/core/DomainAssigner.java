package org.soupofexperts.core;

import java.util.List;

/**
 * Estimates domain weights h for a set of specialist documents (the paper's Algorithm 3 is the
 * nearest-centroid histogram in soe-data). Implementations state their thread safety.
 */
public interface DomainAssigner {

    /** Number of domains k of the h it returns. */
    int numDomains();

    /** Domain weights on the simplex for the given documents (at least one). */
    double[] domainWeights(List<String> documents);
}
