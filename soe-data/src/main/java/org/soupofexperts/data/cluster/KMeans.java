package org.soupofexperts.data.cluster;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.core.internal.Djl;

/**
 * k-means with k-means++ seeding and Lloyd iterations whose distances are one matrix product on
 * DJL arrays (so it runs on a GPU where the engine has one). Turns an unlabelled corpus's
 * embeddings into k domains. Stateless and thread-safe; randomness only from the given seed.
 */
public final class KMeans {

    private static final Logger LOG = LoggerFactory.getLogger(KMeans.class);
    /** Most distances held at once in an assignment (64 MiB of floats). */
    private static final int DISTANCES = 1 << 24;

    private KMeans() {}

    /** Clusters rows of x into k groups; at most maxIterations Lloyd steps. */
    public static Centroids fit(float[][] x, int k, long seed, int maxIterations, String embedderId) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be >= 1, got " + k);
        }
        if (x.length < k) {
            throw new IllegalArgumentException("k-means needs at least k=" + k + " documents, got " + x.length);
        }
        int n = x.length;
        int d = x[0].length;
        SplittableRandom rng = new SplittableRandom(seed);
        try (NDManager m = Djl.engine().newBaseManager();
                Djl.NoGrad ng = Djl.noGrad()) {
            NDArray xs = m.create(Centroids.flatten(x), new Shape(n, d));
            NDArray c = seed(xs, k, rng, m);
            int[] labels = null;
            int it = 0;
            for (; it < maxIterations; it++) {
                int[] next = assign(xs, c);
                if (labels != null && Arrays.equals(labels, next)) {
                    break;
                }
                labels = next;
                NDArray previous = c;
                c = step(m, x, c, labels, k, d);
                previous.close();
            }
            LOG.info("k-means: {} points, k={}, {} iterations", n, k, it);
            float[] flat = c.toFloatArray();
            float[][] out = new float[k][d];
            for (int j = 0; j < k; j++) {
                System.arraycopy(flat, j * d, out[j], 0, d);
            }
            return new Centroids(out, embedderId);
        }
    }

    /**
     * One Lloyd update: each centroid the mean of its rows (summed in double, in row order), or
     * unchanged when it has none. No n x k array: a one-hot matrix of the labels would take
     * gigabytes at k in the thousands.
     */
    private static NDArray step(NDManager m, float[][] x, NDArray c, int[] labels, int k, int d) {
        double[] sums = new double[k * d];
        long[] cnt = new long[k];
        for (int i = 0; i < x.length; i++) {
            int base = labels[i] * d;
            cnt[labels[i]]++;
            for (int t = 0; t < d; t++) {
                sums[base + t] += x[i][t];
            }
        }
        float[] newC = c.toFloatArray();
        for (int j = 0; j < k; j++) {
            if (cnt[j] == 0) {
                continue; // an empty cluster keeps its centroid rather than collapsing to 0
            }
            for (int t = 0; t < d; t++) {
                newC[j * d + t] = (float) (sums[j * d + t] / cnt[j]);
            }
        }
        return m.create(newC, new Shape(k, d));
    }

    /**
     * Nearest centroid of each row: argmin_j |c_j|^2 - 2 x.c_j (|x|^2 does not change it), over
     * chunks of rows so that the distances never take more than {@value #DISTANCES} values at once.
     */
    static int[] assign(NDArray xs, NDArray cs) {
        return assign(xs, cs, DISTANCES);
    }

    /** {@link #assign(NDArray, NDArray)} with at most {@code distances} values at once (at least one row). */
    static int[] assign(NDArray xs, NDArray cs, int distances) {
        int n = (int) xs.getShape().get(0);
        int k = (int) cs.getShape().get(0);
        int rows = Math.max(1, distances / k);
        int[] out = new int[n];
        try (Djl.Scope scope = Djl.scope()) {
            NDArray ct = cs.transpose();
            NDArray norms = cs.square().sum(new int[] {1});
            for (int from = 0; from < n; from += rows) {
                int to = Math.min(n, from + rows);
                try (Djl.Scope chunk = Djl.scope()) {
                    // In place: one array of the chunk's distances, not three.
                    NDArray dots = xs.get(new NDIndex("{}:{}", from, to)).matMul(ct);
                    long[] idx = dots.muli(Djl.scalar(dots, -2))
                            .addi(norms)
                            .argMin(1)
                            .toLongArray();
                    for (int i = 0; i < idx.length; i++) {
                        out[from + i] = (int) idx[i];
                    }
                }
            }
        }
        return out;
    }

    /** k-means++: each next centroid is a point drawn with probability proportional to D(x)^2. */
    private static NDArray seed(NDArray xs, int k, SplittableRandom rng, NDManager m) {
        int n = (int) xs.getShape().get(0);
        int[] chosen = new int[k];
        chosen[0] = rng.nextInt(n);
        float[] minD = null;
        NDArray sqNorms = xs.square().sum(new int[] {1});
        for (int j = 1; j < k; j++) {
            float[] dist;
            try (Djl.Scope scope = Djl.scope()) {
                NDArray c = xs.get(chosen[j - 1]);
                // |x - c|^2 = |x|^2 - 2 x.c + |c|^2, with no n x d temporary
                NDArray dots = xs.matMul(c.reshape(-1, 1)).reshape(-1);
                dist = sqNorms.sub(dots.mul(Djl.scalar(dots, 2)))
                        .add(c.square().sum())
                        .toFloatArray();
            }
            if (minD == null) {
                minD = dist;
            } else {
                for (int i = 0; i < n; i++) {
                    minD[i] = Math.min(minD[i], dist[i]);
                }
            }
            float[] dd = minD;
            double total = 0;
            for (float v : dd) {
                total += Math.max(0f, v);
            }
            int pick;
            if (total <= 0) {
                pick = rng.nextInt(n); // all points coincide with the chosen ones
            } else {
                double u = rng.nextDouble() * total;
                double acc = 0;
                pick = n - 1;
                for (int i = 0; i < n; i++) {
                    acc += Math.max(0f, dd[i]);
                    if (u < acc) {
                        pick = i;
                        break;
                    }
                }
            }
            chosen[j] = pick;
        }
        NDArray[] rows = new NDArray[k];
        for (int j = 0; j < k; j++) {
            rows[j] = xs.get(chosen[j]);
        }
        return NDArrays.stack(new NDList(rows));
    }
}
