package org.soupofexperts.core.train.loop;

import java.util.SplittableRandom;
import org.soupofexperts.core.batch.BatchSource;
import org.soupofexperts.core.batch.MetaDistribution;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.config.DomainWeights;
import org.soupofexperts.core.config.ModelConfig;

/** A step's inputs with m groups of domain weights: the draws of h and the batch. Stateless. */
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
