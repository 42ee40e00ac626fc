package org.soupofexperts.data.corpus;

import java.io.IOException;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A streaming source of documents: {@link #forEach} reads from disk each time and never holds
 * the whole corpus in memory.
 */
public interface Corpus {

    /**
     * Documents held in memory, unlabelled, in the list's order (each with {@code source} and its
     * 1-based position as its line); the fingerprint is their number and a SHA-256 of their texts,
     * so a token store built from them is rebuilt when any text changes. The list is copied.
     *
     * @throws IllegalArgumentException if {@code source} is blank or a text is null
     */
    static Corpus of(String source, List<String> texts) {
        return new InMemoryCorpus(source, texts);
    }

    /** Streams every document, in a fixed order, to {@code sink}. */
    void forEach(Consumer<Document> sink) throws IOException;

    /**
     * Streams documents in the same order until {@code sink} returns false, then stops reading
     * (the first N documents of a large file, without reading the rest). The library's corpora
     * stop their loops; this default, for other implementations, stops {@link #forEach} by an
     * exception of its own.
     */
    default void forEachWhile(Predicate<Document> sink) throws IOException {
        /** Ends {@code forEach} early; never escapes this method. */
        final class Stop extends RuntimeException {
            private static final long serialVersionUID = 1L;

            Stop() {
                super(null, null, false, false);
            }
        }
        try {
            forEach(d -> {
                if (!sink.test(d)) {
                    throw new Stop();
                }
            });
        } catch (Stop enough) {
            // the sink asked to stop
        }
    }

    /**
     * Identifies the content cheaply (files, sizes, modification times, reader options), so a
     * token store built from it can tell whether it is still current.
     */
    String fingerprint() throws IOException;

    /**
     * This corpus with every document in one domain named {@code domain}: an unlabelled corpus
     * becomes one a token store can hold, whose documents a soup then splits into k-means
     * clusters ({@code DomainSplit}, {@code soe train --unlabelled --domains clusters:K}).
     */
    default Corpus labelledAs(String domain) {
        if (domain == null || domain.isBlank()) {
            throw new IllegalArgumentException("the domain name must not be empty");
        }
        Corpus inner = this;
        return new Corpus() {
            @Override
            public void forEach(Consumer<Document> sink) throws IOException {
                inner.forEach(d -> sink.accept(new Document(d.text(), domain, d.source(), d.line())));
            }

            @Override
            public void forEachWhile(Predicate<Document> sink) throws IOException {
                inner.forEachWhile(d -> sink.test(new Document(d.text(), domain, d.source(), d.line())));
            }

            @Override
            public String fingerprint() throws IOException {
                return inner.fingerprint() + "|labelled-as=" + domain;
            }
        };
    }
}
