package org.soupofexperts.core;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.IntPredicate;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.nn.GptModel;
import org.soupofexperts.core.nn.KvCache;

/**
 * How {@link Specialist#generate} picks each next token: greedy (temperature 0), or sampled from
 * the softmax of logits / temperature, restricted to the {@code topK} most likely tokens (0: all)
 * and to the smallest set whose probability reaches {@code topP} (1: all), from a generator seeded
 * with {@code seed} (the same seed gives the same text). Immutable.
 *
 * @param maxNewTokens tokens to add to the prompt
 * @param temperature 0 for greedy, else &gt; 0
 * @param topK keep the k most likely tokens (0 keeps all)
 * @param topP nucleus: keep the most likely tokens up to this total probability (1 keeps all)
 * @param seed seed of the sampling stream
 */
public record Generation(int maxNewTokens, double temperature, int topK, double topP, long seed) {

    /** The most tokens one call generates: each is a forward pass, and the text is held in memory. */
    public static final int MAX_NEW_TOKENS = 1_000_000;

    public Generation {
        if (maxNewTokens < 1 || maxNewTokens > MAX_NEW_TOKENS) {
            throw new IllegalArgumentException("maxNewTokens must be in [1, " + MAX_NEW_TOKENS
                    + "] (each is a forward pass), got " + maxNewTokens);
        }
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be finite and >= 0, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("topK must be >= 0 (0 keeps all tokens), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
        }
    }

    /** The most likely token every time. */
    public static Generation greedy(int maxNewTokens) {
        return new Generation(maxNewTokens, 0, 0, 1, 0);
    }

    /** Sampling at a temperature, with top-k and top-p filters, from a seeded stream. */
    public static Generation sampling(int maxNewTokens, double temperature, int topK, double topP, long seed) {
        if (temperature == 0) {
            throw new IllegalArgumentException("sampling needs temperature > 0; use greedy() for temperature 0");
        }
        return new Generation(maxNewTokens, temperature, topK, topP, seed);
    }

    /** Picks the next token from one position's logits. */
    int next(float[] logits, SplittableRandom rng) {
        int vocab = logits.length;
        for (int i = 0; i < vocab; i++) {
            if (!Float.isFinite(logits[i])) {
                // A NaN would pick token 0 forever, or sample from garbage: say so instead.
                throw new ArithmeticException("the model's logits are not finite (" + logits[i] + " for token " + i
                        + "): its weights are damaged or too large for float32");
            }
        }
        if (temperature == 0) {
            int best = 0;
            for (int i = 1; i < vocab; i++) {
                if (logits[i] > logits[best]) {
                    best = i;
                }
            }
            return best;
        }
        int[] order = order(logits);
        int keep = topK == 0 ? vocab : Math.min(topK, vocab);
        double top = logits[order[0]];
        double[] p = new double[keep];
        double total = 0;
        for (int r = 0; r < keep; r++) {
            // The difference before the division: logits / a subnormal temperature are infinite,
            // and Inf - Inf is NaN, which made every token as likely as none (the last one won).
            p[r] = Math.exp((logits[order[r]] - top) / temperature);
            total += p[r];
        }
        // Nucleus: the smallest prefix of the sorted tokens whose probability reaches topP.
        double cumulative = 0;
        int nucleus = keep;
        for (int r = 0; r < keep; r++) {
            cumulative += p[r] / total;
            if (cumulative >= topP) {
                nucleus = r + 1;
                break;
            }
        }
        double mass = 0;
        for (int r = 0; r < nucleus; r++) {
            mass += p[r];
        }
        double u = rng.nextDouble() * mass;
        for (int r = 0; r < nucleus; r++) {
            u -= p[r];
            if (u <= 0) {
                return order[r];
            }
        }
        return order[nucleus - 1];
    }

    /**
     * The tokens from the most to the least likely (by {@link Float#compare}, ties by token id),
     * sorted as primitive keys: a boxed sort of the vocabulary on every token cost more than a
     * small model's forward pass at vocabularies of tens of thousands.
     */
    static int[] order(float[] logits) {
        long[] keys = new long[logits.length];
        for (int i = 0; i < keys.length; i++) {
            int bits = Float.floatToIntBits(logits[i]);
            // Ordered as the floats are (-0.0 below 0.0), then complemented: the most likely first.
            int ordered = bits ^ ((bits >> 31) & 0x7fffffff);
            keys[i] = ((long) ~ordered << 32) | i;
        }
        Arrays.sort(keys);
        int[] order = new int[keys.length];
        for (int r = 0; r < order.length; r++) {
            order[r] = (int) keys[r];
        }
        return order;
    }

    /**
     * Continues {@code prompt} with a model block used directly, as a DJL {@code Translator} has
     * it ({@code TranslatorContext.getBlock()}): the same generation as {@link
     * DenseModel#generate(int[], Generation, IntPredicate)}, key/value cache included, with the
     * arrays made in sub-managers of {@code manager}. Returns the new tokens.
     */
    public int[] continueWith(GptModel model, NDManager manager, int[] prompt, IntPredicate onToken) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(onToken, "onToken");
        return continueText(
                prompt,
                model.config(),
                manager,
                new Source() {
                    @Override
                    public NDArray logits(NDArray tokens, KvCache cache) {
                        return Forward.logits(model, tokens, cache);
                    }

                    @Override
                    public KvCache newCache(NDManager parent) {
                        return model.newCache(parent);
                    }
                },
                onToken);
    }

    /** What generation needs of a model: logits with or without a key/value cache. */
    interface Source {
        /** Logits {@code [1, T, vocab]} of tokens {@code [1, T]} continuing what {@code cache} holds (null: none). */
        NDArray logits(NDArray tokens, KvCache cache);

        /** A fresh cache in a sub-manager of {@code parent}. */
        KvCache newCache(NDManager parent);
    }

    /**
     * {@link DenseModel#generate}: the prompt is read once into a key/value cache and each new
     * token is fed alone, while the text fits the context length; past it, each new token is a
     * forward pass over the last context-length tokens (the window moves by one position a
     * token, so cached keys, whose positions would shift, cannot be reused). {@code onToken} sees
     * each new token and returns false to stop.
     */
    int[] continueText(int[] prompt, ModelConfig config, NDManager manager, Source model, IntPredicate onToken) {
        if (prompt == null || prompt.length == 0) {
            throw new IllegalArgumentException("generation needs a prompt of at least one token");
        }
        config.checkTokenIds(prompt, "prompt");
        int ctx = config.contextLength();
        if (prompt.length > Integer.MAX_VALUE - 8 - maxNewTokens) {
            throw new IllegalArgumentException("a prompt of " + prompt.length + " tokens plus " + maxNewTokens
                    + " new ones is more than one array holds");
        }
        int[] text = Arrays.copyOf(prompt, prompt.length + maxNewTokens);
        SplittableRandom rng = new SplittableRandom(seed);
        int end = text.length;
        try (NDManager gen = manager.newSubManager();
                KvCache cache = model.newCache(gen)) {
            for (int i = prompt.length; i < end; i++) {
                int from = Math.max(0, i - ctx);
                boolean cached = from == 0;
                int feedFrom = cached ? cache.length() : from;
                float[] last;
                try (NDManager tmp = gen.newSubManager()) {
                    NDArray tokens = tmp.create(Arrays.copyOfRange(text, feedFrom, i), new Shape(1, i - feedFrom));
                    try (NDArray out = model.logits(tokens, cached ? cache : null)) {
                        last = out.get(new NDIndex("0, -1")).toFloatArray();
                    }
                }
                text[i] = next(last, rng);
                if (!onToken.test(text[i])) {
                    end = i + 1;
                }
            }
        }
        return Arrays.copyOfRange(text, prompt.length, end);
    }
}
