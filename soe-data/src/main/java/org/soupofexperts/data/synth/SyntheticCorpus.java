package org.soupofexperts.data.synth;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.soupofexperts.data.corpus.Corpus;
import org.soupofexperts.data.corpus.Document;

/**
 * A deterministic multi-domain text corpus, the library's built-in data. All domains share one
 * lexicon of pseudo-words and one way of writing (sentences of words, capitals, full stops), so
 * a model learns common structure from all of them; each domain has its own word frequencies
 * (a Zipf law over its own ranking of the lexicon) and its own favourite successors for each
 * word, so a model specialised to one domain predicts it measurably better than a generic one.
 *
 * <p>Same seed, same corpus. Immutable and thread-safe.
 */
public final class SyntheticCorpus {

    private static final String[] ONSETS = {
        "b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "ch", "st"
    };
    private static final String[] VOWELS = {"a", "e", "i", "o", "u", "ai", "ou"};

    private final int domains;
    private final long seed;
    private final String[] lexicon;
    private final int[][] ranking; // per domain: rank -> word
    private final int[][][] successors; // per domain, per word: favourite next words
    private final double[] zipf;

    /**
     * @param domains number of domains k (at least 1)
     * @param lexiconSize number of distinct words (at least 16)
     * @param seed generator seed
     */
    public SyntheticCorpus(int domains, int lexiconSize, long seed) {
        if (domains < 1) {
            throw new IllegalArgumentException("synthetic corpus needs at least 1 domain, got " + domains);
        }
        if (lexiconSize < 16) {
            throw new IllegalArgumentException("lexicon size must be >= 16, got " + lexiconSize);
        }
        this.domains = domains;
        this.seed = seed;
        SplittableRandom rng = new SplittableRandom(seed);
        LinkedHashSet<String> words = new LinkedHashSet<>();
        while (words.size() < lexiconSize) {
            int syllables = 1 + rng.nextInt(3);
            StringBuilder w = new StringBuilder();
            for (int s = 0; s < syllables; s++) {
                w.append(ONSETS[rng.nextInt(ONSETS.length)]).append(VOWELS[rng.nextInt(VOWELS.length)]);
            }
            words.add(w.toString());
        }
        lexicon = words.toArray(new String[0]);
        zipf = new double[lexiconSize];
        double z = 0;
        for (int r = 0; r < lexiconSize; r++) {
            z += 1.0 / (r + 1);
            zipf[r] = z;
        }
        for (int r = 0; r < lexiconSize; r++) {
            zipf[r] /= z;
        }
        ranking = new int[domains][];
        successors = new int[domains][lexiconSize][];
        for (int d = 0; d < domains; d++) {
            int[] perm = new int[lexiconSize];
            for (int i = 0; i < lexiconSize; i++) {
                perm[i] = i;
            }
            for (int i = lexiconSize - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
            ranking[d] = perm;
            for (int w = 0; w < lexiconSize; w++) {
                successors[d][w] = new int[3];
                for (int s = 0; s < 3; s++) {
                    successors[d][w][s] = perm[rank(rng)];
                }
            }
        }
    }

    /** The number of domains. */
    public int numDomains() {
        return domains;
    }

    /** Domain names: {@code synth-0 .. synth-(k-1)}. */
    public List<String> domainNames() {
        List<String> n = new ArrayList<>();
        for (int d = 0; d < domains; d++) {
            n.add("synth-" + d);
        }
        return n;
    }

    /**
     * Document {@code index} of domain {@code d}, about {@code words} words long. Deterministic
     * in (seed, d, index, words); different indices give different documents.
     */
    public String document(int d, long index, int words) {
        if (d < 0 || d >= domains) {
            throw new IllegalArgumentException("domain " + d + " out of range [0, " + domains + ")");
        }
        SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + d * 1_000_003L + index);
        StringBuilder sb = new StringBuilder();
        int w = ranking[d][rank(rng)];
        boolean sentenceStart = true;
        for (int i = 0; i < words; i++) {
            String word = lexicon[w];
            if (sentenceStart) {
                word = Character.toUpperCase(word.charAt(0)) + word.substring(1);
            }
            sb.append(word);
            sentenceStart = rng.nextDouble() < 0.12;
            sb.append(sentenceStart ? ". " : " ");
            w = rng.nextDouble() < 0.7 ? successors[d][w][rng.nextInt(3)] : ranking[d][rank(rng)];
        }
        return sb.toString().trim();
    }

    /** {@code count} documents of domain d, starting at document index {@code first}. */
    public List<String> documents(int d, long first, int count, int words) {
        List<String> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(document(d, first + i, words));
        }
        return out;
    }

    /**
     * The corpus as a labelled {@link org.soupofexperts.data.corpus.Corpus}: {@code docsPerDomain}
     * documents of {@code words} words per domain, interleaved across domains.
     */
    public Corpus asCorpus(int docsPerDomain, int words) {
        List<String> names = domainNames();
        return new Corpus() {
            @Override
            public void forEach(Consumer<Document> sink) {
                for (int i = 0; i < docsPerDomain; i++) {
                    for (int d = 0; d < domains; d++) {
                        sink.accept(new Document(document(d, i, words), names.get(d), "synthetic", 0));
                    }
                }
            }

            @Override
            public String fingerprint() {
                return "synthetic(k=" + domains + ", lexicon=" + lexicon.length + ", seed=" + seed + ", docs="
                        + docsPerDomain + ", words=" + words + ")";
            }
        };
    }

    private int rank(SplittableRandom rng) {
        double u = rng.nextDouble();
        int lo = 0;
        int hi = zipf.length - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (zipf[mid] < u) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
