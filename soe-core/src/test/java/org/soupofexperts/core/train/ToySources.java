package org.soupofexperts.core.train;

import java.util.SplittableRandom;
import org.soupofexperts.core.batch.BatchSource;
import org.soupofexperts.core.batch.MetaDistribution;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.config.ModelConfig;

/** Test fixtures of the training tests: a two-domain toy source and a meta-distribution over it. */
public final class ToySources {

    public static final int VOCAB = 12;

    /** A one-layer model of the toy vocabulary, for tests of the training loop's bookkeeping. */
    public static final ModelConfig ONE_LAYER = ModelConfig.builder()
            .vocabSize(VOCAB)
            .layers(1)
            .dModel(16)
            .heads(2)
            .mlpRatio(2)
            .contextLength(8)
            .build();

    /** Two domains: counting up by 1 or by 5 (mod VOCAB) from a random start. */
    public static final BatchSource COUNTING = new BatchSource() {
        @Override
        public int numDomains() {
            return 2;
        }

        @Override
        public TokenBatch sample(double[] h, int batchSize, int length, SplittableRandom rng) {
            int[] tokens = new int[batchSize * length];
            for (int b = 0; b < batchSize; b++) {
                int step = rng.nextDouble() < h[0] ? 1 : 5;
                int t = rng.nextInt(VOCAB);
                for (int i = 0; i < length; i++) {
                    tokens[b * length + i] = t;
                    t = (t + step) % VOCAB;
                }
            }
            return new TokenBatch(batchSize, length, tokens, new int[batchSize]);
        }
    };

    /** h = (u, 1 - u) with u uniform. */
    public static final MetaDistribution UNIFORM_MIX = new MetaDistribution() {
        @Override
        public int numDomains() {
            return 2;
        }

        @Override
        public double[] sample(SplittableRandom rng) {
            double u = rng.nextDouble();
            return new double[] {u, 1 - u};
        }
    };

    private ToySources() {}
}
