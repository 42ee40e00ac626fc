package org.soupofexperts.data.corpus;

/**
 * One document of a corpus.
 *
 * @param text the text
 * @param domain its domain label, or null for an unlabelled corpus
 * @param source where it came from (file name)
 * @param line 1-based line of a JSONL file, or 0
 */
public record Document(String text, String domain, String source, long line) {}
