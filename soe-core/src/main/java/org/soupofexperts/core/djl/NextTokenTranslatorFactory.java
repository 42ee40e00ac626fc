package org.soupofexperts.core.djl;

import ai.djl.Model;
import ai.djl.translate.TranslateException;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorFactory;
import ai.djl.util.Pair;
import java.io.IOException;
import java.lang.reflect.Type;
import java.util.Map;
import java.util.Set;

/**
 * DJL's {@link TranslatorFactory} for a specialist exported by {@link DjlModelFolder}: {@code
 * int[]} token ids in, {@code float[]} next-token logits out ({@link NextTokenTranslator}).
 * Stateless; thread-safe.
 */
public final class NextTokenTranslatorFactory implements TranslatorFactory {

    @Override
    public Set<Pair<Type, Type>> getSupportedTypes() {
        return Set.of(new Pair<>(int[].class, float[].class));
    }

    @Override
    @SuppressWarnings("unchecked")
    public <I, O> Translator<I, O> newInstance(Class<I> input, Class<O> output, Model model, Map<String, ?> arguments)
            throws TranslateException {
        if (input != int[].class || output != float[].class) {
            throw new IllegalArgumentException("a specialist's translator maps int[] token ids to float[] logits, not "
                    + input.getSimpleName() + " to " + output.getSimpleName());
        }
        try {
            return (Translator<I, O>) new NextTokenTranslator(DjlModelFolder.config(model.getModelPath()));
        } catch (IOException e) {
            throw new TranslateException("cannot read the model config of " + model.getModelPath(), e);
        }
    }
}
