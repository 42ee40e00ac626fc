package org.soupofexperts.data.generate;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.IntPredicate;
import org.soupofexperts.core.DenseModel;
import org.soupofexperts.core.Generation;
import org.soupofexperts.core.nn.GptModel;
import org.soupofexperts.data.tokenize.Tokenizer;

/**
 * A specialist's generation as text: the prompt is encoded by the model's tokenizer, the new
 * tokens decoded back, generation stops at the first of the stop sequences (which is cut from the
 * text), and {@link #stream} hands the text over piece by piece as it is made. A piece is given
 * only once its bytes decode to whole characters, and text that could still begin a stop
 * sequence is held back until it cannot. Thread-safe when the tokenizer is (the library's are):
 * generation itself follows {@link DenseModel#generate}.
 */
public final class TextGenerator {

    /** The most stop sequences a call takes, and their greatest length in characters. */
    public static final int MAX_STOPS = 16;

    public static final int MAX_STOP_LENGTH = 256;

    /** What makes the tokens: a model's generation from prompt ids. */
    @FunctionalInterface
    private interface Continuation {
        int[] generate(int[] prompt, Generation g, IntPredicate onToken);
    }

    private final Continuation model;
    private final Tokenizer tokenizer;

    private TextGenerator(Continuation model, Tokenizer tokenizer) {
        this.model = model;
        this.tokenizer = tokenizer;
    }

    /**
     * A generator of {@code model}'s text through {@code tokenizer}, which must be the one the
     * model records (when it records one) and fit its vocabulary.
     *
     * @throws IllegalArgumentException naming both tokenizers when they differ
     */
    public static TextGenerator of(DenseModel model, Tokenizer tokenizer) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(tokenizer, "tokenizer");
        String recorded = model.labels().tokenizer();
        if (recorded != null && !recorded.equals(tokenizer.id())) {
            throw new IllegalArgumentException(
                    "the model was trained with tokenizer " + recorded + ", not " + tokenizer.id());
        }
        checkVocabulary(tokenizer, model.block().config().vocabSize());
        return new TextGenerator(model::generate, tokenizer);
    }

    /**
     * A generator over a model block used directly, such as the block of a DJL {@code Predictor}
     * ({@link TextTranslator}); its arrays are made under {@code manager}. The block records no
     * tokenizer, so only the vocabulary is checked.
     */
    public static TextGenerator of(GptModel block, NDManager manager, Tokenizer tokenizer) {
        Objects.requireNonNull(block, "block");
        Objects.requireNonNull(manager, "manager");
        Objects.requireNonNull(tokenizer, "tokenizer");
        checkVocabulary(tokenizer, block.config().vocabSize());
        return new TextGenerator((ids, g, onToken) -> g.continueWith(block, manager, ids, onToken), tokenizer);
    }

    private static void checkVocabulary(Tokenizer tokenizer, int vocab) {
        if (tokenizer.vocabSize() > vocab) {
            throw new IllegalArgumentException("tokenizer " + tokenizer.id() + " has " + tokenizer.vocabSize()
                    + " ids, more than the model's vocabulary of " + vocab);
        }
    }

    /** The continuation of {@code prompt} (without the prompt), up to {@code g.maxNewTokens()} tokens. */
    public String generate(String prompt, Generation g) {
        return stream(prompt, g, List.of(), text -> {});
    }

    /** As {@link #generate(String, Generation)}, ending before the first of the stop sequences. */
    public String generate(String prompt, Generation g, List<String> stop) {
        return stream(prompt, g, stop, text -> {});
    }

    /**
     * Generates as {@link #generate(String, Generation, List)} does, giving the text to {@code
     * onText} in pieces as soon as each is final; the pieces joined are the returned text.
     */
    public String stream(String prompt, Generation g, List<String> stop, Consumer<String> onText) {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(g, "generation");
        Objects.requireNonNull(onText, "onText");
        List<String> stops = checkStops(stop);
        int[] ids = tokenizer.encode(prompt);
        if (ids.length == 0) {
            throw new IllegalArgumentException("the prompt encodes to no tokens; generation needs at least one");
        }
        Pieces p = new Pieces(stops, onText);
        model.generate(ids, g, p::add);
        return p.finish();
    }

    /**
     * Checks stop sequences as {@link #generate(String, Generation, List)} does (at most {@value
     * #MAX_STOPS}, each of 1 to {@value #MAX_STOP_LENGTH} characters) and returns an immutable copy:
     * a server can refuse a request before any work on it.
     *
     * @throws IllegalArgumentException if there are too many, or one is null, empty or too long (the
     *     message says which rule and gives the count or the length)
     */
    public static List<String> checkStops(List<String> stop) {
        Objects.requireNonNull(stop, "stop");
        if (stop.size() > MAX_STOPS) {
            throw new IllegalArgumentException("at most " + MAX_STOPS + " stop sequences, got " + stop.size());
        }
        for (String s : stop) {
            if (s == null || s.isEmpty() || s.length() > MAX_STOP_LENGTH) {
                throw new IllegalArgumentException("a stop sequence must have 1 to " + MAX_STOP_LENGTH
                        + " characters, got " + (s == null ? "null" : s.length() + ""));
            }
        }
        return List.copyOf(stop);
    }

    /** The text made so far: tokens not yet decodable, text not yet given, and the stop check. */
    private final class Pieces {
        private final List<String> stops;
        private final Consumer<String> onText;
        private final int holdBack;
        private final List<Integer> pending = new ArrayList<>();
        private final StringBuilder text = new StringBuilder();
        private int given;
        private boolean stopped;

        Pieces(List<String> stops, Consumer<String> onText) {
            this.stops = stops;
            this.onText = onText;
            this.holdBack = stops.stream().mapToInt(String::length).max().orElse(1) - 1;
        }

        /** Takes one new token; false once a stop sequence has appeared. */
        boolean add(int token) {
            pending.add(token);
            String piece = tokenizer.decode(
                    pending.stream().mapToInt(Integer::intValue).toArray());
            if (piece.endsWith("\uFFFD")) {
                return true; // the bytes of a character not yet complete
            }
            pending.clear();
            int searchFrom = Math.max(0, text.length() - holdBack);
            text.append(piece);
            int cut = firstStop(searchFrom);
            if (cut >= 0) {
                text.setLength(cut);
                stopped = true;
                return false;
            }
            give(text.length() - holdBack);
            return true;
        }

        private int firstStop(int from) {
            int first = -1;
            for (String s : stops) {
                int at = text.indexOf(s, from);
                if (at >= 0 && (first < 0 || at < first)) {
                    first = at;
                }
            }
            return first;
        }

        private void give(int upTo) {
            if (upTo > given) {
                onText.accept(text.substring(given, upTo));
                given = upTo;
            }
        }

        String finish() {
            if (!stopped && !pending.isEmpty()) {
                text.append(tokenizer.decode(
                        pending.stream().mapToInt(Integer::intValue).toArray()));
            }
            give(text.length());
            return text.toString();
        }
    }
}
