package org.soupofexperts.data.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.soupofexperts.core.DenseModel;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.config.DomainAssigner;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.internal.Djl;
import org.soupofexperts.core.nn.SoupTensor;
import org.soupofexperts.data.corpus.JsonlCorpus;
import org.soupofexperts.data.store.TokenStore;
import org.soupofexperts.data.tokenize.ByteTokenizer;

class EvaluationTest {

    @TempDir
    static Path tmp;

    static TokenStore store;

    @BeforeAll
    static void buildStore() throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            sb.append("{\"text\": \"caf\\u00e9 number ")
                    .append(i)
                    .append(" is open\", \"meta\": {\"pile_set_name\": \"a\"}}\n");
            sb.append("{\"text\": \"plain ascii document ")
                    .append(i)
                    .append("\", \"meta\": {\"pile_set_name\": \"b\"}}\n");
        }
        Path f = tmp.resolve("c.jsonl");
        Files.writeString(f, sb.toString());
        store = TokenStore.openOrBuild(
                tmp.resolve("store"),
                JsonlCorpus.builder().file(f).build(),
                new ByteTokenizer(),
                TokenStore.Options.defaults().withValidation(0.2, 1));
    }

    /** A model whose logits are all zero predicts uniformly: ln(256) nats per byte token, 8 bits per byte. */
    @Test
    void aUniformModelScoresLnVocabNatsAndEightBitsPerByte() {
        try (DenseModel s = DenseModel.create(
                ModelConfig.builder()
                        .vocabSize(256)
                        .layers(1)
                        .dModel(8)
                        .heads(2)
                        .contextLength(16)
                        .build(),
                1)) {
            try (Djl.NoGrad ng = Djl.noGrad()) {
                // Zero token embeddings make the tied output head produce zero logits.
                for (SoupTensor t : s.block().soupTensors()) {
                    if (t.name().equals("wte.weight")) {
                        t.shared().getArray().muli(0);
                    }
                }
            }
            Evaluation.Loss l = Evaluation.onValidation(s::loss, store, 1, 16, 1000);
            assertEquals(Math.log(256), l.natsPerToken(), 1e-5);
            // Domain b is ASCII: one byte per token, so bits per byte = log2(256) = 8.
            assertEquals(8.0, l.bitsPerByte(), 1e-4);
            long expectedTokens = (store.validTokens(1) - 1) / 16 * 16;
            assertEquals(expectedTokens, l.tokens(), "every held-out token predicted once");
            Evaluation.Table t = Evaluation.table(s::loss, store, 16, 1000);
            assertEquals(Math.log(256), t.natural().natsPerToken(), 1e-5);
        }
    }

    @Test
    void specialistDocumentsForHistogramsComeFromTheTrainingSplitOnly() {
        ByteTokenizer tok = new ByteTokenizer();
        List<String> trainDocs = Evaluation.trainingDocuments(store, tok, 0, 1000);
        assertEquals(store.trainDocuments(0), trainDocs.size());
        List<String> validDocs = new ArrayList<>();
        for (int i = 0; i < store.validDocuments(0); i++) {
            validDocs.add(tok.decode(store.document(0, true, i)));
        }
        assertFalse(validDocs.isEmpty());
        for (String v : validDocs) {
            assertFalse(trainDocs.contains(v), "validation document " + v + " leaked into the histogram set");
            assertTrue(v.matches("café number \\d+ is open"), v);
        }
        assertEquals(200, trainDocs.size() + validDocs.size());

        List<List<String>> seen = new ArrayList<>();
        DomainAssigner recording = new DomainAssigner() {
            @Override
            public int numDomains() {
                return 2;
            }

            @Override
            public double[] domainWeights(List<String> documents) {
                seen.add(documents);
                return new double[] {1, 0};
            }
        };
        try (SoupOfExperts soup = SoupOfExperts.builder()
                .model(ModelConfig.builder()
                        .layers(1)
                        .dModel(8)
                        .heads(2)
                        .contextLength(16)
                        .build())
                .domains(2)
                .experts(2)
                .seed(2)
                .build()) {
            Evaluation.Specialized sp = Evaluation.specialized(soup, store, tok, recording, 0, 50, 16, 10);
            assertEquals(1, seen.size());
            assertEquals(50, seen.get(0).size());
            assertEquals(Evaluation.specialistDocuments(store, tok, 0, 50), seen.get(0), "the split's last 50");
            for (String doc : seen.get(0)) {
                assertFalse(validDocs.contains(doc));
            }
            assertTrue(sp.loss().natsPerToken() > 0);
        }
    }

    /**
     * A fake model whose loss of a batch is the mean of its target tokens: the text-level
     * evaluation must read the documents as one stream joined by blank lines (as a token store
     * does), predict every token after the first exactly once, in batches of at most 16 rows, and
     * weight each batch by the tokens it predicts.
     */
    @Test
    void documentsArePredictedOnceEachInBoundedBatches() {
        int context = 8;
        List<String> docs = new ArrayList<>();
        SplittableRandom rng = new SplittableRandom(7);
        for (int d = 0; d < 40; d++) {
            StringBuilder sb = new StringBuilder();
            int len = 1 + rng.nextInt(60);
            for (int i = 0; i < len; i++) {
                sb.append((char) ('a' + rng.nextInt(26)));
            }
            docs.add(sb.toString());
        }
        String stream = String.join("\n\n", docs);
        long expectedTokens = stream.length() - 1;
        double expectedSum = 0;
        for (int i = 1; i < stream.length(); i++) {
            expectedSum += stream.charAt(i);
        }
        List<Integer> batchSizes = new ArrayList<>();
        ToDoubleFunction<TokenBatch> meanTarget = b -> {
            batchSizes.add(b.batchSize());
            double sum = 0;
            for (int r = 0; r < b.batchSize(); r++) {
                for (int t = 1; t < b.length(); t++) {
                    sum += b.tokens()[r * b.length() + t];
                }
            }
            return sum / (b.batchSize() * (b.length() - 1));
        };
        Evaluation.Loss l = Evaluation.onDocuments(meanTarget, new ByteTokenizer(), docs, context);
        assertEquals(expectedTokens, l.tokens());
        assertEquals(expectedSum / expectedTokens, l.natsPerToken(), 1e-9);
        assertEquals(l.natsPerToken() / Math.log(2), l.bitsPerByte(), 1e-9, "ASCII: one byte per token");
        assertTrue(batchSizes.stream().allMatch(n -> n >= 1 && n <= 16), "batch sizes " + batchSizes);
    }

    @Test
    void documentsWithNothingToPredictAreRefused() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> Evaluation.onDocuments(b -> 0, new ByteTokenizer(), List.of("a"), 8));
        assertTrue(e.getMessage().contains("fewer than two tokens"), e.getMessage());
    }

    @Test
    void specialistSetsComeFromTheEndOfTheTrainingSplitAndMissTheCentroidDocuments() {
        ByteTokenizer tok = new ByteTokenizer();
        int n = (int) store.trainDocuments(0);
        List<String> centroidDocs = Evaluation.trainingDocuments(store, tok, 0, n - 10);
        List<String> specialist = Evaluation.specialistDocuments(store, tok, 0, 10);
        assertEquals(10, specialist.size());
        for (String doc : specialist) {
            assertTrue(!centroidDocs.contains(doc), "a specialist document made a centroid: " + doc);
        }
        assertEquals(tok.decode(store.document(0, false, n - 1)), specialist.get(9));
        assertEquals(n, Evaluation.specialistDocuments(store, tok, 0, 10 * n).size(), "at most the whole split");
    }

    @Test
    void fewerWindowsThanTheSplitHoldsAreSpreadEvenlyOverAllOfIt() {
        assertArrayEquals(new long[] {0, 25, 50, 75}, Evaluation.spreadWindows(100, 4));
        assertArrayEquals(new long[] {0, 2, 4, 7, 9}, Evaluation.spreadWindows(12, 5));
        assertArrayEquals(new long[] {0, 1, 2}, Evaluation.spreadWindows(3, 64), "all of them when few");
        assertEquals(0, Evaluation.spreadWindows(0, 8).length);
        // 2 * Long.MAX_VALUE overflows: a plain i * available / n gives a negative window here.
        long[] far = Evaluation.spreadWindows(Long.MAX_VALUE, 3);
        assertArrayEquals(new long[] {0, Long.MAX_VALUE / 3, 2 * (Long.MAX_VALUE / 3)}, far);
        assertThrows(IllegalArgumentException.class, () -> Evaluation.spreadWindows(10, -1));
    }

    @Test
    void aLossOnFewWindowsReadsFromTheWholeSplitNotItsStart() {
        int context = 16;
        long available = Evaluation.validationWindows(store, 0, context);
        assertTrue(available > 40, "the fixture's split must hold many windows: " + available);
        List<String> read = new ArrayList<>();
        Evaluation.onValidation(
                b -> {
                    for (int i = 0; i < b.batchSize(); i++) {
                        read.add(Arrays.toString(b.row(i)));
                    }
                    return 1.0;
                },
                store,
                0,
                context,
                4);
        List<String> expected = new ArrayList<>();
        for (long w : new long[] {0, available / 4, available / 2, 3 * available / 4}) {
            expected.add(Arrays.toString(store.readValid(0, w * context, context + 1)));
        }
        assertEquals(expected, read);
    }
}
