/**
 * Domains from data: k-means over embeddings, centroids (of clusters or of labelled domains), and
 * the nearest-centroid histogram that turns a specialist's documents into h (the paper's
 * Algorithm 3).
 */
package org.soupofexperts.data.cluster;
