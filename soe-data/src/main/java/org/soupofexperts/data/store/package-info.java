/**
 * The token store: a corpus tokenized once into memory-mapped, checksummed per-domain files with
 * train and validation splits.
 */
package org.soupofexperts.data.store;
