package org.soupofexperts.data.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.soupofexperts.core.DenseModel;
import org.soupofexperts.core.Generation;
import org.soupofexperts.core.Labels;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.data.tokenize.ByteTokenizer;

/** Text in, text out: the same tokens as token generation, cut at stop sequences, streamed in whole pieces. */
class TextGeneratorTest {

    static final ModelConfig BYTES = ModelConfig.builder()
            .vocabSize(256)
            .layers(1)
            .dModel(16)
            .heads(2)
            .mlpRatio(2)
            .contextLength(32)
            .build();

    @Test
    void theTextIsTheDecodedTokensOfTokenGeneration() {
        ByteTokenizer tok = new ByteTokenizer();
        try (DenseModel m = DenseModel.create(BYTES, 3)) {
            Generation g = Generation.sampling(40, 1.0, 0, 1.0, 11);
            String expected = tok.decode(m.generate(tok.encode("hello"), g));
            assertEquals(expected, TextGenerator.of(m, tok).generate("hello", g));
        }
    }

    @Test
    void generationEndsBeforeTheFirstStopSequenceAndTheStreamedPiecesNeverShowIt() {
        ByteTokenizer tok = new ByteTokenizer();
        // ASCII-only sampling (top-k over an untrained model is mostly not ASCII), so choose a
        // stop sequence from the text the model makes without one: its first three characters
        // after position 10, which appear there at the latest.
        try (DenseModel m = DenseModel.create(BYTES, 5)) {
            Generation g = Generation.sampling(60, 1.0, 0, 1.0, 21);
            TextGenerator gen = TextGenerator.of(m, tok);
            String full = gen.generate("seed", g);
            String stop = full.substring(10, 13);
            int at = full.indexOf(stop);
            List<String> pieces = new ArrayList<>();
            String cut = gen.stream("seed", g, List.of("\u0000never", stop), pieces::add);
            assertEquals(full.substring(0, at), cut, "stop " + stop + " (seed 21)");
            assertEquals(cut, String.join("", pieces));
            for (String p : pieces) {
                assertFalse(p.contains(stop), p);
            }
        }
    }

    @Test
    void streamedPiecesJoinToTheDecodedBytesThoughCharactersSpanSeveralTokens() {
        // Sampling an untrained byte model at temperature 1 gives nearly uniform bytes: lead bytes
        // of two- to four-byte characters, continuation bytes and invalid ones. A piece is given
        // only when its bytes end a character, so the pieces join to the decoding of all bytes.
        ByteTokenizer tok = new ByteTokenizer();
        try (DenseModel m = DenseModel.create(BYTES, 9)) {
            Generation g = Generation.sampling(150, 1.0, 0, 1.0, 33);
            int[] bytes = m.generate(tok.encode("x"), g);
            long multiByteLeads =
                    Arrays.stream(bytes).filter(b -> b >= 0xC2 && b <= 0xF4).count();
            assertTrue(multiByteLeads > 3, "the sample must hold lead bytes (seed 33): " + multiByteLeads);
            List<String> pieces = new ArrayList<>();
            String out = TextGenerator.of(m, tok).stream("x", g, List.of(), pieces::add);
            assertEquals(tok.decode(bytes), out);
            assertEquals(out, String.join("", pieces));
        }
    }

    @Test
    void aTokenizerOtherThanTheModelsIsRefusedByName() {
        try (DenseModel m = DenseModel.create(BYTES, 3)) {
            m.label(new Labels(List.of(), "bpe:some-other", 200));
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> TextGenerator.of(m, new ByteTokenizer()));
            assertTrue(e.getMessage().contains("bpe:some-other"), e.getMessage());
        }
    }

    @Test
    void badStopSequencesAndEmptyPromptsAreRefused() {
        try (DenseModel m = DenseModel.create(BYTES, 3)) {
            TextGenerator gen = TextGenerator.of(m, new ByteTokenizer());
            assertThrows(IllegalArgumentException.class, () -> gen.generate("a", Generation.greedy(2), List.of("")));
            assertThrows(
                    IllegalArgumentException.class,
                    () -> gen.generate("a", Generation.greedy(2), List.of("x".repeat(257))));
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> gen.generate("", Generation.greedy(2)));
            assertTrue(e.getMessage().contains("no tokens"), e.getMessage());
        }
    }
}
