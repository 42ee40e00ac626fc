package org.soupofexperts.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ModelConfigTest {

    private static final ModelConfig EIGHT = ModelConfig.builder()
            .vocabSize(8)
            .layers(1)
            .dModel(16)
            .heads(2)
            .contextLength(4)
            .build();

    @Test
    void tokenIdsOutsideTheVocabularyAreRefusedNamingTheFirstAndWhoseTheyAre() {
        EIGHT.checkTokenIds(new int[] {0, 7, 3}, "prompt");
        IllegalArgumentException high =
                assertThrows(IllegalArgumentException.class, () -> EIGHT.checkTokenIds(new int[] {1, 8, -1}, "prompt"));
        assertEquals("prompt token id 8 is outside the vocabulary [0, 8)", high.getMessage());
        IllegalArgumentException low =
                assertThrows(IllegalArgumentException.class, () -> EIGHT.checkTokenIds(new int[] {-1}, "probe"));
        assertEquals("probe token id -1 is outside the vocabulary [0, 8)", low.getMessage());
    }

    @Test
    void theDefaultHeadsAreOnePer32DimensionsAndAtLeastOne() {
        assertEquals(1, ModelConfig.defaultHeads(16));
        assertEquals(1, ModelConfig.defaultHeads(32));
        assertEquals(4, ModelConfig.defaultHeads(128));
        assertEquals(12, ModelConfig.defaultHeads(384));
    }
}
