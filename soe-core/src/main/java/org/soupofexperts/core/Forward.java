package org.soupofexperts.core;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.util.function.Function;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.internal.Djl;
import org.soupofexperts.core.nn.GptModel;
import org.soupofexperts.core.nn.KvCache;

/**
 * Inference shared by soups and specialists: every call runs without autograd and inside an
 * {@link NDScope}, so no temporary outlives it (ops on parameters would otherwise land in the
 * model's manager and accumulate).
 */
final class Forward {

    private Forward() {}

    /** Logits for tokens; alphaFn makes alpha in the given manager (returns null for none). */
    static NDArray logits(GptModel model, NDArray tokens, Function<NDManager, NDArray> alphaFn) {
        NDManager caller = tokens.getManager();
        try (Djl.NoGradScope scope = Djl.noGradScope()) {
            NDArray out = model.logits(tokens, alphaFn.apply(caller));
            NDScope.unregister(out);
            out.attach(caller);
            return out;
        }
    }

    /** A specialist's logits for tokens that continue what {@code cache} holds (null: a plain forward). */
    static NDArray logits(GptModel model, NDArray tokens, KvCache cache) {
        NDManager caller = tokens.getManager();
        try (Djl.NoGradScope scope = Djl.noGradScope()) {
            NDArray out = model.logits(tokens, null, cache);
            NDScope.unregister(out);
            out.attach(caller);
            return out;
        }
    }

    /** Mean next-token loss (nats/token) over a batch of sequences of at most context+1 tokens. */
    static double loss(GptModel model, NDManager manager, TokenBatch batch, Function<NDManager, NDArray> alphaFn) {
        checkScored(model, batch);
        try (Djl.NoGradScope scope = Djl.noGradScope();
                NDManager tmp = manager.newSubManager()) {
            NDArray tokens = tmp.create(batch.tokens(), new Shape(batch.batchSize(), batch.length()));
            return model.loss(tokens, alphaFn.apply(tmp)).getFloat();
        }
    }

    /** Refuses a batch the model cannot score: sequences of 2 to context + 1 tokens, ids within the vocabulary. */
    static void checkScored(GptModel model, TokenBatch batch) {
        int max = model.config().contextLength() + 1;
        if (batch.length() < 2 || batch.length() > max) {
            throw new IllegalArgumentException(
                    "sequences must have 2 to " + max + " tokens (context + 1), got " + batch.length());
        }
        model.config().checkTokenIds(batch.tokens(), "scored");
    }
}
