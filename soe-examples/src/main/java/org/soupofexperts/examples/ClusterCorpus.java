package org.soupofexperts.examples;

import org.soupofexperts.data.cluster.Centroids;
import org.soupofexperts.data.cluster.KMeans;
import org.soupofexperts.data.cluster.NearestCentroidAssigner;
import org.soupofexperts.data.corpus.Document;
import org.soupofexperts.data.corpus.JsonlCorpus;
import org.soupofexperts.data.embed.HashedNgramEmbedder;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Treats a labelled Pile-style corpus as unlabelled: embeds every training document, k-means
 * them into as many clusters as there are labels, and reports time and cluster purity against
 * the labels; then matches held-out documents to labelled-domain centroids (Algorithm 3) and
 * reports the accuracy. Arguments: [train.jsonl.gz] [valid.jsonl.gz] (default ../shared/corpus).
 */
public final class ClusterCorpus {

    private ClusterCorpus() {}

    public static void main(String[] args) throws Exception {
        Path train = Path.of(args.length > 0 ? args[0] : "../shared/corpus/train.jsonl.gz");
        Path valid = Path.of(args.length > 1 ? args[1] : "../shared/corpus/valid.jsonl.gz");
        List<String> docs = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        JsonlCorpus.builder().file(train).build().forEach(d -> {
            docs.add(d.text());
            labels.add(d.domain());
        });
        Map<String, Integer> ids = new LinkedHashMap<>();
        int[] y = labels.stream().mapToInt(l -> ids.computeIfAbsent(l, x -> ids.size())).toArray();
        int k = ids.size();

        long t0 = System.nanoTime();
        HashedNgramEmbedder emb = HashedNgramEmbedder.defaults().fitIdf(docs);
        float[][] x = emb.embed(docs);
        double embedSeconds = (System.nanoTime() - t0) / 1e9;
        long t1 = System.nanoTime();
        Centroids clusters = KMeans.fit(x, k, 1, 100, emb.id());
        int[] c = clusters.nearest(x);
        double kmeansSeconds = (System.nanoTime() - t1) / 1e9;
        System.out.printf("%d documents, %d labels: embedding %.1f s, k-means %.1f s%n", docs.size(), k, embedSeconds,
                kmeansSeconds);
        System.out.printf("cluster purity against the labels: %.3f%n", purity(c, y, k));

        Centroids labelled = Centroids.ofLabels(x, y, k, emb.id());
        NearestCentroidAssigner assigner = new NearestCentroidAssigner(emb, labelled, 0);
        List<Document> held = new ArrayList<>();
        JsonlCorpus.builder().file(valid).build().forEach(held::add);
        int[] a = assigner.assign(held.stream().map(Document::text).toList());
        int correct = 0;
        for (int i = 0; i < a.length; i++) {
            correct += ids.getOrDefault(held.get(i).domain(), -1) == a[i] ? 1 : 0;
        }
        System.out.printf("held-out documents matched to their labelled domain: %d/%d (%.3f)%n", correct, a.length,
                (double) correct / a.length);
    }

    /** Fraction of documents whose cluster's majority label is their label. */
    static double purity(int[] clusters, int[] labels, int k) {
        Map<Integer, int[]> counts = new HashMap<>();
        for (int i = 0; i < clusters.length; i++) {
            counts.computeIfAbsent(clusters[i], z -> new int[k])[labels[i]]++;
        }
        int sum = 0;
        for (int[] row : counts.values()) {
            int m = 0;
            for (int v : row) {
                m = Math.max(m, v);
            }
            sum += m;
        }
        return (double) sum / clusters.length;
    }
}
