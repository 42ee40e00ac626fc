package org.soupofexperts.core;

import org.soupofexperts.core.train.BatchSource;
import org.soupofexperts.core.train.MetaDistribution;
import org.soupofexperts.core.train.TokenBatch;

import java.util.SplittableRandom;

/**
 * Two toy domains over one vocabulary of 16 tokens: domain 0 counts up by 1, domain 1 by 3
 * (mod 16), each sequence starting at a random token. After the first token everything is
 * determined by the domain; a model that does not know the domain must guess the first step
 * (or read it from context, so evaluation uses short sequences).
 */
final class ToyDomains implements BatchSource {

    static final int VOCAB = 16;

    @Override
    public int numDomains() {
        return 2;
    }

    @Override
    public TokenBatch sample(double[] h, int batchSize, int length, SplittableRandom rng) {
        int[] tokens = new int[batchSize * length];
        int[] domains = new int[batchSize];
        for (int b = 0; b < batchSize; b++) {
            int d = rng.nextDouble() < h[0] ? 0 : 1;
            domains[b] = d;
            int t = rng.nextInt(VOCAB);
            for (int i = 0; i < length; i++) {
                tokens[b * length + i] = t;
                t = (t + (d == 0 ? 1 : 3)) % VOCAB;
            }
        }
        return new TokenBatch(batchSize, length, tokens, domains);
    }

    /** A batch drawn from one domain only. */
    TokenBatch domain(int d, int batchSize, int length, long seed) {
        return sample(DomainWeights.oneHot(2, d), batchSize, length, new SplittableRandom(seed));
    }

    /** Half the steps one-hot, half uniform on the simplex. */
    static MetaDistribution meta() {
        return of(rng -> {
            double u = rng.nextDouble();
            if (rng.nextBoolean()) {
                u = u < 0.5 ? 0 : 1;
            }
            return new double[] {u, 1 - u};
        });
    }

    /** Always one domain. */
    static MetaDistribution only(int d) {
        return of(rng -> DomainWeights.oneHot(2, d));
    }

    private static MetaDistribution of(java.util.function.Function<SplittableRandom, double[]> draw) {
        return new MetaDistribution() {
            @Override
            public int numDomains() {
                return 2;
            }

            @Override
            public double[] sample(SplittableRandom rng) {
                return draw.apply(rng);
            }
        };
    }

    static ModelConfig tinyModel() {
        return ModelConfig.builder()
                .vocabSize(VOCAB)
                .layers(2)
                .dModel(32)
                .heads(2)
                .mlpRatio(2)
                .contextLength(16)
                .build();
    }
}
