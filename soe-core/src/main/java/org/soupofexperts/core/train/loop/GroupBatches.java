package org.soupofexperts.core.train.loop;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;
import org.soupofexperts.core.batch.BatchSource;
import org.soupofexperts.core.batch.MetaDistribution;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.config.DomainWeights;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.internal.Djl;

/** A step's inputs with m groups of domain weights: the draws of h, the batch, h as an array. Stateless. */
public final class GroupBatches {

    private GroupBatches() {}

    /** m domain weights from the meta-distribution, each checked to be a point of the k-simplex. */
    static double[][] drawH(MetaDistribution pi, int m, int k, SplittableRandom rng) {
        double[][] hs = new double[m][];
        for (int g = 0; g < m; g++) {
            hs[g] = DomainWeights.validate(pi.sample(rng), k);
        }
        return hs;
    }

    /** The m groups' h as one array: shape (k) for one group (the one-h step), (m, k) otherwise. */
    static NDArray domainWeights(NDManager manager, double[][] hs) {
        if (hs.length == 1) {
            return Djl.engineOwned(manager.create(Djl.floats(hs[0])));
        }
        int k = hs[0].length;
        float[] flat = new float[hs.length * k];
        for (int g = 0; g < hs.length; g++) {
            System.arraycopy(Djl.floats(hs[g]), 0, flat, g * k, k);
        }
        return Djl.engineOwned(manager.create(flat, new Shape(hs.length, k)));
    }

    /** batch/m sequences from each group's mixture, in group order (one call for one group). */
    static TokenBatch sample(BatchSource source, double[][] hs, int batch, int length, SplittableRandom rng) {
        if (hs.length == 1) {
            return source.sample(hs[0], batch, length, rng);
        }
        int per = batch / hs.length;
        int[] tokens = new int[batch * length];
        int[] domains = new int[batch];
        boolean labelled = true;
        for (int g = 0; g < hs.length; g++) {
            TokenBatch part = source.sample(hs[g], per, length, rng);
            checkShape(part, per, length);
            System.arraycopy(part.tokens(), 0, tokens, g * per * length, per * length);
            if (part.domains() != null) {
                System.arraycopy(part.domains(), 0, domains, g * per, per);
            } else {
                labelled = false;
            }
        }
        return new TokenBatch(batch, length, tokens, labelled ? domains : null);
    }

    /**
     * Refuses a batch of the wrong shape or with a token the model cannot read: the batch source
     * is at fault, not the caller's arguments, hence an {@code IllegalStateException}.
     */
    static void check(TokenBatch tb, int batch, int length, ModelConfig model) {
        checkShape(tb, batch, length);
        try {
            model.checkTokenIds(tb.tokens(), "the batch source's");
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    private static void checkShape(TokenBatch tb, int batch, int length) {
        if (tb == null || tb.batchSize() != batch || tb.length() != length) {
            throw new IllegalStateException("batch source returned "
                    + (tb == null ? "null" : tb.batchSize() + " x " + tb.length())
                    + ", expected " + batch + " x " + length);
        }
    }
}
