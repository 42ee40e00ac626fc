/**
 * What training reads: {@code TokenBatch} (a batch of token windows, with the domain of each when
 * known), {@code BatchSource} (draws a batch from the mixture of k domains that a domain-weight
 * vector h gives) and {@code MetaDistribution} (draws h, the distribution over the simplex that
 * a soup is trained across). The implementations over token stores and in-memory corpora, and the
 * library's meta-distributions, are in soe-data ({@code org.soupofexperts.data.sample}).
 */
package org.soupofexperts.core.batch;
