package org.soupofexperts.core.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import org.soupofexperts.core.config.ModelConfig;

/**
 * A DJL {@code Translator} for a specialist's model (see {@code Specialist.newModel()}): the input
 * is a token sequence of 1 to context-length ids, the output the logits of the next token (one
 * float per vocabulary entry). Stateless and thread-safe.
 *
 * <pre>{@code
 * try (Model model = specialist.newModel();
 *         Predictor<int[], float[]> p = model.newPredictor(new NextTokenTranslator(specialist.config()))) {
 *     float[] next = p.predict(tokens);
 * }
 * }</pre>
 */
public final class NextTokenTranslator implements NoBatchifyTranslator<int[], float[]> {

    private final ModelConfig config;

    public NextTokenTranslator(ModelConfig config) {
        this.config = config;
    }

    @Override
    public NDList processInput(TranslatorContext ctx, int[] tokens) {
        if (tokens == null || tokens.length == 0 || tokens.length > config.contextLength()) {
            throw new IllegalArgumentException("input must hold 1 to " + config.contextLength() + " tokens, got "
                    + (tokens == null ? "null" : tokens.length));
        }
        config.checkTokenIds(tokens, "input");
        return new NDList(ctx.getNDManager().create(tokens, new Shape(1, tokens.length)));
    }

    @Override
    public float[] processOutput(TranslatorContext ctx, NDList list) {
        NDArray logits = list.singletonOrThrow();
        return logits.get(new NDIndex("0, -1")).toFloatArray();
    }
}
