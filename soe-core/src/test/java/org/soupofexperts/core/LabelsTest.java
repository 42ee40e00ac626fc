package org.soupofexperts.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.soupofexperts.core.io.SoupFormatException;
import org.soupofexperts.core.io.internal.ArtifactDirectory;

/** Domain names and the tokenizer travel with a soup, its saves and its specialists. */
class LabelsTest {

    @TempDir
    Path tmp;

    @Test
    void namesGiveWeightsAndPrintBesideThem() {
        Labels l = Labels.ofDomains(List.of("python", "c", "law"));
        assertArrayEquals(new double[] {0.7, 0.3, 0}, l.weights(Map.of("python", 0.7, "c", 0.3)), 1e-12);
        assertEquals("python=0.7000,c=0.3000,law=0.0000", l.format(new double[] {0.7, 0.3, 0}));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> l.weights(Map.of("rust", 1.0)));
        assertTrue(
                e.getMessage().contains("unknown domain 'rust'")
                        && e.getMessage().contains("python"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> l.weights(Map.of("python", 0.5)), "weights must sum to 1");
        assertThrows(IllegalArgumentException.class, () -> Labels.ofDomains(List.of("a", "a")));
        assertThrows(IllegalArgumentException.class, () -> Labels.NONE.weights(Map.of("a", 1.0)));
        assertEquals("0.5000,0.5000", Labels.NONE.format(new double[] {0.5, 0.5}));
    }

    @Test
    void labelsSurviveSaveAndLoadOfTheSoupAndReachItsSpecialists() throws Exception {
        Labels labels = Labels.ofDomains(List.of("even", "odd")).withTokenizer("bytes-utf8", 16);
        try (SoupOfExperts soup = SoupOfExperts.builder()
                .model(ToyDomains.tinyModel())
                .domains(2)
                .experts(2)
                .seed(1)
                .build()) {
            assertThrows(
                    IllegalArgumentException.class,
                    () -> soup.label(Labels.ofDomains(List.of("a", "b", "c"))),
                    "three names for two domains");
            assertThrows(
                    IllegalArgumentException.class,
                    () -> soup.label(Labels.NONE.withTokenizer("big", 50_000)),
                    "a tokenizer larger than the model's vocabulary");
            soup.label(labels);
            soup.save(tmp.resolve("soup"));
        }
        try (SoupOfExperts back = SoupOfExperts.load(tmp.resolve("soup"))) {
            assertEquals(labels, back.labels());
            try (Specialist s = back.instantiate(back.labels().weights(Map.of("odd", 1.0)))) {
                assertEquals(labels, s.labels());
                assertArrayEquals(new double[] {0, 1}, s.domainWeights(), 0);
                s.save(tmp.resolve("spec"));
            }
        }
        try (Specialist again = Specialist.load(tmp.resolve("spec"))) {
            assertEquals(labels, again.labels());
        }
    }

    @Test
    void forgedLabelsAreRefusedOnLoad() throws Exception {
        try (SoupOfExperts soup = SoupOfExperts.builder()
                .model(ToyDomains.tinyModel())
                .domains(2)
                .experts(2)
                .seed(1)
                .build()) {
            soup.label(Labels.ofDomains(List.of("even", "odd")));
            soup.save(tmp.resolve("soup"));
        }
        Path manifest = tmp.resolve("soup").resolve(ArtifactDirectory.MANIFEST);
        SaveLoadTest.forge(
                manifest,
                m -> m.getAsJsonObject("labels").getAsJsonArray("domains").add("third"));
        SoupFormatException e = assertThrows(SoupFormatException.class, () -> SoupOfExperts.load(tmp.resolve("soup")));
        assertTrue(e.getMessage().contains("3 domain names for k = 2"), e.getMessage());
        SaveLoadTest.forge(manifest, m -> {
            JsonArray same = new JsonArray();
            same.add("x");
            same.add("x");
            m.getAsJsonObject("labels").add("domains", same);
        });
        e = assertThrows(SoupFormatException.class, () -> SoupOfExperts.load(tmp.resolve("soup")));
        assertTrue(e.getMessage().contains("appears twice"), e.getMessage());
    }
}
