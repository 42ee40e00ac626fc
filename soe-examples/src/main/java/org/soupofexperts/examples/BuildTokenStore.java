package org.soupofexperts.examples;

import java.nio.file.Files;
import java.nio.file.Path;
import org.soupofexperts.data.corpus.JsonlCorpus;
import org.soupofexperts.data.store.TokenStore;
import org.soupofexperts.data.tokenize.ByteTokenizer;

/**
 * Tokenizes a Pile-style JSONL corpus into a byte-level token store and prints per-domain counts
 * and the time it took. Arguments: [corpus.jsonl(.gz|.zst)] [store directory]; defaults to
 * ../shared/corpus/train.jsonl.gz and target/token-store. A second run reuses the store.
 */
public final class BuildTokenStore {

    private BuildTokenStore() {}

    /** Runs the program; {@code --help} lists the options. */
    public static void main(String[] args) throws Exception {
        Path corpus = Path.of(args.length > 0 ? args[0] : "../shared/corpus/train.jsonl.gz");
        Path store = Path.of(args.length > 1 ? args[1] : "target/token-store");
        if (!Files.isRegularFile(corpus)) {
            System.err.println("corpus file not found: " + corpus.toAbsolutePath()
                    + " (pass a Pile-style JSONL file as the first argument)");
            System.exit(2);
        }
        long t0 = System.nanoTime();
        TokenStore s = TokenStore.openOrBuild(
                store, JsonlCorpus.builder().file(corpus).build(), new ByteTokenizer(), TokenStore.Options.defaults());
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("%-12s %12s %8s %12s %8s%n", "domain", "train tok", "docs", "valid tok", "docs");
        long tt = 0;
        long vt = 0;
        for (int d = 0; d < s.domains().count(); d++) {
            System.out.printf(
                    "%-12s %,12d %8d %,12d %8d%n",
                    s.domains().name(d), s.trainTokens(d), s.trainDocuments(d), s.validTokens(d), s.validDocuments(d));
            tt += s.trainTokens(d);
            vt += s.validTokens(d);
        }
        System.out.printf("%-12s %,12d %8s %,12d%n", "total", tt, "", vt);
        System.out.printf("token store %s ready in %.1f s (tokenizer %s)%n", store, seconds, s.tokenizerId());
    }
}
