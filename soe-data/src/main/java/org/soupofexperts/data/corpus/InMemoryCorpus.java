package org.soupofexperts.data.corpus;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;

/** Unlabelled documents held in memory ({@link Corpus#of}). Immutable and thread-safe. */
final class InMemoryCorpus implements Corpus {

    private final String source;
    private final List<String> texts;
    private final String fingerprint;

    InMemoryCorpus(String source, List<String> texts) {
        if (source == null || source.isBlank()) {
            throw new IllegalArgumentException("an in-memory corpus needs a source name");
        }
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i) == null) {
                throw new IllegalArgumentException("document " + (i + 1) + " of " + source + " is null");
            }
        }
        this.source = source;
        this.texts = List.copyOf(texts);
        this.fingerprint =
                "in-memory " + source + ": " + this.texts.size() + " documents, sha256 " + sha256(this.texts);
    }

    @Override
    public void forEach(Consumer<Document> sink) {
        forEachWhile(d -> {
            sink.accept(d);
            return true;
        });
    }

    @Override
    public void forEachWhile(Predicate<Document> sink) {
        for (int i = 0; i < texts.size(); i++) {
            if (!sink.test(new Document(texts.get(i), null, source, i + 1))) {
                return;
            }
        }
    }

    @Override
    public String fingerprint() {
        return fingerprint;
    }

    /** Each text's length and bytes, so that no two lists of texts share a digest input. */
    private static String sha256(List<String> texts) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (String t : texts) {
                byte[] b = t.getBytes(StandardCharsets.UTF_8);
                md.update(Integer.toString(b.length).getBytes(StandardCharsets.US_ASCII));
                md.update((byte) ':');
                md.update(b);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
