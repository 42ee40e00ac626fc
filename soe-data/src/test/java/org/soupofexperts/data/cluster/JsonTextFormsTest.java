package org.soupofexperts.data.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.soupofexperts.data.embed.HashedNgramEmbedder;

/** Centroids and the hashed embedder travel as JSON text (no Gson type in the API) and come back whole. */
class JsonTextFormsTest {

    @Test
    void centroidsComeBackFromTheirTextWithValuesNamesAndEmbedder() {
        Centroids c = new Centroids(new float[][] {{1f, -2.5f}, {0.125f, 3f}}, "emb-1").withNames(List.of("a", "b"));
        Centroids back = Centroids.fromJson(c.toJson());
        assertEquals(2, back.k());
        assertArrayEquals(new float[] {1f, -2.5f}, back.get(0));
        assertArrayEquals(new float[] {0.125f, 3f}, back.get(1));
        assertEquals(List.of("a", "b"), back.names());
        assertEquals("emb-1", back.embedderId());
    }

    @Test
    void aHashedEmbedderComesBackFromItsTextAndEmbedsAlike() {
        HashedNgramEmbedder e =
                new HashedNgramEmbedder(64, 2, 3, 100).fitIdf(List.of("the cat sat", "a dog ran", "the dog sat down"));
        HashedNgramEmbedder back = HashedNgramEmbedder.fromJson(e.toJson());
        assertEquals(e.id(), back.id());
        assertArrayEquals(e.embed(List.of("the cat ran"))[0], back.embed(List.of("the cat ran"))[0]);
    }

    @Test
    void textThatIsNotTheirObjectIsRefusedNamingWhatItIs() {
        IllegalArgumentException notObject =
                assertThrows(IllegalArgumentException.class, () -> Centroids.fromJson("[1, 2]"));
        assertTrue(notObject.getMessage().contains("centroids"), notObject.getMessage());
        IllegalArgumentException broken =
                assertThrows(IllegalArgumentException.class, () -> HashedNgramEmbedder.fromJson("{\"dimension\": "));
        assertTrue(broken.getMessage().contains("hashed n-gram embedder"), broken.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Centroids.fromJson("{\"format\": \"other\"}"));
    }

    @Test
    void wellFormedJsonOfTheWrongShapeIsRefusedAsAnArgumentNotACrash() {
        assertThrows(IllegalArgumentException.class, () -> HashedNgramEmbedder.fromJson("{}"));
        assertThrows(IllegalArgumentException.class, () -> HashedNgramEmbedder.fromJson("{\"dimension\": \"wide\"}"));
        assertThrows(
                IllegalArgumentException.class,
                () -> Centroids.fromJson("{\"format\": \"soupofexperts-centroids/1\", \"embedder\": \"e\"}"));
        assertThrows(
                IllegalArgumentException.class,
                () -> Centroids.fromJson(
                        "{\"format\": \"soupofexperts-centroids/1\", \"embedder\": \"e\", \"centroids\": 3}"));
    }
}
