package org.soupofexperts.data.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.soupofexperts.core.Labels;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.Specialist;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.data.embed.HashedNgramEmbedder;
import org.soupofexperts.data.synth.SyntheticCorpus;

/** Algorithm 3 on the synthetic corpus, whose documents have known domains. */
class NearestCentroidAssignerTest {

    private static final int K = 4;
    private static SyntheticCorpus corpus;
    private static NearestCentroidAssigner assigner;

    @BeforeAll
    static void fit() {
        corpus = new SyntheticCorpus(K, 300, 17);
        List<List<String>> perDomain = new ArrayList<>();
        for (int d = 0; d < K; d++) {
            perDomain.add(corpus.documents(d, 0, 100, 120));
        }
        assigner = NearestCentroidAssigner.ofLabelledDocuments(perDomain, 0);
    }

    /** One call gives what the hand-written steps give: IDF on all documents, one mean per domain. */
    @Test
    void ofLabelledDocumentsEqualsTheStepsByHand() {
        List<String> docs = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int d = 0; d < K; d++) {
            for (String s : corpus.documents(d, 0, 100, 120)) {
                docs.add(s);
                labels.add(d);
            }
        }
        HashedNgramEmbedder emb = HashedNgramEmbedder.defaults().fitIdf(docs);
        Centroids byHand = Centroids.ofLabels(
                emb.embed(docs), labels.stream().mapToInt(i -> i).toArray(), K, emb.id());
        assertEquals(emb.id(), assigner.embedder().id());
        for (int d = 0; d < K; d++) {
            assertArrayEquals(byHand.get(d), assigner.centroids().get(d), 1e-6f, "centroid " + d);
        }
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> NearestCentroidAssigner.ofLabelledDocuments(List.of(List.of("some text"), List.of()), 0));
        assertTrue(e.getMessage().contains("domain 1 has no documents"), e.getMessage());
    }

    @Test
    void heldOutDocumentsMapBackToTheirDomains() {
        int correct = 0;
        int total = 0;
        for (int d = 0; d < K; d++) {
            for (int a : assigner.assign(corpus.documents(d, 5000, 100, 120))) {
                correct += a == d ? 1 : 0;
                total++;
            }
        }
        double accuracy = (double) correct / total;
        assertTrue(accuracy > 0.95, "accuracy " + accuracy);
    }

    @Test
    void aSeventyThirtySpecialistSetGivesSeventyThirtyWeights() {
        List<String> docs = new ArrayList<>(corpus.documents(1, 9000, 70, 120));
        docs.addAll(corpus.documents(3, 9000, 30, 120));
        double[] h = assigner.domainWeights(docs);
        assertEquals(0.7, h[1], 0.05);
        assertEquals(0.3, h[3], 0.05);
        assertEquals(1.0, h[0] + h[1] + h[2] + h[3], 1e-12);
        // Empty and blank documents say nothing about a domain: the same h with them added.
        List<String> padded = new ArrayList<>(docs);
        padded.addAll(List.of("", "   \n\t", ""));
        assertArrayEquals(h, assigner.domainWeights(padded), 0.0);
    }

    @Test
    void smoothingSpreadsMassAndEmptySetsAreRejected() {
        HashedNgramEmbedder plain = HashedNgramEmbedder.defaults();
        NearestCentroidAssigner smooth =
                new NearestCentroidAssigner(plain, new Centroids(new float[K][1024], plain.id()), 1.0);
        double[] h = smooth.domainWeights(List.of("one document"));
        for (double v : h) {
            assertTrue(v >= 1.0 / (1 + K) - 1e-12);
        }
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> assigner.domainWeights(List.of()));
        assertTrue(e.getMessage().contains("specialist set is empty"));
        // Once a one-hot h at whichever centroid the empty embedding fell nearest.
        IllegalArgumentException blank =
                assertThrows(IllegalArgumentException.class, () -> assigner.domainWeights(List.of("", " \n")));
        assertTrue(blank.getMessage().contains("all 2 of its documents are empty or blank"), blank.getMessage());
        IllegalArgumentException mismatch = assertThrows(
                IllegalArgumentException.class,
                () -> new NearestCentroidAssigner(plain, new Centroids(new float[K][1024], "other-embedder"), 0));
        assertTrue(mismatch.getMessage().contains("were made with embedder other-embedder"), mismatch.getMessage());
    }

    @Test
    void specializeGoesFromRawTextToTheSpecialistOfItsHistogram() {
        try (SoupOfExperts soup = SoupOfExperts.builder()
                .model(ModelConfig.builder()
                        .vocabSize(256)
                        .layers(1)
                        .dModel(16)
                        .heads(2)
                        .contextLength(8)
                        .build())
                .domains(K)
                .experts(2)
                .seed(3)
                .build()) {
            List<String> docs = corpus.documents(2, 7000, 10, 120);
            try (Specialist s = soup.specialize(docs, assigner)) {
                assertArrayEquals(assigner.domainWeights(docs), s.domainWeights(), 1e-12);
                assertTrue(s.domainWeights()[2] > 0.9);
            }
            assertThrows(IllegalArgumentException.class, () -> soup.specialize(List.of(), assigner));
        }
    }

    @Test
    void centroidsOfAnotherKAttachedToASoupAreRefusedOnRead() {
        List<String> docs = corpus.documents(0, 0, 20, 120);
        HashedNgramEmbedder emb = HashedNgramEmbedder.defaults().fitIdf(docs);
        int[] labels = new int[docs.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = i % 3;
        }
        Centroids three = Centroids.ofLabels(emb.embed(docs), labels, 3, emb.id());
        try (SoupOfExperts soup = SoupOfExperts.builder()
                .model(ModelConfig.builder()
                        .vocabSize(256)
                        .layers(1)
                        .dModel(16)
                        .heads(2)
                        .contextLength(8)
                        .build())
                .domains(K)
                .experts(2)
                .seed(3)
                .build()) {
            IllegalArgumentException early = assertThrows(
                    IllegalArgumentException.class, () -> NearestCentroidAssigner.attachTo(soup, three, emb));
            assertTrue(early.getMessage().contains("3 centroids but the soup has k=4"), early.getMessage());
            // A manifest written elsewhere (or forged) with the wrong k is refused when read.
            JsonObject forged = new JsonObject();
            forged.add("centroids", three.toJsonObject());
            forged.add("embedder", JsonParser.parseString(emb.toJson()));
            soup.attach(NearestCentroidAssigner.ATTACHMENT, forged.toString());
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> NearestCentroidAssigner.fromSoup(soup, 0));
            assertTrue(e.getMessage().contains("3 centroids but the soup has k=4"), e.getMessage());
            // Missing or ill-typed parts are named, not a NullPointerException or ClassCastException.
            JsonObject noEmbedder = new JsonObject();
            noEmbedder.add("centroids", three.toJsonObject());
            soup.attach(NearestCentroidAssigner.ATTACHMENT, noEmbedder.toString());
            e = assertThrows(IllegalArgumentException.class, () -> NearestCentroidAssigner.fromSoup(soup, 0));
            assertTrue(e.getMessage().contains("has no 'embedder' object"), e.getMessage());
            JsonObject stringCentroids = new JsonObject();
            stringCentroids.addProperty("centroids", "many");
            stringCentroids.add("embedder", JsonParser.parseString(emb.toJson()));
            soup.attach(NearestCentroidAssigner.ATTACHMENT, stringCentroids.toString());
            e = assertThrows(IllegalArgumentException.class, () -> NearestCentroidAssigner.fromSoup(soup, 0));
            assertTrue(e.getMessage().contains("has no 'centroids' object"), e.getMessage());
            // Inside a centroids object: no array, or a number where a row should be.
            JsonObject badRows = new JsonObject();
            JsonObject rows = three.toJsonObject();
            rows.remove("centroids");
            badRows.add("centroids", rows);
            badRows.add("embedder", JsonParser.parseString(emb.toJson()));
            soup.attach(NearestCentroidAssigner.ATTACHMENT, badRows.toString());
            e = assertThrows(IllegalArgumentException.class, () -> NearestCentroidAssigner.fromSoup(soup, 0));
            assertTrue(e.getMessage().contains("attachment"), e.getMessage());
            // A forged embedder: n-grams of 2^31 - 1 characters (hours per document), IDF past float's range.
            JsonObject embedder = JsonParser.parseString(emb.toJson()).getAsJsonObject();
            embedder.addProperty("maxN", Integer.MAX_VALUE);
            IllegalArgumentException slow = assertThrows(
                    IllegalArgumentException.class, () -> HashedNgramEmbedder.fromJson(embedder.toString()));
            assertTrue(slow.getMessage().contains("minN <= maxN <= 32"), slow.getMessage());
            embedder.addProperty("maxN", 5);
            embedder.addProperty("dimension", 1e12);
            IllegalArgumentException wide = assertThrows(
                    IllegalArgumentException.class, () -> HashedNgramEmbedder.fromJson(embedder.toString()));
            assertTrue(wide.getMessage().contains("'dimension' must be a whole number"), wide.getMessage());
            JsonObject idf = JsonParser.parseString(
                            new HashedNgramEmbedder(4, 2, 3, 100).fitIdf(docs).toJson())
                    .getAsJsonObject();
            idf.getAsJsonArray("idf").set(2, new JsonPrimitive(1e39));
            IllegalArgumentException inf =
                    assertThrows(IllegalArgumentException.class, () -> HashedNgramEmbedder.fromJson(idf.toString()));
            assertTrue(inf.getMessage().contains("IDF weight 2 must be positive and finite"), inf.getMessage());
        }
    }

    @Test
    void namedCentroidsRoundTripAndASoupRefusesThemInAnotherOrder() {
        List<List<String>> perDomain = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int d = 0; d < K; d++) {
            perDomain.add(corpus.documents(d, 0, 10, 120));
            names.add("d" + d);
        }
        NearestCentroidAssigner named =
                NearestCentroidAssigner.ofLabelledDocuments(perDomain, 0).withDomainNames(names);
        assertEquals(names, named.domainNames());
        assertEquals(names, Centroids.fromJson(named.centroids().toJson()).names());
        List<String> reversed = new ArrayList<>(names);
        Collections.reverse(reversed);
        try (SoupOfExperts soup = SoupOfExperts.builder()
                .model(ModelConfig.builder()
                        .vocabSize(256)
                        .layers(1)
                        .dModel(16)
                        .heads(2)
                        .contextLength(8)
                        .build())
                .domains(K)
                .experts(2)
                .seed(3)
                .build()) {
            soup.label(Labels.ofDomains(names));
            List<String> docs = corpus.documents(1, 500, 3, 120);
            try (Specialist s = soup.specialize(docs, named)) {
                assertEquals(K, s.domainWeights().length);
            }
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class,
                    () -> soup.specialize(
                            docs,
                            NearestCentroidAssigner.ofLabelledDocuments(perDomain, 0)
                                    .withDomainNames(reversed)));
            assertTrue(e.getMessage().contains("not the soup's domains"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> named.withDomainNames(List.of("a", "a", "b", "c")));
    }
}
