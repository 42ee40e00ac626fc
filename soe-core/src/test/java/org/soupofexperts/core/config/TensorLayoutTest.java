package org.soupofexperts.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.soupofexperts.core.nn.GptModel;
import org.soupofexperts.core.nn.SoupTensor;

/** The layout is the model's one list of tensors: names, shapes, init and counts agree with it. */
class TensorLayoutTest {

    private static ModelConfig gpt2Small() {
        return ModelConfig.builder()
                .vocabSize(50257)
                .layers(12)
                .dModel(768)
                .heads(12)
                .contextLength(1024)
                .build();
    }

    @Test
    void gpt2SmallHasItsPublishedParameterCount() {
        // GPT-2 small with the head tied to the token embedding: 124,439,808 parameters.
        assertEquals(124_439_808L, TensorLayout.of(gpt2Small()).parameterCount());
        assertEquals(124_439_808L, gpt2Small().parameterCount());
    }

    @Test
    void builtModelDeclaresExactlyTheLayoutsTensorsInItsOrder() {
        ModelConfig c = ModelConfig.builder()
                .vocabSize(64)
                .layers(2)
                .dModel(16)
                .heads(2)
                .contextLength(8)
                .build();
        ExpertRanks ranks = ExpertRanks.uniform(2);
        List<TensorSpec> specs = TensorLayout.of(c).specs();
        List<SoupTensor> built = new GptModel(c, 3, ranks).soupTensors();
        assertEquals(specs.size(), built.size());
        long bank = 0;
        for (int i = 0; i < specs.size(); i++) {
            TensorSpec s = specs.get(i);
            SoupTensor t = built.get(i);
            assertEquals(s.name(), t.name());
            assertEquals(s.shape(), t.shape());
            assertEquals(s.init(), t.init());
            assertEquals(s.decayed(), t.decayed());
            bank += t.bankValues();
        }
        assertEquals(bank, TensorLayout.of(c).bankValues(3, ranks));
    }

    @Test
    void residualProjectionsStartSmaller() {
        TensorLayout l = TensorLayout.of(
                ModelConfig.builder().layers(8).dModel(32).heads(2).build());
        assertEquals(0.02, l.spec("h0.attn.qkv.weight").init().std(), 0);
        assertEquals(0.02 / Math.sqrt(16), l.spec("h3.mlp.proj.weight").init().std(), 1e-15);
        assertEquals(TensorSpec.Init.ones(), l.spec("ln_f.gain").init());
        assertFalse(l.spec("h0.ln_1.bias").decayed());
        assertTrue(l.spec("wte.weight").decayed());
    }

    @Test
    void lowRankBankValuesAreRTimesRowsPlusCols() {
        // vocab 32, d 8, context 4, 1 layer, no bias; rank 3 where it is smaller than dense.
        ModelConfig c = ModelConfig.builder()
                .vocabSize(32)
                .layers(1)
                .dModel(8)
                .heads(1)
                .contextLength(4)
                .bias(false)
                .build();
        TensorLayout l = TensorLayout.of(c);
        int n = 3;
        ExpertRanks ranks = ExpertRanks.uniform(3);
        long expected = 0;
        for (TensorSpec t : l.specs()) {
            long rows = t.shape().get(0);
            long cols = t.isMatrix() ? t.shape().get(1) : 1;
            boolean lowRank = t.isMatrix() && 3 * (rows + cols) < rows * cols;
            expected += lowRank ? n * 3 * (rows + cols) : n * rows * cols;
        }
        assertEquals(expected, l.bankValues(n, ranks));
        // wpe (4 x 8): 3 (4 + 8) = 36 is not below 32, so its experts stay dense; wte (32 x 8) is low-rank.
        assertEquals(0, TensorLayout.rankOf(l.spec("wpe.weight"), n, ranks));
        assertEquals(3, TensorLayout.rankOf(l.spec("wte.weight"), n, ranks));
        assertEquals(0, TensorLayout.rankOf(l.spec("wte.weight"), 0, ranks));
    }

    @Test
    void unknownTensorNameIsRefusedWithTheNamingScheme() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> TensorLayout.of(ModelConfig.builder().build()).spec("h0.mlp.c_fc.weight"));
        assertTrue(
                e.getMessage().contains("h0.mlp.c_fc.weight") && e.getMessage().contains("h0.attn.qkv.weight"));
    }
}
