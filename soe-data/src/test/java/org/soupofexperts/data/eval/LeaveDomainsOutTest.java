package org.soupofexperts.data.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.soupofexperts.core.DenseModel;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.data.corpus.Corpus;
import org.soupofexperts.data.corpus.Document;
import org.soupofexperts.data.embed.Embedder;
import org.soupofexperts.data.sample.HistogramStats;
import org.soupofexperts.data.sample.MetaDistributions;
import org.soupofexperts.data.store.TokenStore;
import org.soupofexperts.data.tokenize.ByteTokenizer;

/**
 * The unseen-domain protocol on a toy corpus where the held-out domain is, by construction, a
 * mixture of two training domains: each domain draws its letters independently from its own
 * Zipf ranking of 16 letters, and domain "ab" is half documents of a's kind, half of b's. A soup
 * that trained on a, b, c and d (never on "ab") must give "ab" a specialist, by its histogram,
 * that beats the generic model trained on the same four. The context is short (8 tokens) because
 * a model infers a document's kind from its context: the Bayes-optimal predictors, given the
 * prior over kinds of each (a and b evenly, or all four), differ by 0.065 bits per byte at this
 * context and by 0.016 at 32 tokens.
 */
class LeaveDomainsOutTest {

    private static final long SEED = 20261206;
    private static final String LETTERS = "etaoinshrdlucmfw";

    @TempDir
    static Path tmp;

    static TokenStore store;

    @BeforeAll
    static void buildStore() throws Exception {
        store = TokenStore.openOrBuild(
                tmp.resolve("store"),
                toyCorpus(),
                new ByteTokenizer(),
                TokenStore.Options.defaults().withValidation(0.2, 1));
    }

    @Test
    void aHeldOutMixtureOfTwoTrainingDomainsGetsASpecialistThatBeatsTheGenericModel() {
        ModelConfig model = ModelConfig.builder()
                .vocabSize(256)
                .layers(1)
                .dModel(32)
                .heads(2)
                .contextLength(8)
                .build();
        LeaveDomainsOut protocol = LeaveDomainsOut.builder()
                .store(store, new ByteTokenizer())
                .folds(List.of(List.of("ab")))
                .soup(k -> SoupOfExperts.builder()
                        .model(model)
                        .domains(k)
                        .experts(4)
                        .seed(SEED)
                        .build())
                .generic(seed -> DenseModel.create(model, seed))
                .metaDistribution(sizes -> MetaDistributions.mixture(
                        MetaDistributions.natural(sizes), MetaDistributions.sparseRange(sizes.length, 1, 2, 1.0), 0.25))
                .domains(DomainSplit.labels(20))
                .schedule(new LeaveDomainsOut.Schedule(300, 16, 8, 5e-3, List.of(5e-3, 1e-2), 1e-3))
                .specialistDocuments(5, 10)
                .fineTuneSteps(20)
                .evalWindows(32)
                .alphaFit(30)
                .layerFit(5)
                .equalTime(true)
                .probeEvery(100)
                .seed(SEED)
                .build();
        List<UnseenDomains.FoldResult> results = protocol.run();
        assertEquals(1, results.size());
        UnseenDomains.Fold fold = results.get(0).fold();
        assertEquals(List.of("ab"), fold.heldOut());
        assertEquals(List.of("a", "b", "c", "d"), fold.trainingDomains());
        assertTrue(fold.stepCostRatio() > 0 && fold.equalTimeSteps() > 0, fold.toString());
        UnseenDomains.Domain ab = results.get(0).domains().get(0);
        String why = ab + " (seed " + SEED + ")";
        assertTrue(ab.h()[0] + ab.h()[1] > 0.9, "the histogram of 'ab' lies on a and b: " + Arrays.toString(ab.h()));
        assertTrue(ab.stats().effectiveSupport() > 1.5, why);
        assertTrue(ab.soupHistogramLargestN() < ab.generic() - 0.02, "specialist beats generic: " + why);
        assertTrue(ab.hGain() > 0.02, "h helps: " + why);
        // h fitted to the documents' own tokens stays on a and b and keeps the specialist's edge.
        assertTrue(
                ab.hFitted()[0] + ab.hFitted()[1] > 0.8,
                "the fitted h of 'ab' lies on a and b: " + Arrays.toString(ab.hFitted()));
        assertTrue(ab.soupFitted() < ab.generic() - 0.02, "the fitted specialist beats generic: " + why);
        // alpha tuned after h: one coefficient per expert, scored on the validation split, still ahead.
        assertEquals(4, ab.alphaFitted().length, why);
        assertTrue(ab.soupAlphaFitted() < ab.generic() - 0.02, "the tuned specialist beats generic: " + why);
        // a layer-wise alpha after it: one row per layer group (the embeddings, 1 layer, the final norm).
        assertEquals(3, ab.layerAlphaFitted().length, why);
        assertTrue(ab.soupLayerFitted() < ab.generic() - 0.02, "the layer-wise specialist beats generic: " + why);
        assertTrue(
                Double.isFinite(ab.genericEqualTime())
                        && Double.isFinite(ab.soupFinetuned())
                        && Double.isFinite(ab.genericFinetuned()),
                why);
        assertEquals(2, ab.soupHistogram().size(), why);
        // The h-gain curve on the held-out domain: zero before training (the experts start at zero,
        // so every h gives the same model), and positive at the end as on the full validation windows.
        List<UnseenDomains.CurvePoint> curve = fold.hGainCurve();
        assertEquals(
                List.of(0, 100, 200, 300),
                curve.stream().map(UnseenDomains.CurvePoint::step).toList());
        assertEquals(0.0, curve.get(0).mean(), 1e-9, why);
        assertEquals(curve.get(3).hGain()[0], curve.get(3).mean(), 1e-12);
        assertTrue(
                curve.get(3).mean() > 0.02,
                "h helps while it trains: " + curve.get(3).mean() + " " + why);
    }

    @Test
    void aSoupPacedInTurnsIsTheSoupTrainedInOneGoAndTheGenericModelGetsItsTime() {
        ModelConfig model = ModelConfig.builder()
                .vocabSize(256)
                .layers(1)
                .dModel(16)
                .heads(1)
                .contextLength(8)
                .build();
        LeaveDomainsOut protocol = LeaveDomainsOut.builder()
                .store(store, new ByteTokenizer())
                .folds(List.of(List.of("ab", "c")))
                .soup(k -> SoupOfExperts.builder()
                        .model(model)
                        .domains(k)
                        .experts(2)
                        .seed(SEED)
                        .build())
                .generic(seed -> DenseModel.create(model, seed))
                .metaDistribution(sizes -> MetaDistributions.sparseRange(sizes.length, 1, 2, 1.0))
                .domains(DomainSplit.labels(10))
                .schedule(new LeaveDomainsOut.Schedule(45, 4, 8, 5e-3, List.of(5e-3), 1e-3))
                .specialistDocuments(5)
                .fineTuneSteps(0)
                .evalWindows(8)
                .fit(8, 2)
                .seed(SEED)
                .build();
        UnseenDomains.FoldResult once = protocol.run(0);
        UnseenDomains.EqualTime paced = protocol.equalTime(0, 5e-3);
        String why = paced + " (seed " + SEED + ")";
        assertEquals(20, paced.turns(), why);
        assertEquals(45, paced.soupSteps(), why);
        // Resumed 19 times from its checkpoints, the soup is the one trained without a stop.
        double[] natural = once.domains().stream()
                .mapToDouble(UnseenDomains.Domain::soupNatural)
                .toArray();
        assertArrayEquals(natural, paced.soupNatural(), 1e-9, why);
        // Every pace turn ran until it had caught up with the soup's turn.
        assertTrue(paced.genericSeconds() >= paced.soupSeconds() && paced.genericSteps() >= 20, why);
        assertEquals(
                (paced.soupSeconds() / 45) / (paced.genericSeconds() / paced.genericSteps()),
                paced.stepCostRatio(),
                1e-12);
        assertEquals(2, paced.generic().length, why);
        assertTrue(Arrays.stream(paced.generic()).allMatch(Double::isFinite), why);

        UnseenDomains.FoldResult merged = once.withEqualTime(paced);
        assertEquals(paced, merged.fold().equalTime());
        assertEquals(paced.genericSteps(), merged.fold().equalTimeSteps());
        assertEquals(paced.stepCostRatio(), merged.fold().stepCostRatio());
        for (int i = 0; i < 2; i++) {
            UnseenDomains.Domain before = once.domains().get(i);
            UnseenDomains.Domain after = merged.domains().get(i);
            assertEquals(paced.generic()[i], after.genericEqualTime());
            assertEquals(before.generic(), after.generic());
            assertEquals(before.soupHistogram(), after.soupHistogram());
            assertEquals(before.soupFitted(), after.soupFitted());
        }
        assertEquals(once.fold().soupSeconds(), merged.fold().soupSeconds());
        assertThrows(IllegalArgumentException.class, () -> protocol.equalTime(1, 5e-3));
        assertThrows(IllegalArgumentException.class, () -> protocol.equalTime(0, Double.NaN));
    }

    @Test
    void aDomainWithoutTunedAlphaHasNoTunedLossEvenIfARecordSaysZero() {
        // Results written before alpha was tuned lack both fields: a JSON reader gives 0.0 and null.
        UnseenDomains.Domain d = new UnseenDomains.Domain(
                "x",
                0,
                3,
                3,
                3,
                Map.of(10, 3.0),
                3,
                3,
                3,
                3,
                2.9,
                0.0,
                0.0,
                new double[] {1},
                new double[] {1},
                null,
                null,
                HistogramStats.of(new double[] {1}));
        assertTrue(Double.isNaN(d.soupAlphaFitted()), d.toString());
        assertTrue(Double.isNaN(d.alphaFitGain()), d.toString());
        assertTrue(Double.isNaN(d.soupLayerFitted()), "no rows, no layer-wise loss: " + d);
        UnseenDomains.Domain tuned = new UnseenDomains.Domain(
                "x",
                0,
                3,
                3,
                3,
                Map.of(10, 3.0),
                3,
                3,
                3,
                3,
                2.9,
                2.8,
                2.75,
                new double[] {1},
                new double[] {1},
                new double[] {0.5, 0.5},
                new double[][] {{0.4, 0.6}, {0.5, 0.5}},
                HistogramStats.of(new double[] {1}));
        assertEquals(0.1, tuned.alphaFitGain(), 1e-12);
        assertEquals(0.05, tuned.layerFitGain(), 1e-12);
    }

    @Test
    void foldsDealEveryDomainOnceAndRefuseOverlaps() {
        List<List<Integer>> folds = LeaveDomainsOut.roundRobin(13, 4, 7);
        assertEquals(4, folds.size());
        List<Integer> all = new ArrayList<>();
        folds.forEach(all::addAll);
        all.sort(Integer::compare);
        List<Integer> expected = new ArrayList<>();
        for (int d = 0; d < 13; d++) {
            expected.add(d);
        }
        assertEquals(expected, all);
        assertTrue(folds.stream().allMatch(f -> f.size() == 3 || f.size() == 4), folds.toString());
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> LeaveDomainsOut.builder()
                        .store(store, new ByteTokenizer())
                        .folds(List.of(List.of("a", "b"), List.of("b")))
                        .soup(k -> null)
                        .generic(s -> null)
                        .schedule(new LeaveDomainsOut.Schedule(1, 1, 2, 1e-3, List.of(1e-3), 1e-3))
                        .build());
        assertTrue(e.getMessage().contains("held out twice"), e.getMessage());
    }

    @Test
    void domainSpecsNameLabelsOrClustersAndRefuseAnythingElse() {
        List<Integer> training = List.of("a", "b", "c", "d").stream()
                .map(store.domains()::indexOf)
                .toList();
        assertEquals(
                List.of("a", "b", "c", "d"),
                DomainSplit.fromSpec("labels", DomainSplit.hashed())
                        .domains(store, new ByteTokenizer(), training, 8, SEED)
                        .domains()
                        .names());
        assertEquals(
                "cluster-0",
                DomainSplit.fromSpec("clusters:2", DomainSplit.hashed())
                        .domains(store, new ByteTokenizer(), training, 8, SEED)
                        .domains()
                        .name(0));
        for (String bad : List.of("clusters:1", "clusters:x", "clusters:", "label", "", "clusters:99999999")) {
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class, () -> DomainSplit.fromSpec(bad, DomainSplit.hashed()), bad);
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
    }

    @Test
    void clusterDomainsHoldEveryTrainingTokenOfTheClustersTheyKeep() {
        List<Integer> training = List.of(0, 1, 2, 3);
        DomainSplit.Training d =
                DomainSplit.clusters(4, DomainSplit.hashed()).domains(store, new ByteTokenizer(), training, 8, SEED);
        int k = d.domains().count();
        assertTrue(k >= 2 && k <= 4, d.domains().toString());
        assertEquals("cluster-0", d.domains().name(0));
        assertEquals(k, d.assigner().numDomains());
        long total = 0;
        long documents = 0;
        for (int t : training) {
            for (int i = 0; i < store.trainDocuments(t); i++) {
                total += store.document(t, false, i).length; // the documents' own tokens, no separators
                documents++;
            }
        }
        long inClusters = Arrays.stream(d.domains().sizes()).sum();
        // Every cluster of four windows or more is kept whole (here every one is that large), its
        // documents separated by a blank line (two byte tokens) as in the store.
        assertEquals(
                total + 2 * (documents - k),
                inClusters,
                "the clusters hold the training domains' tokens and separators");
        // The letters of one kind share a cluster: a's documents are assigned to one cluster mostly.
        double[] h = d.assigner().domainWeights(Evaluation.trainingDocuments(store, new ByteTokenizer(), 0, 20));
        assertTrue(
                Arrays.stream(h).max().orElse(0) > 0.8, "documents of one kind share a cluster: " + Arrays.toString(h));
    }

    @Test
    void documentsTheEmbedderCannotReadGoToTheirNeighboursClusterInsteadOfFailing() {
        // Like MiniLM with a blank opening: this embedder refuses the c documents (all 'c' letters).
        Function<List<String>, Embedder> picky = docs -> {
            Embedder inner = DomainSplit.hashed().apply(docs);
            return new Embedder() {
                @Override
                public int dimension() {
                    return inner.dimension();
                }

                @Override
                public float[][] embed(List<String> texts) {
                    for (String t : texts) {
                        if (!embeds(t)) {
                            throw new IllegalArgumentException("cannot embed " + t.substring(0, 5));
                        }
                    }
                    return inner.embed(texts);
                }

                @Override
                public String id() {
                    return "picky(" + inner.id() + ")";
                }

                @Override
                public boolean embeds(String text) {
                    return !text.startsWith("c");
                }
            };
        };
        List<Integer> training = List.of(0, 1, 2, 3);
        DomainSplit.Training d = DomainSplit.clusters(4, picky).domains(store, new ByteTokenizer(), training, 8, SEED);
        long total = 0;
        long documents = 0;
        long unreadable = 0;
        for (int t : training) {
            for (int i = 0; i < store.trainDocuments(t); i++) {
                int[] doc = store.document(t, false, i);
                total += doc.length;
                documents++;
                unreadable += new ByteTokenizer().decode(doc).startsWith("c") ? 1 : 0;
            }
        }
        assertTrue(unreadable > 0, "the test needs documents the embedder refuses");
        int k = d.domains().count();
        assertEquals(
                total + 2 * (documents - k), Arrays.stream(d.domains().sizes()).sum(), "every token placed");
        // A histogram leaves such documents out rather than fail: the same h as without them.
        List<String> readable = Evaluation.trainingDocuments(store, new ByteTokenizer(), 0, 5).stream()
                .filter(t -> !t.startsWith("c"))
                .toList();
        List<String> mixed = new ArrayList<>(readable);
        mixed.add("c" + readable.get(0));
        assertArrayEquals(d.assigner().domainWeights(readable), d.assigner().domainWeights(mixed), 0);
        // Centroids of labelled domains are made of the readable documents only.
        DomainSplit.labels(20, picky).domains(store, new ByteTokenizer(), training, 8, SEED);
    }

    @Test
    void anUnreadableDocumentJoinsAReadableNeighbourOfItsOwnDomain() {
        // Three domains: documents 0-3, 4-5 (none readable), 6-7; the readable ones' clusters 5, 7, 9.
        boolean[] reads = {false, true, false, true, false, false, true, false};
        int[] placed = DomainSplit.Clusters.placed(new int[] {5, 7, 9}, reads, List.of(0, 4, 6));
        // 0: no readable one before it in its domain, so the one after (5); 2: the one before (5);
        // 4 and 5: a domain with none, so the first readable document's (5); 7: the one before (9).
        assertArrayEquals(new int[] {5, 5, 5, 7, 5, 5, 9, 9}, placed);
    }

    /** Five domains of 60 documents of 400 letters: a, b, c, d, and "ab" (a's and b's kinds, alternately). */
    private static Corpus toyCorpus() {
        return new Corpus() {
            @Override
            public void forEach(Consumer<Document> sink) {
                SplittableRandom rng = new SplittableRandom(SEED);
                String[] names = {"a", "b", "c", "d", "ab"};
                for (int doc = 0; doc < 60; doc++) {
                    for (int d = 0; d < names.length; d++) {
                        int kind = d < 4 ? d : doc % 2;
                        sink.accept(new Document(text(kind, rng), names[d], "toy", doc));
                    }
                }
            }

            @Override
            public String fingerprint() {
                return "toy-mixture-corpus(" + SEED + ")";
            }
        };
    }

    /** 400 letters drawn independently, letter r of kind k's ranking with probability ~ 1/(r+1)^1.5. */
    private static String text(int kind, SplittableRandom rng) {
        double[] w = new double[LETTERS.length()];
        double total = 0;
        for (int r = 0; r < w.length; r++) {
            w[r] = 1 / Math.pow(r + 1, 1.5);
            total += w[r];
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 400; i++) {
            double u = rng.nextDouble() * total;
            int r = 0;
            while (r < w.length - 1 && (u -= w[r]) > 0) {
                r++;
            }
            // kind k ranks the letters rotated by 4k: its most frequent letters are others' rare ones
            sb.append(LETTERS.charAt((r + 4 * kind) % LETTERS.length()));
        }
        return sb.toString();
    }
}
