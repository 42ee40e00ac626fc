package org.soupofexperts.data.generate;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import java.util.List;
import java.util.Objects;
import org.soupofexperts.core.Generation;
import org.soupofexperts.core.nn.GptModel;
import org.soupofexperts.data.tokenize.Tokenizer;

/**
 * A DJL {@code Translator} from a prompt to its continuation, as text, for a specialist loaded
 * through DJL (an export of {@code exportForDjl}; see {@link TextTranslatorFactory} for {@code
 * Criteria}): the prompt is encoded by the tokenizer, continued as {@link TextGenerator} does
 * (key/value cache, stop sequences, whole characters) and decoded. Stateless and thread-safe
 * (DJL gives each predictor its own context).
 *
 * <p>DJL's predictor runs the block once between {@code processInput} and {@code processOutput};
 * generation needs one pass per token, so it runs in {@code processOutput} on the context's block,
 * and the predictor's own pass is given only the prompt's last token (its output is not used).
 *
 * <pre>{@code
 * try (Model model = specialist.newModel();
 *         Predictor<String, String> p = model.newPredictor(
 *                 new TextTranslator(new ByteTokenizer(), Generation.greedy(64), List.of()))) {
 *     String continuation = p.predict("The court held that");
 * }
 * }</pre>
 */
public final class TextTranslator implements NoBatchifyTranslator<String, String> {

    private static final String PROMPT = "soe.prompt";

    private final Tokenizer tokenizer;
    private final Generation generation;
    private final List<String> stop;

    /**
     * @param tokenizer the tokenizer the specialist was trained with
     * @param generation how many tokens and how they are chosen
     * @param stop stop sequences (cut from the text), at most {@link TextGenerator#MAX_STOPS}
     */
    public TextTranslator(Tokenizer tokenizer, Generation generation, List<String> stop) {
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        this.generation = Objects.requireNonNull(generation, "generation");
        this.stop = List.copyOf(Objects.requireNonNull(stop, "stop"));
    }

    @Override
    public NDList processInput(TranslatorContext ctx, String prompt) {
        Objects.requireNonNull(prompt, "prompt");
        int[] ids = tokenizer.encode(prompt);
        if (ids.length == 0) {
            throw new IllegalArgumentException("the prompt encodes to no tokens; generation needs at least one");
        }
        ctx.setAttachment(PROMPT, prompt);
        return new NDList(ctx.getNDManager().create(new int[] {ids[ids.length - 1]}, new Shape(1, 1)));
    }

    @Override
    public String processOutput(TranslatorContext ctx, NDList unused) {
        if (!(ctx.getBlock() instanceof GptModel block)) {
            throw new IllegalStateException("TextTranslator generates with a specialist's model block (GptModel), got "
                    + (ctx.getBlock() == null
                            ? "none"
                            : ctx.getBlock().getClass().getName()));
        }
        String prompt = (String) ctx.getAttachment(PROMPT);
        return TextGenerator.of(block, ctx.getNDManager(), tokenizer).generate(prompt, generation, stop);
    }
}
