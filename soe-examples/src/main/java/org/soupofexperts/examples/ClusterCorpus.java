package org.soupofexperts.examples;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.soupofexperts.data.cluster.Centroids;
import org.soupofexperts.data.cluster.KMeans;
import org.soupofexperts.data.cluster.NearestCentroidAssigner;
import org.soupofexperts.data.corpus.Document;
import org.soupofexperts.data.corpus.JsonlCorpus;
import org.soupofexperts.data.embed.Embedder;
import org.soupofexperts.data.embed.HashedNgramEmbedder;
import org.soupofexperts.data.embed.MiniLmEmbedder;

/**
 * Treats a labelled Pile-style corpus as unlabelled: embeds every training document, k-means
 * them into as many clusters as there are labels and into 64, and reports time and cluster purity
 * against the labels; then matches held-out documents to labelled-domain centroids (Algorithm 3)
 * and reports the accuracy. Both embedders run: the hashed character n-gram TF-IDF one and the
 * MiniLM sentence embedder (on each document's first {@code maxChars} characters). Arguments:
 * [train.jsonl.gz] [valid.jsonl.gz] [maxChars] (default ../shared/corpus, 512).
 */
public final class ClusterCorpus {

    private ClusterCorpus() {}

    /** Runs the program; {@code --help} lists the options. */
    public static void main(String[] args) throws Exception {
        Path train = Path.of(args.length > 0 ? args[0] : "../shared/corpus/train.jsonl.gz");
        Path valid = Path.of(args.length > 1 ? args[1] : "../shared/corpus/valid.jsonl.gz");
        int maxChars = args.length > 2 ? Integer.parseInt(args[2]) : 512;
        List<String> docs = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        JsonlCorpus.builder().file(train).build().forEach(d -> {
            docs.add(d.text());
            labels.add(d.domain());
        });
        Map<String, Integer> ids = new LinkedHashMap<>();
        int[] y = labels.stream()
                .mapToInt(l -> ids.computeIfAbsent(l, x -> ids.size()))
                .toArray();
        int k = ids.size();
        List<Document> held = new ArrayList<>();
        JsonlCorpus.builder().file(valid).build().forEach(held::add);
        System.out.printf("%d training documents, %d labels, %d held-out documents%n", docs.size(), k, held.size());
        System.out.println("| embedder | embed s | k-means s (k=" + k + ") | purity k=" + k
                + " | purity k=64 | held-out accuracy |");
        System.out.println("|---|---:|---:|---:|---:|---:|");
        report("hashed n-gram TF-IDF", HashedNgramEmbedder.defaults().fitIdf(docs), docs, y, k, held, ids);
        report("MiniLM-L6-v2, first " + maxChars + " chars", new MiniLmEmbedder(maxChars), docs, y, k, held, ids);
    }

    private static void report(
            String name,
            Embedder emb,
            List<String> docs,
            int[] y,
            int k,
            List<Document> held,
            Map<String, Integer> ids) {
        long t0 = System.nanoTime();
        float[][] x = emb.embed(docs);
        double embedSeconds = (System.nanoTime() - t0) / 1e9;
        long t1 = System.nanoTime();
        Centroids clusters = KMeans.fit(x, k, 1, 100, emb.id());
        double kmeansSeconds = (System.nanoTime() - t1) / 1e9;
        double purityK = purity(clusters.nearest(x), y, k);
        double purity64 = purity(KMeans.fit(x, 64, 1, 100, emb.id()).nearest(x), y, k);
        NearestCentroidAssigner assigner = new NearestCentroidAssigner(emb, Centroids.ofLabels(x, y, k, emb.id()), 0);
        int[] a = assigner.assign(held.stream().map(Document::text).toList());
        int correct = 0;
        for (int i = 0; i < a.length; i++) {
            correct += ids.getOrDefault(held.get(i).domain(), -1) == a[i] ? 1 : 0;
        }
        System.out.printf(
                "| %s | %.1f | %.1f | %.3f | %.3f | %d/%d (%.3f) |%n",
                name, embedSeconds, kmeansSeconds, purityK, purity64, correct, a.length, (double) correct / a.length);
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
