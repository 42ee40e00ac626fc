package org.soupofexperts.data.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.core.config.Domains;
import org.soupofexperts.data.cluster.Centroids;
import org.soupofexperts.data.cluster.ClusterDomains;
import org.soupofexperts.data.cluster.KMeans;
import org.soupofexperts.data.cluster.NearestCentroidAssigner;
import org.soupofexperts.data.embed.Embedder;
import org.soupofexperts.data.embed.HashedNgramEmbedder;
import org.soupofexperts.data.sample.InMemoryDomainSampler;
import org.soupofexperts.data.sample.WindowSampler;
import org.soupofexperts.data.store.TokenStore;
import org.soupofexperts.data.tokenize.Tokenizer;

/**
 * Which domains a soup trains over, given the training domains of a labelled store: their labels
 * (centroids from each domain's first documents), or k-means clusters of their documents, as the
 * paper trains over clusters of a generic corpus. Each gives the soup's sampler and the assigner
 * that makes a specialist's histogram over those domains. Stateless; thread-safe.
 */
public interface DomainSplit {

    /**
     * What the soup trains on in one fold.
     *
     * @param sampler training windows of each of the soup's domains
     * @param assigner Algorithm 3 over them
     */
    record Training(WindowSampler sampler, NearestCentroidAssigner assigner) {

        /** The soup's domains: their names and sizes. */
        public Domains domains() {
            return sampler.domains();
        }
    }

    /** What the soup trains on when it trains on the store's domains {@code training}. */
    Training domains(TokenStore store, Tokenizer tokenizer, List<Integer> training, int context, long seed);

    /**
     * The most clusters {@link #fromSpec} takes. What a soup can save is less: its centroids travel
     * in its manifest (at most 64 MiB, up to about 32 bytes a value), so about 2,000 clusters of the
     * hashed embedder's 1,024 dimensions or 5,000 of MiniLM's 384; {@code soe train} checks that
     * before any work, and a save refuses a manifest past the limit before writing.
     */
    int MAX_CLUSTERS = 16_384;

    /**
     * The split a short specification names, as tools take it on a command line: {@code labels}
     * (200 centroid documents per domain) or {@code clusters:K}.
     *
     * @throws IllegalArgumentException naming the forms, for any other text
     */
    static DomainSplit fromSpec(String spec, Function<List<String>, Embedder> embedder) {
        if (spec.equals("labels")) {
            return labels(200, embedder);
        }
        int k = -1;
        if (spec.startsWith("clusters:")) {
            try {
                k = Integer.parseInt(spec.substring("clusters:".length()));
            } catch (NumberFormatException e) {
                k = -1;
            }
        }
        if (k < 2 || k > MAX_CLUSTERS) {
            throw new IllegalArgumentException(
                    "unknown domains '" + spec + "': use labels or clusters:K (K from 2 to " + MAX_CLUSTERS + ")");
        }
        return clusters(k, embedder);
    }

    /** The embedder the library uses when none is given: hashed n-grams with IDF from the documents. */
    static Function<List<String>, Embedder> hashed() {
        return docs -> HashedNgramEmbedder.defaults().fitIdf(docs);
    }

    /**
     * The training domains' labels; each centroid is the mean embedding of the domain's first
     * {@code centroidDocuments} training documents (hashed n-grams fitted on them).
     */
    static DomainSplit labels(int centroidDocuments) {
        return labels(centroidDocuments, hashed());
    }

    /** As {@link #labels(int)}, with the embedder made from the centroid documents by {@code embedder}. */
    static DomainSplit labels(int centroidDocuments, Function<List<String>, Embedder> embedder) {
        if (centroidDocuments < 1) {
            throw new IllegalArgumentException("centroidDocuments must be >= 1, got " + centroidDocuments);
        }
        return (store, tokenizer, training, context, seed) -> {
            List<List<String>> perDomain = new ArrayList<>();
            List<String> all = new ArrayList<>();
            for (int d : training) {
                List<String> docs = Evaluation.trainingDocuments(store, tokenizer, d, centroidDocuments);
                perDomain.add(docs);
                all.addAll(docs);
            }
            Embedder e = embedder.apply(all);
            // Documents the embedder cannot read (blank in MiniLM's opening) make no centroid.
            List<List<String>> readable = new ArrayList<>();
            for (int j = 0; j < perDomain.size(); j++) {
                List<String> r = perDomain.get(j).stream().filter(e::embeds).toList();
                if (r.isEmpty()) {
                    throw new IllegalArgumentException(
                            "domain " + store.domains().name(training.get(j)) + " holds no document the embedder "
                                    + e.id() + " can read: it can have no centroid");
                }
                readable.add(r);
            }
            Centroids c = Centroids.ofDomains(e, readable);
            int[] picked = training.stream().mapToInt(Integer::intValue).toArray();
            return new Training(store.trainSampler().select(picked), new NearestCentroidAssigner(e, c, 0.0));
        };
    }

    /**
     * k-means clusters of the training domains' documents (all of them, embedded by the embedder
     * {@code embedder} makes from them); each cluster's documents are one stream, separated by a
     * blank line as a store separates a domain's; clusters too small to hold four training windows
     * are left out, the rest renumbered {@code cluster-0 ..}.
     */
    static DomainSplit clusters(int k, Function<List<String>, Embedder> embedder) {
        if (k < 2) {
            throw new IllegalArgumentException("clusters k must be >= 2, got " + k);
        }
        return (store, tokenizer, training, context, seed) -> {
            List<int[]> tokens = new ArrayList<>();
            List<String> texts = new ArrayList<>();
            List<Integer> starts = new ArrayList<>(); // where each domain's documents begin in texts
            for (int d : training) {
                starts.add(texts.size());
                for (int i = 0; i < store.trainDocuments(d); i++) {
                    int[] t = store.document(d, false, i);
                    tokens.add(t);
                    texts.add(tokenizer.decode(t));
                }
            }
            Embedder e = embedder.apply(texts);
            // Documents the embedder cannot read (blank in MiniLM's opening) are not embedded: each
            // goes to the cluster of a readable document of its own domain, the one before it if any.
            List<String> readable = new ArrayList<>();
            boolean[] reads = new boolean[texts.size()];
            for (int i = 0; i < texts.size(); i++) {
                reads[i] = e.embeds(texts.get(i));
                if (reads[i]) {
                    readable.add(texts.get(i));
                }
            }
            if (readable.isEmpty()) {
                throw new IllegalArgumentException(
                        "no training document holds text the embedder " + e.id() + " can read: nothing to cluster");
            }
            float[][] x = e.embed(readable);
            Centroids fitted = KMeans.fit(x, Math.min(k, x.length), seed, 100, e.id());
            int[] cluster = Clusters.placed(fitted.nearest(x), reads, starts);
            return Clusters.of(fitted, cluster, tokens, tokenizer.encode(Clusters.SEPARATOR), context, e);
        };
    }

    /** The cluster store in memory: token streams per cluster, small clusters left out. */
    final class Clusters {
        private static final Logger LOG = LoggerFactory.getLogger(DomainSplit.class);

        /** Between two documents of a cluster's stream, as between two documents of a store's domain. */
        static final String SEPARATOR = "\n\n";

        private Clusters() {}

        /**
         * Each document's cluster: a readable one's own ({@code near}, in order of the readable
         * ones), an unreadable one the cluster of the nearest readable document of its domain
         * before it, else after it, else (a domain with none) the first readable document's.
         */
        static int[] placed(int[] near, boolean[] reads, List<Integer> starts) {
            int[] cluster = new int[reads.length];
            int[] readableIndex = new int[reads.length]; // index into near, or -1
            int r = 0;
            for (int i = 0; i < reads.length; i++) {
                readableIndex[i] = reads[i] ? r++ : -1;
            }
            for (int s = 0; s < starts.size(); s++) {
                int from = starts.get(s);
                int to = s + 1 < starts.size() ? starts.get(s + 1) : reads.length;
                int last = -1;
                int first = -1;
                for (int i = from; i < to; i++) {
                    if (reads[i] && first < 0) {
                        first = readableIndex[i];
                    }
                }
                for (int i = from; i < to; i++) {
                    if (reads[i]) {
                        last = readableIndex[i];
                        cluster[i] = near[last];
                    } else {
                        cluster[i] = near[last >= 0 ? last : first >= 0 ? first : 0];
                    }
                }
            }
            return cluster;
        }

        static Training of(
                Centroids fitted, int[] cluster, List<int[]> tokens, int[] separator, int context, Embedder e) {
            long[] size = new long[fitted.k()];
            for (int i = 0; i < cluster.length; i++) {
                // A separator before every document but a cluster's first, as the store writes domains.
                size[cluster[i]] += (size[cluster[i]] > 0 ? separator.length : 0) + tokens.get(i).length;
            }
            List<Integer> kept = new ArrayList<>();
            for (int c = 0; c < size.length; c++) {
                if (size[c] >= 4L * (context + 1)) {
                    kept.add(c);
                }
            }
            if (kept.size() < fitted.k()) {
                LOG.info(
                        "{} of {} clusters hold fewer than four windows and are left out",
                        fitted.k() - kept.size(),
                        fitted.k());
            }
            int[][] streams = new int[kept.size()][];
            float[][] rows = new float[kept.size()][];
            for (int j = 0; j < kept.size(); j++) {
                int c = kept.get(j);
                streams[j] = new int[Math.toIntExact(size[c])];
                rows[j] = fitted.get(c);
            }
            int[] renumbered = new int[fitted.k()];
            Arrays.fill(renumbered, -1);
            for (int j = 0; j < kept.size(); j++) {
                renumbered[kept.get(j)] = j;
            }
            int[] at = new int[kept.size()];
            for (int i = 0; i < cluster.length; i++) {
                int j = renumbered[cluster[i]];
                if (j >= 0) {
                    if (at[j] > 0) {
                        System.arraycopy(separator, 0, streams[j], at[j], separator.length);
                        at[j] += separator.length;
                    }
                    int[] t = tokens.get(i);
                    System.arraycopy(t, 0, streams[j], at[j], t.length);
                    at[j] += t.length;
                }
            }
            List<String> names = ClusterDomains.domainNames(kept.size());
            Centroids centroids = new Centroids(rows, e.id());
            return new Training(
                    new InMemoryDomainSampler(names, streams), new NearestCentroidAssigner(e, centroids, 0.0));
        }
    }
}
