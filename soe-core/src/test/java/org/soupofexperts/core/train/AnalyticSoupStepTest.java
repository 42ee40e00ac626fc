package org.soupofexperts.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.soupofexperts.core.ExpertInit;
import org.soupofexperts.core.ExpertRanks;
import org.soupofexperts.core.ModelConfig;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.nn.SoupTensor;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** The closed-form soup step must train exactly like autograd through the banks. */
class AnalyticSoupStepTest {

    private static final int VOCAB = 12;

    /** Two domains: counting up by 1 or by 5 (mod VOCAB) from a random start. */
    private static final BatchSource TOY = new BatchSource() {
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

    private static final MetaDistribution PI = new MetaDistribution() {
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

    private static List<float[]> trainAndRead(boolean closedForm, double clip) {
        return trainAndRead(closedForm, clip, ExpertRanks.dense());
    }

    private static List<float[]> trainAndRead(boolean closedForm, double clip, ExpertRanks ranks) {
        boolean before = AnalyticSoupStep.enabled;
        AnalyticSoupStep.enabled = closedForm;
        try (SoupOfExperts soup = SoupOfExperts.builder()
                .model(ModelConfig.builder().vocabSize(VOCAB).layers(2).dModel(16).heads(2).mlpRatio(2).contextLength(8).build())
                .domains(2).experts(3).expertRanks(ranks).expertInit(ExpertInit.SCALED_NOISE).seed(11).build()) {
            soup.train(TrainingConfig.builder().sampler(TOY).metaDistribution(PI).steps(6).batchSize(4).contextLength(6)
                    .learningRate(1e-2).warmup(0).gradClip(clip).logEvery(0).seed(3).build());
            List<float[]> values = new ArrayList<>();
            for (SoupTensor t : soup.block().soupTensors()) {
                values.add(t.shared().getArray().toFloatArray());
                values.add(t.bank().getArray().toFloatArray());
                if (t.lowRank()) {
                    values.add(t.bankV().getArray().toFloatArray());
                }
            }
            values.add(toFloats(soup.alpha(new double[] {0.3, 0.7})));
            values.add(new float[] {(float) soup.lastReport().clippedFraction()});
            return values;
        } finally {
            AnalyticSoupStep.enabled = before;
        }
    }

    private static float[] toFloats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    @Test
    void theClosedFormStepGivesTheSameParametersAsAutogradThroughTheBanks() {
        for (double clip : new double[] {0.0, 0.05}) {
            List<float[]> autograd = trainAndRead(false, clip);
            List<float[]> closed = trainAndRead(true, clip);
            assertEquals(autograd.size(), closed.size());
            for (int i = 0; i < autograd.size(); i++) {
                assertArrayEquals(autograd.get(i), closed.get(i), 2e-5f, "array " + i + " (clip " + clip + ")");
            }
            if (clip > 0) {
                assertTrue(closed.get(closed.size() - 1)[0] > 0.5f, "the small clip must have been hit, so the norms agree too");
            }
        }
    }

    @Test
    void aSoupMixingDenseAndLowRankBanksTrainsAsByAutograd() {
        // Layer 0's matrices low-rank, layer 1's and the embeddings' dense; vectors always dense.
        ExpertRanks mixed = ExpertRanks.dense().with("h0\\..*", 2);
        for (double clip : new double[] {0.0, 0.05}) {
            List<float[]> autograd = trainAndRead(false, clip, mixed);
            List<float[]> closed = trainAndRead(true, clip, mixed);
            assertEquals(autograd.size(), closed.size());
            assertTrue(closed.size() > trainAndRead(true, clip).size(), "the soup must have V factors");
            for (int i = 0; i < autograd.size(); i++) {
                assertArrayEquals(autograd.get(i), closed.get(i), 2e-5f, "array " + i + " (clip " + clip + ")");
            }
            if (clip > 0) {
                assertTrue(closed.get(closed.size() - 1)[0] > 0.5f, "the small clip must have been hit, so the norms agree too");
            }
        }
    }

    @Test
    void aBankUpdateFromAlphaTimesGEqualsTheUpdateFromTheMaterialisedGradient() {
        int n = 3;
        int p = 100_003; // the rows straddle chunk boundaries
        SplittableRandom r = new SplittableRandom(7);
        float[] alpha = {0.5f, -1.25f, 2f};
        float[] g = new float[p];
        for (int i = 0; i < p; i++) {
            g[i] = (float) r.nextGaussian();
        }
        float[] full = new float[n * p];
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < p; i++) {
                full[j * p + i] = alpha[j] * g[i];
            }
        }
        float[][] w = new float[2][n * p];
        float[][] m = new float[2][n * p];
        float[][] v = new float[2][n * p];
        for (int i = 0; i < n * p; i++) {
            w[0][i] = w[1][i] = (float) r.nextGaussian();
        }
        FusedAdamKernel.updateBank(java.nio.FloatBuffer.wrap(w[0]), java.nio.FloatBuffer.wrap(g.clone()), alpha,
                java.nio.FloatBuffer.wrap(m[0]), java.nio.FloatBuffer.wrap(v[0]), 0.01f, 0.02f, 0.1f, 0.8f, 0.9f, 0.95f, 1e-8f);
        FusedAdamKernel.update(java.nio.FloatBuffer.wrap(w[1]), java.nio.FloatBuffer.wrap(full), java.nio.FloatBuffer.wrap(m[1]),
                java.nio.FloatBuffer.wrap(v[1]), 0.01f, 0.02f, 0.1f, 0.8f, 0.9f, 0.95f, 1e-8f);
        // Equal up to rounding: one kernel forms (alpha * scale) * g, the other (alpha * g) * scale.
        assertArrayEquals(w[1], w[0], 1e-6f);
        assertArrayEquals(m[1], m[0], 1e-6f);
        assertArrayEquals(v[1], v[0], 1e-6f);
    }
}
