package org.soupofexperts.core;

import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Assertions;
import org.soupofexperts.core.batch.BatchSource;
import org.soupofexperts.core.batch.MetaDistribution;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.config.DomainWeights;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.train.TrainingPlan;

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

    private static MetaDistribution of(Function<SplittableRandom, double[]> draw) {
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

    /** 300 steps that teach a small soup both domains (the specialisation tests' training). */
    TrainingPlan training() {
        return trainingBuilder().build();
    }

    /** The same training, to add settings to. */
    TrainingPlan.Builder trainingBuilder() {
        return TrainingPlan.builder()
                .source(this)
                .metaDistribution(meta())
                .steps(300)
                .batchSize(16)
                .contextLength(4)
                .learningRate(3e-3)
                .warmup(20)
                .logEvery(0);
    }

    /**
     * Losses {s0 on d0, s0 on d1, s1 on d0, s1 on d1} of the soup's one-hot specialists on
     * three-token sequences (two predictions: the first needs the domain, the second is in
     * context), after asserting that each specialist beats the other on its own domain.
     */
    double[] assertSpecialistsWinOnTheirOwnDomain(SoupOfExperts soup) {
        TokenBatch d0 = domain(0, 64, 3, 100);
        TokenBatch d1 = domain(1, 64, 3, 101);
        try (Specialist s0 = soup.instantiate(DomainWeights.oneHot(2, 0));
                Specialist s1 = soup.instantiate(DomainWeights.oneHot(2, 1))) {
            double[] l = {s0.loss(d0), s0.loss(d1), s1.loss(d0), s1.loss(d1)};
            String table = String.format("s0: d0 %.3f d1 %.3f; s1: d0 %.3f d1 %.3f", l[0], l[1], l[2], l[3]);
            Assertions.assertTrue(l[0] + 0.1 < l[2], "specialist 0 must beat specialist 1 on domain 0: " + table);
            Assertions.assertTrue(l[3] + 0.1 < l[1], "specialist 1 must beat specialist 0 on domain 1: " + table);
            return l;
        }
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
