package org.soupofexperts.data.finetune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.soupofexperts.core.DenseModel;
import org.soupofexperts.core.Labels;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.train.TrainingReport;
import org.soupofexperts.data.eval.Evaluation;
import org.soupofexperts.data.synth.SyntheticCorpus;
import org.soupofexperts.data.tokenize.ByteTokenizer;

class FineTuningTest {

    private static final ByteTokenizer BYTES = new ByteTokenizer();

    @Test
    void theLastTenthOfTheDocumentsIsHeldOutUnlessValidationIsGiven() {
        List<String> docs = new SyntheticCorpus(2, 200, 3).documents(0, 0, 20, 30);
        FineTuning ft =
                FineTuning.builder().tokenizer(BYTES).documents(docs).seed(1).build();
        assertEquals(docs.subList(0, 18), ft.documents());
        assertEquals(docs.subList(18, 20), ft.validation());
        FineTuning few = FineTuning.builder()
                .tokenizer(BYTES)
                .documents(docs.subList(0, 5))
                .seed(1)
                .build();
        assertEquals(1, few.validation().size(), "at least one document is held out");
        FineTuning given = FineTuning.builder()
                .tokenizer(BYTES)
                .documents(docs)
                .validation(docs.subList(0, 1))
                .seed(1)
                .build();
        assertEquals(docs, given.documents(), "with validation given, every document trains");
    }

    @Test
    void badSettingsAreRefusedWithWhatToFix() {
        List<String> one = List.of("a single document");
        assertTrue(assertThrows(
                        IllegalArgumentException.class,
                        () -> FineTuning.builder()
                                .tokenizer(BYTES)
                                .documents(one)
                                .seed(1)
                                .build())
                .getMessage()
                .contains("give validation documents"));
        assertTrue(assertThrows(
                        IllegalArgumentException.class,
                        () -> FineTuning.builder()
                                .tokenizer(BYTES)
                                .documents(List.of("a", "b"))
                                .build())
                .getMessage()
                .contains("needs a seed"));
        assertTrue(assertThrows(
                        IllegalArgumentException.class,
                        () -> FineTuning.builder()
                                .tokenizer(BYTES)
                                .documents(List.of())
                                .seed(1)
                                .build())
                .getMessage()
                .contains("at least one training document"));
        assertTrue(assertThrows(
                        IllegalArgumentException.class,
                        () -> FineTuning.builder()
                                .tokenizer(BYTES)
                                .documents(List.of("a", "b"))
                                .steps(0)
                                .seed(1)
                                .build())
                .getMessage()
                .contains("steps >= 1"));
    }

    @Test
    void fineTuningOnADomainLowersItsHeldOutLossAndRefusesAnotherTokenizer() {
        SyntheticCorpus synth = new SyntheticCorpus(2, 200, 3);
        List<String> docs = synth.documents(1, 0, 30, 120);
        ModelConfig cfg = ModelConfig.builder()
                .vocabSize(BYTES.vocabSize())
                .layers(1)
                .dModel(32)
                .heads(1)
                .contextLength(32)
                .build();
        try (DenseModel s = DenseModel.create(cfg, 5)) {
            FineTuning ft = FineTuning.builder()
                    .tokenizer(BYTES)
                    .documents(docs)
                    .steps(60)
                    .learningRate(3e-3)
                    .every(10)
                    .seed(2)
                    .build();
            double before =
                    Evaluation.onDocuments(s::loss, BYTES, ft.validation(), 32).natsPerToken();
            TrainingReport r = ft.run(s);
            double after =
                    Evaluation.onDocuments(s::loss, BYTES, ft.validation(), 32).natsPerToken();
            assertTrue(
                    after < before - 0.5,
                    "60 steps on the domain must lower its held-out loss: " + before + " -> " + after);
            assertFalse(r.validation().isEmpty(), "early stopping measured the held-out documents");
            assertEquals(
                    r.bestValidationLoss(),
                    after,
                    0.05,
                    "the best weights are restored; the curve scores the same windows");

            s.label(Labels.NONE.withTokenizer("hf:other", 100));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> ft.run(s))
                    .getMessage()
                    .contains("trained with tokenizer hf:other"));
        }
    }
}
