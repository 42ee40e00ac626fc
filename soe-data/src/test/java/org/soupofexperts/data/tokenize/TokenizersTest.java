package org.soupofexperts.data.tokenize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.soupofexperts.core.Labels;

class TokenizersTest {

    @Test
    void bytesAndArtefactsWithoutATokenizerReadBytes() throws Exception {
        assertInstanceOf(ByteTokenizer.class, Tokenizers.named("bytes"));
        assertInstanceOf(ByteTokenizer.class, Tokenizers.recorded(Labels.NONE));
        Labels bytes = Tokenizers.labels(List.of("a", "b"), new ByteTokenizer());
        assertEquals("bytes-utf8", bytes.tokenizer());
        assertInstanceOf(ByteTokenizer.class, Tokenizers.recorded(bytes));
    }

    @Test
    void aTokenizerTheLabelsDoNotCarryIsRefusedByName() {
        Labels sentencePiece = Labels.ofDomains(List.of("a")).withTokenizer("spm:1234", 32000);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Tokenizers.recorded(sentencePiece));
        assertTrue(e.getMessage().contains("spm:1234"), e.getMessage());
        Labels hfWithoutFile = Labels.ofDomains(List.of("a")).withTokenizer("hf:0123456789abcdef", 10);
        assertThrows(IllegalArgumentException.class, () -> Tokenizers.recorded(hfWithoutFile));
        assertThrows(IllegalArgumentException.class, () -> Tokenizers.named(" "));
    }
}
