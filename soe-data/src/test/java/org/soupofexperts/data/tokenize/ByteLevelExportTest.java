package org.soupofexperts.data.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.soupofexperts.core.DenseModel;
import org.soupofexperts.core.Labels;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.io.Dtype;
import org.soupofexperts.core.io.internal.StrictJson;

/**
 * A byte-level specialist's Hugging Face folder needs nothing else: its tokenizer.json, read by
 * the Hugging Face tokenizers library (through DJL), gives a text's UTF-8 bytes as ids and back.
 */
class ByteLevelExportTest {

    @TempDir
    Path dir;

    @Test
    void theExportedTokenizerMapsTextToItsUtf8BytesAndBackAndTheConfigsNameNoSpecialTokens() throws Exception {
        Path folder = dir.resolve("hf");
        ByteTokenizer bytes = new ByteTokenizer();
        try (DenseModel m = DenseModel.create(
                ModelConfig.builder()
                        .vocabSize(256)
                        .layers(1)
                        .dModel(16)
                        .heads(2)
                        .contextLength(8)
                        .build(),
                1)) {
            m.label(new Labels(List.of(), bytes.id(), bytes.vocabSize()));
            m.exportHuggingFace(folder, Dtype.F32);
        }
        HuggingFaceTokenizer hf = HuggingFaceTokenizer.load(folder.resolve("tokenizer.json"));
        for (String text :
                List.of("hello world", "héllo wörld, ça va?\n\ttabs", "日本語 and emoji 🎉", " a=b <c> & 'd'")) {
            assertArrayEquals(bytes.encode(text), hf.encode(text), text);
            assertEquals(text, hf.decode(bytes.encode(text)), text);
        }
        JsonObject cfg = StrictJson.readObject(folder.resolve("config.json"));
        assertTrue(
                cfg.get("eos_token_id").isJsonNull() && cfg.get("bos_token_id").isJsonNull(), cfg.toString());
        JsonObject gen = StrictJson.readObject(folder.resolve("generation_config.json"));
        assertTrue(gen.get("eos_token_id").isJsonNull(), gen.toString());
        assertEquals(8, gen.get("max_length").getAsInt());
        String card = Files.readString(folder.resolve("README.md"));
        assertTrue(card.startsWith("---\nlibrary_name: transformers\n"), card);
        assertTrue(card.contains("Its tokenizer.json is included"), card);
        assertFalse(card.contains("\\u003d") || card.contains("\\u003c"), "no HTML escapes in the card");
    }
}
