package org.soupofexperts.examples;

import java.util.Arrays;
import java.util.List;

/**
 * results.json of {@link ClusterSoupExperiment}: how the documents were clustered, the histograms
 * h of the labelled domains over the clusters, the generic model at each learning rate (the better
 * one being the baseline) and the soup, each scored on every labelled domain in bits per byte.
 *
 * @param clustering how the labelled store's training documents were clustered
 * @param clusters k-means clusters k (the soup's domains)
 * @param metaDistribution the soup's meta-distribution over the clusters
 * @param steps training steps of every model
 * @param domains the labelled domains, in the order of every array
 * @param h each labelled domain's histogram over the clusters
 * @param genericAtEachLearningRate the generic model at each learning rate
 * @param generic the better of them
 * @param soup the soup
 */
record ClusterSoupResults(
        Clustering clustering,
        int clusters,
        String metaDistribution,
        int steps,
        List<String> domains,
        double[][] h,
        List<Generic> genericAtEachLearningRate,
        Generic generic,
        Soup soup) {

    /** How the labelled store's training documents were clustered (the time, from the run that first did it). */
    record Clustering(String embedder, double embedSeconds, double purity) {}

    /** The generic model at one learning rate, scored on every labelled domain. */
    record Generic(double lr, double seconds, double[] perDomainBitsPerByte) {
        double mean() {
            return Arrays.stream(perDomainBitsPerByte).average().orElse(Double.NaN);
        }
    }

    /** The soup, scored on every labelled domain at its histogram h over the clusters and at the natural h. */
    record Soup(double seconds, double[] histogramBitsPerByte, double[] naturalPerDomainBitsPerByte) {}
}
