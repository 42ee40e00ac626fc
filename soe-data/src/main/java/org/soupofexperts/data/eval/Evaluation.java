package org.soupofexperts.data.eval;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.config.DomainAssigner;
import org.soupofexperts.data.store.TokenStore;
import org.soupofexperts.data.tokenize.Tokenizer;

/**
 * Held-out losses of any model (a {@code Specialist::loss}, a soup at some h, a baseline) on a
 * token store's validation split: nats per token and bits per byte, per domain, on the natural
 * mixture, and the soup's specialized loss. Windows are contiguous and non-overlapping, so every
 * held-out token is predicted once (up to {@code maxWindows} per domain). Stateless and
 * thread-safe when the model is.
 */
public final class Evaluation {

    private static final int BATCH = 16;

    private Evaluation() {}

    /**
     * A loss.
     *
     * @param natsPerToken mean next-token cross-entropy
     * @param bitsPerByte the same information per UTF-8 byte of the text
     * @param tokens tokens predicted
     */
    public record Loss(double natsPerToken, double bitsPerByte, long tokens) {}

    /** Losses of one model on every domain, and on the natural mixture. */
    public record Table(List<String> domains, List<Loss> perDomain, Loss natural) {}

    /**
     * Loss of {@code model} on domain d's validation split, in windows of {@code context + 1}
     * tokens that overlap by one (each token after the first of a window is predicted once). With
     * fewer windows allowed than the split holds, they are spread evenly over the whole split
     * ({@link #spreadWindows}), so the loss is not that of the split's first few documents.
     */
    public static Loss onValidation(
            ToDoubleFunction<TokenBatch> model, TokenStore store, int d, int context, int maxWindows) {
        if (context < 1) {
            throw new IllegalArgumentException("context must be >= 1, got " + context);
        }
        long n = store.validTokens(d);
        long windows = Math.min(maxWindows, validationWindows(store, d, context));
        if (windows < 1) {
            throw new IllegalArgumentException("domain '" + store.domains().name(d) + "' has " + n
                    + " validation tokens, fewer than one window of " + (context + 1));
        }
        return onWindows(model, store, d, context, spreadWindows(validationWindows(store, d, context), windows));
    }

    /**
     * Loss of {@code model} on the given validation windows of domain d (window w starts at token
     * w * context), scored in batches of 16: for splitting the windows into halves (an oracle's
     * search on one half, its score on the other).
     */
    static Loss onWindows(ToDoubleFunction<TokenBatch> model, TokenStore store, int d, int context, long[] windows) {
        double nats = 0;
        long predicted = 0;
        List<int[]> rows = new ArrayList<>();
        for (int i = 0; i < windows.length; i++) {
            rows.add(store.readValid(d, windows[i] * context, context + 1));
            if (rows.size() == BATCH || i == windows.length - 1) {
                TokenBatch b = TokenBatch.of(rows.toArray(new int[0][]));
                long count = (long) b.batchSize() * context;
                nats += model.applyAsDouble(b) * count;
                predicted += count;
                rows.clear();
            }
        }
        double perToken = nats / predicted;
        double bytesPerToken = (double) store.validBytes(d) / store.validTokens(d);
        return new Loss(perToken, perToken / Math.log(2) / bytesPerToken, predicted);
    }

    /**
     * {@code count} window indices out of {@code available}, spread evenly (window i of the result
     * is {@code floor(i * available / count)}), increasing and distinct; all of them, in order,
     * when {@code count >= available}. A split's documents follow one another, so the first
     * {@code count} windows would measure only its first documents (on ../shared/corpus 64
     * windows of 128 tokens are 4-18% of a domain's split, 1-4 of its 10-49 documents).
     */
    public static long[] spreadWindows(long available, long count) {
        if (available < 0 || count < 0) {
            throw new IllegalArgumentException(
                    "window counts must be >= 0, got " + count + " of " + available + " available");
        }
        int n = Math.toIntExact(Math.min(available, count));
        long[] w = new long[n];
        if (n == 0) {
            return w;
        }
        // floor(i * available / n) without overflow: available = q n + r with r < n.
        long q = available / n;
        long r = available % n;
        for (int i = 0; i < n; i++) {
            w[i] = i * q + i * r / n;
        }
        return w;
    }

    /**
     * Windows of {@code context + 1} tokens, overlapping by one, that domain d's validation split
     * holds (0 when it is shorter than one window, as small k-means clusters can be).
     */
    public static long validationWindows(TokenStore store, int d, int context) {
        return Math.max(0, (store.validTokens(d) - 1) / context);
    }

    /** Per-domain losses and the natural-mixture loss (domains weighted by training size). */
    public static Table table(ToDoubleFunction<TokenBatch> model, TokenStore store, int context, int maxWindows) {
        List<Loss> per = new ArrayList<>();
        double total = 0;
        double nats = 0;
        double bits = 0;
        long tokens = 0;
        for (int d = 0; d < store.domains().count(); d++) {
            Loss l = onValidation(model, store, d, context, maxWindows);
            per.add(l);
            double w = store.trainTokens(d);
            total += w;
            nats += w * l.natsPerToken();
            bits += w * l.bitsPerByte();
            tokens += l.tokens();
        }
        return new Table(store.domains().names(), per, new Loss(nats / total, bits / total, tokens));
    }

    /**
     * Loss of {@code model} on raw documents, read as a token store reads a corpus: the documents
     * joined by a blank line ("\n\n") into one stream, cut into windows of {@code context + 1}
     * tokens that overlap by one (the last one shorter), so every token after the first is
     * predicted once, with the context it would have in training. Windows are scored in batches
     * of at most 16 as the stream is read, so memory stays bounded whatever the documents' size.
     * Bits per byte use the text's UTF-8 bytes per token, as {@link #onValidation} does.
     *
     * @throws IllegalArgumentException when the documents hold fewer than two tokens in all
     */
    public static Loss onDocuments(
            ToDoubleFunction<TokenBatch> model, Tokenizer tokenizer, List<String> documents, int context) {
        if (context < 1) {
            throw new IllegalArgumentException("context must be >= 1, got " + context);
        }
        if (documents == null || documents.isEmpty()) {
            throw new IllegalArgumentException("evaluation needs at least one document");
        }
        int[] separator = tokenizer.encode("\n\n");
        List<int[]> batch = new ArrayList<>();
        int[] window = new int[context + 1];
        int filled = 0;
        double nats = 0;
        long predicted = 0;
        long bytes = 0;
        long tokens = 0;
        for (int d = 0; d < documents.size(); d++) {
            String doc = documents.get(d);
            if (doc == null) {
                throw new IllegalArgumentException("document " + d + " is null");
            }
            bytes += doc.getBytes(StandardCharsets.UTF_8).length + (d > 0 ? 2 : 0);
            int[][] parts =
                    d > 0 ? new int[][] {separator, tokenizer.encode(doc)} : new int[][] {tokenizer.encode(doc)};
            for (int[] part : parts) {
                tokens += part.length;
                for (int id : part) {
                    window[filled++] = id;
                    if (filled == window.length) {
                        batch.add(window.clone());
                        window[0] = id;
                        filled = 1;
                        if (batch.size() == BATCH) {
                            nats += score(model, batch);
                            predicted += (long) batch.size() * context;
                            batch.clear();
                        }
                    }
                }
            }
        }
        if (!batch.isEmpty()) {
            nats += score(model, batch);
            predicted += (long) batch.size() * context;
        }
        if (filled >= 2) {
            nats += score(model, List.of(Arrays.copyOf(window, filled)));
            predicted += filled - 1;
        }
        if (predicted == 0) {
            throw new IllegalArgumentException("the documents hold fewer than two tokens in all: nothing to predict");
        }
        double perToken = nats / predicted;
        return new Loss(perToken, perToken / Math.log(2) / ((double) bytes / tokens), predicted);
    }

    /** Total nats of one batch of equal-length windows. */
    private static double score(ToDoubleFunction<TokenBatch> model, List<int[]> rows) {
        TokenBatch b = TokenBatch.of(rows.toArray(new int[0][]));
        return model.applyAsDouble(b) * b.batchSize() * (b.length() - 1);
    }

    /**
     * Up to {@code count} training documents of domain d as text: specialist sets for histograms
     * come from here, so they never overlap the validation split that losses are measured on.
     */
    public static List<String> trainingDocuments(TokenStore store, Tokenizer tokenizer, int d, int count) {
        List<String> docs = new ArrayList<>();
        long n = Math.min(count, store.trainDocuments(d));
        for (int i = 0; i < n; i++) {
            docs.add(tokenizer.decode(store.document(d, false, i)));
        }
        return docs;
    }

    /**
     * Up to {@code count} training documents of domain d taken from the end of its training split:
     * the specialist sets whose histograms this library measures. Centroids of labelled domains are
     * made from each domain's first training documents ({@link #trainingDocuments}, as {@code soe
     * train} does), so a histogram is measured on other documents than those that made the
     * centroids whenever the domain holds more training documents than the two sets together.
     */
    public static List<String> specialistDocuments(TokenStore store, Tokenizer tokenizer, int d, int count) {
        List<String> docs = new ArrayList<>();
        int n = (int) store.trainDocuments(d);
        for (int i = Math.max(0, n - count); i < n; i++) {
            docs.add(tokenizer.decode(store.document(d, false, i)));
        }
        return docs;
    }

    /**
     * The soup's specialized loss on domain d: the loss of {@code soup.instantiate(h_d)} on d's
     * validation split, h_d being {@code assigner}'s histogram of up to {@code documents} of d's
     * training documents from the end of its split ({@link #specialistDocuments}), so not those
     * that made the centroids. Returns the loss and h_d.
     */
    public static Specialized specialized(
            SoupOfExperts soup,
            TokenStore store,
            Tokenizer tokenizer,
            DomainAssigner assigner,
            int d,
            int documents,
            int context,
            int maxWindows) {
        double[] h = assigner.domainWeights(specialistDocuments(store, tokenizer, d, documents));
        try (var s = soup.instantiate(h)) {
            return new Specialized(onValidation(s::loss, store, d, context, maxWindows), h);
        }
    }

    /** A specialized loss and the domain weights it was instantiated for. */
    public record Specialized(Loss loss, double[] h) {}
}
