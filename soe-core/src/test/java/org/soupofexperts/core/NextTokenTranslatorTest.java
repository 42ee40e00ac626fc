package org.soupofexperts.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.TranslateException;
import org.junit.jupiter.api.Test;
import org.soupofexperts.core.config.ExpertInit;
import org.soupofexperts.core.djl.NextTokenTranslator;
import org.soupofexperts.core.internal.Djl;

/** A specialist behind DJL's Predictor API gives the same next-token logits as its own call. */
class NextTokenTranslatorTest {

    @Test
    void thePredictorGivesTheSpecialistsOwnNextTokenLogits() throws Exception {
        int[] tokens = {3, 1, 4, 1, 5, 9, 2, 6};
        try (SoupOfExperts soup = SoupOfExperts.builder()
                        .model(ToyDomains.tinyModel())
                        .domains(2)
                        .experts(2)
                        .expertInit(ExpertInit.SCALED_NOISE)
                        .seed(2)
                        .build();
                Specialist s = soup.instantiate(new double[] {0.4, 0.6});
                NDManager m = Djl.engine().newBaseManager()) {
            NDArray own = s.logits(m.create(tokens, new Shape(1, tokens.length)));
            float[] expected = own.get(new NDIndex("0, -1")).toFloatArray();
            try (Model model = s.newModel();
                    Predictor<int[], float[]> p = model.newPredictor(new NextTokenTranslator(s.config()))) {
                float[] got = p.predict(tokens);
                assertEquals(ToyDomains.VOCAB, got.length);
                assertArrayEquals(expected, got, 1e-6f);
                assertThrows(TranslateException.class, () -> p.predict(new int[] {99}));
            }
            assertArrayEquals(
                    expected,
                    s.logits(m.create(tokens, new Shape(1, tokens.length)))
                            .get(new NDIndex("0, -1"))
                            .toFloatArray(),
                    0f,
                    "closing the DJL model must leave the specialist usable");
        }
    }
}
