/**
 * Corpora read as streams of documents: Pile-style JSONL (plain, gzip, zstd) and folders of text
 * files.
 */
package org.soupofexperts.data.corpus;
