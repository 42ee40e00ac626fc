package org.soupofexperts.examples.experiment;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.core.batch.MetaDistribution;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.train.listener.SpecializationProbe;
import org.soupofexperts.data.cluster.NearestCentroidAssigner;
import org.soupofexperts.data.corpus.Corpus;
import org.soupofexperts.data.corpus.JsonlCorpus;
import org.soupofexperts.data.eval.Evaluation;
import org.soupofexperts.data.sample.MetaDistributions;
import org.soupofexperts.data.sample.WindowSampler;
import org.soupofexperts.data.store.TokenStore;
import org.soupofexperts.data.synth.SyntheticCorpus;
import org.soupofexperts.data.tokenize.ByteTokenizer;

/**
 * The data every experiment shares: a byte-level token store of the corpus (5% of each domain's
 * documents held out, whole documents), the natural mixture, and each domain's specialist set
 * with its histogram h (Algorithm 3). A domain's training documents are cut, in order, into
 * disjoint parts: the first 40% (at most 200) define the centroids, the next 20% (at most 100)
 * are the specialist set whose histogram is h, then a fine-tuning set and its early-stopping
 * set. None of them is in the held-out split that losses are measured on.
 */
public final class ExperimentData {

    private static final Logger LOG = LoggerFactory.getLogger(ExperimentData.class);

    public final TokenStore store;
    public final ByteTokenizer tokenizer = new ByteTokenizer();
    public final WindowSampler sampler;
    public final int k;
    public final double[] natural;
    /** h of each domain's specialist set. */
    public final double[][] hist;

    private final int[][] parts;

    private ExperimentData(TokenStore store, double[][] hist, int[][] parts) {
        this.store = store;
        this.sampler = store.trainSampler();
        this.k = store.domains().count();
        this.natural = sampler.domains().natural();
        this.hist = hist;
        this.parts = parts;
    }

    /** Builds (or reuses) the token store under {@code out} and computes every domain's h. */
    public static ExperimentData prepare(Path corpus, Path out, int fineTuneDocs, int fineTuneValidDocs)
            throws IOException {
        ByteTokenizer tok = new ByteTokenizer();
        Corpus source = corpus == null
                ? new SyntheticCorpus(6, 400, 2025).asCorpus(300, 200)
                : JsonlCorpus.builder().file(corpus).build();
        TokenStore store =
                TokenStore.openOrBuild(out.resolve("token-store"), source, tok, TokenStore.Options.defaults());
        int k = store.domains().count();
        int[][] parts = new int[k][];
        for (int d = 0; d < k; d++) {
            int n = (int) store.trainDocuments(d);
            int c = Math.min(200, (int) (0.4 * n));
            int h = c + Math.min(100, (int) (0.2 * n));
            int f = h + Math.min(fineTuneDocs, (int) (0.25 * n));
            int v = f + Math.min(fineTuneValidDocs, (int) (0.1 * n));
            if (c < 1 || h == c) {
                throw new IllegalArgumentException("domain '" + store.domains().name(d) + "' has only " + n
                        + " training documents; the experiment needs at least 5");
            }
            parts[d] = new int[] {0, c, h, f, v};
        }
        List<List<String>> perDomain = new ArrayList<>();
        for (int d = 0; d < k; d++) {
            perDomain.add(documents(store, tok, d, parts[d][0], parts[d][1]));
        }
        NearestCentroidAssigner assigner = NearestCentroidAssigner.ofLabelledDocuments(perDomain, 0.0);
        double[][] hist = new double[k][];
        for (int d = 0; d < k; d++) {
            hist[d] = assigner.domainWeights(documents(store, tok, d, parts[d][1], parts[d][2]));
        }
        LOG.info(
                "{} domains; specialist sets of {} to {} documents",
                k,
                Arrays.stream(parts).mapToInt(p -> p[2] - p[1]).min().orElse(0),
                Arrays.stream(parts).mapToInt(p -> p[2] - p[1]).max().orElse(0));
        return new ExperimentData(store, hist, parts);
    }

    /** The domains' names, in the order of h. */
    public List<String> domains() {
        return store.domains().names();
    }

    /**
     * The paper's meta-distribution family over these domains: with probability {@code
     * naturalShare} the natural mixture, otherwise {@code support} random domains with
     * Dirichlet({@code beta}) weights.
     */
    public MetaDistribution meta(int support, double beta, double naturalShare) {
        MetaDistribution sparse = MetaDistributions.sparse(k, Math.min(support, k), beta);
        return naturalShare == 0
                ? sparse
                : MetaDistributions.mixture(MetaDistributions.fixed(natural), sparse, naturalShare);
    }

    /** The fine-tuning set of domain d, as one token stream. */
    public int[] fineTuneTokens(int d) {
        return concat(d, parts[d][2], parts[d][3]);
    }

    /** Early-stopping batches of domain d: non-overlapping windows of its held-out fine-tuning documents. */
    public List<TokenBatch> fineTuneValidation(int d, int context, int maxWindows, int batch) {
        int[] t = concat(d, parts[d][3], parts[d][4]);
        int windows = Math.min(maxWindows, (t.length - 1) / context);
        if (windows < 1) {
            throw new IllegalArgumentException("domain '" + store.domains().name(d) + "' has " + t.length
                    + " tokens of early-stopping documents, fewer than one window of " + (context + 1));
        }
        List<TokenBatch> out = new ArrayList<>();
        List<int[]> rows = new ArrayList<>();
        for (int w = 0; w < windows; w++) {
            rows.add(Arrays.copyOfRange(t, w * context, w * context + context + 1));
            if (rows.size() == batch || w == windows - 1) {
                out.add(TokenBatch.of(rows.toArray(new int[0][])));
                rows.clear();
            }
        }
        return out;
    }

    /**
     * A specialization probe for training: {@code windows} validation windows of each domain
     * (spread over its split as the losses' windows are), the domains' histogram h as their own
     * h, the natural mixture as reference.
     */
    public SpecializationProbe probe(int context, int windows, int every) {
        List<TokenBatch> heldOut = new ArrayList<>();
        for (int d = 0; d < k; d++) {
            List<int[]> rows = new ArrayList<>();
            for (long w : Evaluation.spreadWindows(Evaluation.validationWindows(store, d, context), windows)) {
                rows.add(store.readValid(d, w * context, context + 1));
            }
            heldOut.add(TokenBatch.of(rows.toArray(new int[0][])));
        }
        return SpecializationProbe.builder()
                .heldOut(heldOut)
                .domainWeights(hist)
                .reference(natural)
                .every(every)
                .build();
    }

    /** Documents [from, to) of the fine-tuning and early-stopping sets, for the report. */
    public int[] parts(int d) {
        return parts[d].clone();
    }

    private int[] concat(int d, int from, int to) {
        int total = 0;
        List<int[]> docs = new ArrayList<>();
        for (int i = from; i < to; i++) {
            int[] t = store.document(d, false, i);
            docs.add(t);
            total += t.length;
        }
        int[] all = new int[total];
        int at = 0;
        for (int[] t : docs) {
            System.arraycopy(t, 0, all, at, t.length);
            at += t.length;
        }
        return all;
    }

    private static List<String> documents(TokenStore store, ByteTokenizer tok, int d, int from, int to) {
        List<String> docs = new ArrayList<>();
        for (int i = from; i < to; i++) {
            docs.add(tok.decode(store.document(d, false, i)));
        }
        return docs;
    }
}
