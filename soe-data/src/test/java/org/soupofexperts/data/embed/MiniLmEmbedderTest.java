package org.soupofexperts.data.embed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.data.cluster.Centroids;
import org.soupofexperts.data.cluster.NearestCentroidAssigner;

/** The shipped MiniLM model, run offline: meaning, not spelling, decides what is near. */
class MiniLmEmbedderTest {

    private static MiniLmEmbedder embedder;

    @BeforeAll
    static void load() {
        embedder = new MiniLmEmbedder();
    }

    private static double cos(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }

    @Test
    void paraphrasesAreNearerThanUnrelatedTextsThatShareMoreLetters() {
        float[][] e = embedder.embed(
                List.of("The cat sat on the mat.", "A kitten was resting on the rug.", "The cab sat on the map."));
        assertEquals(3, e.length);
        for (float[] row : e) {
            assertEquals(384, row.length);
            assertEquals(1.0, cos(row, row), 1e-4, "rows are L2-normalised");
        }
        assertTrue(
                cos(e[0], e[1]) > cos(e[0], e[2]) + 0.1,
                "paraphrase " + cos(e[0], e[1]) + " vs look-alike " + cos(e[0], e[2]));
    }

    @Test
    void heldOutTextsFindTheirTopicsCentroid() {
        List<String> code = List.of(
                "def parse(path):\n    with open(path) as f:\n        return json.load(f)",
                "for (int i = 0; i < n; i++) { sum += a[i]; }",
                "import os\nprint(os.listdir('.'))");
        List<String> cooking = List.of(
                "Whisk the eggs with sugar until pale, then fold in the flour.",
                "Simmer the onions in butter for ten minutes before adding the stock.",
                "Bake the bread at 220 degrees until the crust is golden.");
        float[][] train =
                embedder.embed(Stream.concat(code.stream(), cooking.stream()).toList());
        Centroids c = Centroids.ofLabels(train, new int[] {0, 0, 0, 1, 1, 1}, 2, embedder.id());
        NearestCentroidAssigner a = new NearestCentroidAssigner(embedder, c, 0);
        int[] got =
                a.assign(List.of("while (x > 0) { x = x / 2; }", "Season the soup with salt and a pinch of pepper."));
        assertEquals(0, got[0]);
        assertEquals(1, got[1]);
    }

    @Test
    void aTextLongerThanTheModelsWindowIsEmbeddedAndABlankOneIsRefused() {
        String longText = "The quick brown fox jumps over the lazy dog. ".repeat(300);
        float[][] e = embedder.embed(List.of(longText));
        assertEquals(1.0, cos(e[0], e[0]), 1e-4);
        IllegalArgumentException blank =
                assertThrows(IllegalArgumentException.class, () -> embedder.embed(List.of("ok", "  ")));
        assertTrue(blank.getMessage().contains("text 1 is blank"), blank.getMessage());
        assertTrue(embedder.id().contains("all-minilm-l6-v2"));
        MiniLmEmbedder opening = new MiniLmEmbedder(44);
        float[][] cut = opening.embed(List.of(longText, "The quick brown fox jumps over the lazy dog."));
        assertEquals(1.0, cos(cut[0], cut[1]), 1e-5, "only the first 44 characters count");
        assertTrue(opening.id().contains("first 44 chars"), opening.id());
        assertThrows(IllegalArgumentException.class, () -> new MiniLmEmbedder(-1));
    }

    /** A MiniLM assigner attached to a soup comes back from the saved soup with the same histograms. */
    @Test
    void aMiniLmAssignerTravelsWithASavedSoup(@TempDir Path tmp) throws Exception {
        MiniLmEmbedder opening = new MiniLmEmbedder(200, 1);
        assertEquals(200, opening.maxCharacters());
        assertEquals(1, opening.threads());
        List<String> code = List.of("for (int i = 0; i < n; i++) { sum += a[i]; }", "def f(x):\n    return x * 2");
        List<String> cooking = List.of("Whisk the eggs with sugar.", "Bake the bread until golden.");
        Centroids c = Centroids.ofDomains(opening, List.of(code, cooking));
        NearestCentroidAssigner a = new NearestCentroidAssigner(opening, c, 0);
        List<String> specialist = List.of("while (x > 0) { x = x / 2; }", "Season the soup with salt.", "x = y + 1;");
        try (SoupOfExperts soup = SoupOfExperts.builder()
                .model(ModelConfig.builder()
                        .vocabSize(256)
                        .layers(1)
                        .dModel(16)
                        .heads(2)
                        .contextLength(8)
                        .build())
                .domains(2)
                .experts(2)
                .seed(3)
                .build()) {
            a.attachTo(soup);
            soup.save(tmp.resolve("soup"));
        }
        try (SoupOfExperts back = SoupOfExperts.load(tmp.resolve("soup"))) {
            NearestCentroidAssigner again = NearestCentroidAssigner.fromSoup(back, 0);
            assertEquals(opening.id(), again.embedder().id());
            assertArrayEquals(a.domainWeights(specialist), again.domainWeights(specialist), 1e-12);
        }
        assertThrows(IllegalArgumentException.class, () -> new MiniLmEmbedder(10, -1));
    }
}
