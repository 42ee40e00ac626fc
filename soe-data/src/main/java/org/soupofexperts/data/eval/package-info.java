/**
 * Losses in nats per token and bits per byte: on a token store's validation splits, on raw
 * documents, and a soup's specialized loss per domain.
 */
package org.soupofexperts.data.eval;
