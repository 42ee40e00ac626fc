package org.soupofexperts.data.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.data.corpus.JsonlCorpus;
import org.soupofexperts.data.embed.HashedNgramEmbedder;
import org.soupofexperts.data.store.TokenStore;
import org.soupofexperts.data.synth.SyntheticCorpus;
import org.soupofexperts.data.tokenize.ByteTokenizer;

/** An unlabelled corpus gets its domains from clustering, then a token store and an assigner saved with the soup. */
class UnlabelledCorpusTest {

    @TempDir
    Path tmp;

    @Test
    void clustersBecomeDomainsOfTheTokenStoreAndTravelWithTheSoup() throws Exception {
        SyntheticCorpus synth = new SyntheticCorpus(3, 200, 8);
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < 60; i++) {
            for (int d = 0; d < 3; d++) {
                JsonObject o = new JsonObject();
                o.addProperty("text", synth.document(d, i, 100));
                jsonl.append(o).append('\n');
            }
        }
        Path file = tmp.resolve("unlabelled.jsonl");
        Files.writeString(file, jsonl.toString());
        JsonlCorpus corpus = JsonlCorpus.builder().file(file).unlabelled().build();
        HashedNgramEmbedder emb = HashedNgramEmbedder.defaults();
        Centroids c = ClusterDomains.fit(corpus, emb, 3, 1000, 5);
        TokenStore store = TokenStore.openOrBuild(
                tmp.resolve("store"), corpus, new ByteTokenizer(), ClusterDomains.storeOptions(emb, c, 0.0, 1));
        assertEquals(ClusterDomains.domainNames(3), store.domains().names(), "store domain i is centroid i");
        long docs = 0;
        for (int d = 0; d < 3; d++) {
            docs += store.trainDocuments(d);
            assertEquals(60, store.trainDocuments(d), "each planted domain should form one cluster");
        }
        assertEquals(180, docs);

        // The assigner travels in the soup's manifest.
        NearestCentroidAssigner assigner = new NearestCentroidAssigner(emb, c, 0);
        List<String> specialist = new ArrayList<>(synth.documents(1, 500, 8, 100));
        specialist.addAll(synth.documents(2, 500, 2, 100));
        try (SoupOfExperts soup = SoupOfExperts.builder()
                .model(ModelConfig.builder()
                        .layers(1)
                        .dModel(16)
                        .heads(2)
                        .contextLength(8)
                        .build())
                .domains(3)
                .experts(2)
                .seed(1)
                .build()) {
            NearestCentroidAssigner.attachTo(soup, c, emb);
            soup.save(tmp.resolve("soup"));
            try (SoupOfExperts back = SoupOfExperts.load(tmp.resolve("soup"))) {
                double[] h = NearestCentroidAssigner.fromSoup(back, 0).domainWeights(specialist);
                assertArrayEquals(assigner.domainWeights(specialist), h, 1e-12);
                double max = 0;
                for (double v : h) {
                    max = Math.max(max, v);
                }
                assertEquals(0.8, max, 1e-12);
            }
        }
        // Streaming form over a corpus gives the same histogram as the list form.
        Path specFile = tmp.resolve("specialist.jsonl");
        StringBuilder sb = new StringBuilder();
        for (String s : specialist) {
            JsonObject o = new JsonObject();
            o.addProperty("text", s);
            sb.append(o).append('\n');
        }
        Files.writeString(specFile, sb.toString());
        assertArrayEquals(
                assigner.domainWeights(specialist),
                assigner.domainWeights(
                        JsonlCorpus.builder().file(specFile).unlabelled().build()),
                1e-12);
        assertTrue(Files.notExists(tmp.resolve("store.tmp")));
    }
}
