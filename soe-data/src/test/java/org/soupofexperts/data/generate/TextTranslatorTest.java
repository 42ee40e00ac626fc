package org.soupofexperts.data.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.soupofexperts.core.DenseModel;
import org.soupofexperts.core.Generation;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.data.tokenize.ByteTokenizer;

/** A DJL export generates text through Criteria<String, String>: the same text as TextGenerator. */
class TextTranslatorTest {

    private static final ModelConfig BYTES = TextGeneratorTest.BYTES;

    @Test
    void anExportLoadedThroughCriteriaContinuesAPromptAsTheSpecialistDoes(@TempDir Path tmp) throws Exception {
        ByteTokenizer tok = new ByteTokenizer();
        Path folder = tmp.resolve("spec");
        String greedy;
        String sampled;
        // 40 new tokens after a 5-token prompt: past the context of 32, so both the cached and the
        // windowed passes run.
        Generation sampling = Generation.sampling(40, 1.0, 0, 1.0, 11);
        try (DenseModel m = DenseModel.create(BYTES, 3)) {
            greedy = TextGenerator.of(m, tok).generate("hello", Generation.greedy(40));
            sampled = TextGenerator.of(m, tok).generate("hello", sampling);
            m.exportForDjl(folder);
        }
        assertEquals(greedy, predict(folder, Map.of("maxNewTokens", "40"), "hello"));
        assertEquals(
                sampled,
                predict(folder, Map.of("maxNewTokens", "40", "temperature", "1.0", "seed", "11"), "hello"),
                "seed 11");
    }

    @Test
    void badArgumentsAndPromptsAreRefusedByName(@TempDir Path tmp) throws Exception {
        Path folder = tmp.resolve("spec");
        try (DenseModel m = DenseModel.create(BYTES, 3)) {
            m.exportForDjl(folder);
        }
        Exception notNumber = assertThrows(Exception.class, () -> predict(folder, Map.of("maxNewTokens", "many"), "x"));
        assertTrue(
                String.valueOf(rootMessage(notNumber)).contains("maxNewTokens must be a number"),
                rootMessage(notNumber));
        Exception noTokenizer =
                assertThrows(Exception.class, () -> predict(folder, Map.of("tokenizer", "missing.json"), "x"));
        assertTrue(rootMessage(noTokenizer).contains("missing.json"), rootMessage(noTokenizer));
        TranslateException empty = assertThrows(TranslateException.class, () -> predict(folder, Map.of(), ""));
        assertTrue(rootMessage(empty).contains("encodes to no tokens"), rootMessage(empty));
        assertThrows(NullPointerException.class, () -> new TextTranslator(new ByteTokenizer(), null, List.of()));
    }

    private static String predict(Path folder, Map<String, String> arguments, String prompt) throws Exception {
        Criteria<String, String> criteria = Criteria.builder()
                .setTypes(String.class, String.class)
                .optModelPath(folder)
                .optEngine("PyTorch")
                .optTranslatorFactory(new TextTranslatorFactory())
                .optArguments(new HashMap<String, Object>(arguments))
                .build();
        try (ZooModel<String, String> model = criteria.loadModel();
                Predictor<String, String> p = model.newPredictor()) {
            return p.predict(prompt);
        }
    }

    private static String rootMessage(Throwable t) {
        StringBuilder all = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            all.append(c.getMessage()).append(" | ");
        }
        return all.toString();
    }
}
