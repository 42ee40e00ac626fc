package org.soupofexperts.data.corpus;

import java.io.IOException;
import java.util.function.Consumer;

/**
 * A streaming source of documents: {@link #forEach} reads from disk each time and never holds
 * the whole corpus in memory.
 */
public interface Corpus {

    /** Streams every document, in a fixed order, to {@code sink}. */
    void forEach(Consumer<Document> sink) throws IOException;

    /**
     * Identifies the content cheaply (files, sizes, modification times, reader options), so a
     * token store built from it can tell whether it is still current.
     */
    String fingerprint() throws IOException;
}
