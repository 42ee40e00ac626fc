package org.soupofexperts.data.eval;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.Specialist;
import org.soupofexperts.data.sample.MetaDistributions;
import org.soupofexperts.data.store.TokenStore;

/**
 * The oracle of the unseen-domain protocol: the best h of a small search, chosen on the even
 * validation windows of a domain and scored on the odd ones, beside the histogram h scored on the
 * same odd windows. Their difference (the oracle gap) says whether a loss is the histogram's
 * (a better h exists) or the soup's (none does). Stateless.
 */
final class Oracle {

    private Oracle() {}

    /**
     * @param best the best candidate's loss on the scoring half (bits per byte)
     * @param histogram the histogram h's loss on that half
     * @param h the best candidate
     */
    record Found(double best, double histogram, double[] h) {}

    static Found search(
            SoupOfExperts soup, TokenStore store, int d, int context, int maxWindows, double[] hist, double[] natural) {
        long windows = Math.min(maxWindows, Evaluation.validationWindows(store, d, context));
        if (windows < 2) {
            throw new IllegalArgumentException("domain '" + store.domains().name(d) + "' holds out " + windows
                    + " validation windows; the oracle needs two");
        }
        // The windows the loss is measured on, alternately to choose h and to score it.
        long[] spread = Evaluation.spreadWindows(Evaluation.validationWindows(store, d, context), windows);
        long[] choose = IntStream.range(0, spread.length)
                .filter(i -> i % 2 == 0)
                .mapToLong(i -> spread[i])
                .toArray();
        long[] score = IntStream.range(0, spread.length)
                .filter(i -> i % 2 == 1)
                .mapToLong(i -> spread[i])
                .toArray();
        double[] best = null;
        double bestLoss = Double.POSITIVE_INFINITY;
        for (double[] h : candidates(hist, natural)) {
            double l = loss(soup, h, store, d, context, choose);
            if (l < bestLoss) {
                bestLoss = l;
                best = h;
            }
        }
        return new Found(loss(soup, best, store, d, context, score), loss(soup, hist, store, d, context, score), best);
    }

    /**
     * The histogram, the natural h, their midpoint, the histogram sharpened and flattened, each of
     * the histogram's top five domains alone, and even pairs of its top four.
     */
    static List<double[]> candidates(double[] hist, double[] natural) {
        int k = hist.length;
        List<double[]> c = new ArrayList<>();
        c.add(hist.clone());
        c.add(natural.clone());
        c.add(blend(hist, natural, 0.5));
        c.add(tempered(hist, 0.5));
        c.add(tempered(hist, 2));
        List<Integer> top = IntStream.range(0, k)
                .boxed()
                .sorted(Comparator.comparingDouble((Integer i) -> -hist[i]).thenComparing(i -> i))
                .limit(5)
                .toList();
        for (int i : top) {
            double[] one = new double[k];
            one[i] = 1;
            c.add(one);
        }
        for (int a = 0; a < Math.min(4, top.size()); a++) {
            for (int b = a + 1; b < Math.min(4, top.size()); b++) {
                double[] pair = new double[k];
                pair[top.get(a)] = 0.5;
                pair[top.get(b)] = 0.5;
                c.add(pair);
            }
        }
        return c;
    }

    private static double loss(SoupOfExperts soup, double[] h, TokenStore store, int d, int context, long[] w) {
        try (Specialist s = soup.instantiate(h)) {
            return Evaluation.onWindows(s::loss, store, d, context, w).bitsPerByte();
        }
    }

    private static double[] blend(double[] a, double[] b, double t) {
        double[] v = new double[a.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = (1 - t) * a[i] + t * b[i];
        }
        return v;
    }

    /** The histogram sharpened or flattened, as {@link MetaDistributions#tempered} does it. */
    private static double[] tempered(double[] h, double temperature) {
        return MetaDistributions.tempered(List.of(h), temperature).sample(new SplittableRandom(0));
    }
}
