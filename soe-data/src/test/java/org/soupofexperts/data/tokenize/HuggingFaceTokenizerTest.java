package org.soupofexperts.data.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.soupofexperts.core.Labels;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.Specialist;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.io.Dtype;

class HuggingFaceTokenizerTest {

    @TempDir
    Path tmp;

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

    @Test
    void aTokenizerJsonWithForgedIdsIsRefusedNamingTheFile() throws Exception {
        String[] forged = {
            "{\"model\": []}", // a model that is not an object
            "{\"model\": {\"vocab\": {\"a\": \"x\"}}}", // an id that is not a number
            "{\"model\": {\"vocab\": {\"a\": 0}}, \"added_tokens\": [{\"content\": \"b\"}]}", // no id
            "{\"model\": {\"vocab\": {\"a\": 100000000}}}", // a vocabulary of 10^8: the model would not fit
            "{\"model\": {\"vocab\": {\"a\": 2147483647}}}" // an id whose + 1 overflowed
        };
        String[] named = {"model", "is not a number", "is not a number", "larger than the 16777216", "larger than"};
        for (int i = 0; i < forged.length; i++) {
            Path dir = Files.createDirectories(tmp.resolve("forged" + i));
            Path f = Files.writeString(dir.resolve("tokenizer.json"), forged[i]);
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> HuggingFaceTokenizer.load(dir), forged[i]);
            assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains(named[i]), e.getMessage());
        }
    }

    /**
     * A soup labelled with a Hugging Face tokenizer keeps its tokenizer.json through save and
     * load, passes it to its specialists, and writes it into a Hugging Face export.
     */
    @Test
    void aSoupCarriesItsTokenizerJsonToItsSpecialistsAndTheirExports() throws Exception {
        Path f = tmp.resolve("tokenizer.json");
        Files.writeString(f, WORDS);
        try (HuggingFaceTokenizer t = HuggingFaceTokenizer.load(f)) {
            ModelConfig cfg = ModelConfig.builder()
                    .vocabSize(8)
                    .layers(1)
                    .dModel(8)
                    .heads(1)
                    .contextLength(8)
                    .build();
            try (SoupOfExperts soup = SoupOfExperts.builder()
                    .model(cfg)
                    .domains(2)
                    .experts(2)
                    .seed(1)
                    .build()) {
                soup.label(t.labels(List.of("soups", "pasta")));
                soup.save(tmp.resolve("soup"));
            }
            try (SoupOfExperts soup = SoupOfExperts.load(tmp.resolve("soup"));
                    Specialist s = soup.instantiate(new double[] {1, 0})) {
                assertEquals(WORDS, soup.labels().tokenizerDefinition());
                s.save(tmp.resolve("spec"));
            }
            try (Specialist s = Specialist.load(tmp.resolve("spec"));
                    HuggingFaceTokenizer back = HuggingFaceTokenizer.fromLabels(s.labels())) {
                assertEquals(t.id(), back.id());
                assertArrayEquals(t.encode("soup of experts pasta"), back.encode("soup of experts pasta"));
                s.exportHuggingFace(tmp.resolve("hf"), Dtype.F32);
                assertEquals(WORDS, Files.readString(tmp.resolve("hf/tokenizer.json")));
                assertTrue(
                        s.labels().toString().contains("chars")
                                && !s.labels().toString().contains("WordLevel"),
                        "labels print the definition's size, not its text: " + s.labels());
            }
            Labels forged = Labels.ofDomains(List.of()).withTokenizer("hf:0000000000000000", 4, WORDS);
            assertTrue(assertThrows(IllegalArgumentException.class, () -> HuggingFaceTokenizer.fromLabels(forged))
                    .getMessage()
                    .contains("damaged or edited"));
            assertThrows(IllegalArgumentException.class, () -> HuggingFaceTokenizer.fromLabels(Labels.NONE));
        }
    }

    private static final String WORDS = """
            {"version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
             "normalizer": null, "pre_tokenizer": {"type": "Whitespace"}, "post_processor": null,
             "decoder": null,
             "model": {"type": "WordLevel", "vocab": {"[UNK]": 0, "soup": 1, "of": 2, "experts": 3},
                       "unk_token": "[UNK]"}}
            """;
}
