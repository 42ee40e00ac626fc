package org.soupofexperts.data.generate;

import ai.djl.Model;
import ai.djl.translate.TranslateException;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorFactory;
import ai.djl.util.Pair;
import java.io.IOException;
import java.lang.reflect.Type;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.soupofexperts.core.Generation;
import org.soupofexperts.data.tokenize.ByteTokenizer;
import org.soupofexperts.data.tokenize.HuggingFaceTokenizer;
import org.soupofexperts.data.tokenize.Tokenizer;

/**
 * DJL's {@link TranslatorFactory} for text in, text out ({@link TextTranslator}) on a specialist's
 * DJL export. Its arguments (Criteria's {@code optArguments}, or a {@code serving.properties}'s
 * entries under DJL Serving): {@code tokenizer} ({@code bytes}, the default, or the path of a
 * Hugging Face {@code tokenizer.json}, relative to the model folder), {@code maxNewTokens}
 * (default 64), {@code temperature} (default 0: greedy), {@code topK} (0: all), {@code topP}
 * (default 1), {@code seed} (default 0). Stateless; thread-safe.
 */
public final class TextTranslatorFactory implements TranslatorFactory {

    @Override
    public Set<Pair<Type, Type>> getSupportedTypes() {
        return Set.of(new Pair<>(String.class, String.class));
    }

    @Override
    @SuppressWarnings("unchecked")
    public <I, O> Translator<I, O> newInstance(Class<I> input, Class<O> output, Model model, Map<String, ?> arguments)
            throws TranslateException {
        if (input != String.class || output != String.class) {
            throw new IllegalArgumentException("this translator maps a String prompt to a String continuation, not "
                    + input.getSimpleName() + " to " + output.getSimpleName());
        }
        Tokenizer tokenizer = tokenizer(model.getModelPath(), text(arguments, "tokenizer", "bytes"));
        double temperature = number(arguments, "temperature", 0);
        int maxNewTokens = (int) number(arguments, "maxNewTokens", 64);
        Generation g = temperature == 0
                ? Generation.greedy(maxNewTokens)
                : Generation.sampling(
                        maxNewTokens,
                        temperature,
                        (int) number(arguments, "topK", 0),
                        number(arguments, "topP", 1),
                        (long) number(arguments, "seed", 0));
        return (Translator<I, O>) new TextTranslator(tokenizer, g, List.of());
    }

    private static Tokenizer tokenizer(Path modelPath, String spec) throws TranslateException {
        if (spec.equals("bytes")) {
            return new ByteTokenizer();
        }
        Path file = modelPath.resolve(spec).normalize();
        try {
            return HuggingFaceTokenizer.load(file);
        } catch (IOException e) {
            throw new TranslateException("cannot read the tokenizer " + file, e);
        }
    }

    private static String text(Map<String, ?> arguments, String key, String fallback) {
        Object v = arguments == null ? null : arguments.get(key);
        return v == null ? fallback : v.toString();
    }

    /** A numeric argument; a value that is not a number is refused by name. */
    private static double number(Map<String, ?> arguments, String key, double fallback) {
        String v = text(arguments, key, null);
        if (v == null) {
            return fallback;
        }
        try {
            return Double.parseDouble(v.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("translator argument " + key + " must be a number, got '" + v + "'", e);
        }
    }
}
