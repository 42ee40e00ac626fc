package org.soupofexperts.data.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

class HuggingFaceTokenizerTest {

    @TempDir Path tmp;

    @Test
    void aWordLevelTokenizerJsonEncodesAndDecodes() throws Exception {
        Path f = tmp.resolve("tokenizer.json");
        Files.writeString(f, """
                {"version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
                 "normalizer": null, "pre_tokenizer": {"type": "Whitespace"}, "post_processor": null,
                 "decoder": null,
                 "model": {"type": "WordLevel", "vocab": {"[UNK]": 0, "soup": 1, "of": 2, "experts": 3},
                           "unk_token": "[UNK]"}}
                """);
        try (HuggingFaceTokenizer t = HuggingFaceTokenizer.load(tmp)) {
            assertEquals(4, t.vocabSize());
            assertArrayEquals(new int[] {1, 2, 3, 0}, t.encode("soup of experts pasta"));
            assertTrue(t.decode(new int[] {1, 2, 3}).contains("experts"));
            assertTrue(t.id().startsWith("hf:"));
        }
        assertThrows(IllegalArgumentException.class, () -> HuggingFaceTokenizer.load(tmp.resolve("nope")));
    }
}
