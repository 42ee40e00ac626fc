package org.soupofexperts.core.train.step;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.soupofexperts.core.SoupInternals;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.batch.BatchSource;
import org.soupofexperts.core.batch.MetaDistribution;
import org.soupofexperts.core.config.ExpertInit;
import org.soupofexperts.core.config.ExpertRanks;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.nn.SoupTensor;
import org.soupofexperts.core.train.ToySources;
import org.soupofexperts.core.train.TrainingPlan;
import org.soupofexperts.core.train.optimizer.FusedAdamKernel;
import org.soupofexperts.core.train.optimizer.Moments;

/** The closed-form soup step must train exactly like autograd through the banks. */
class AnalyticSoupStepTest {

    private static final int VOCAB = ToySources.VOCAB;
    private static final BatchSource TOY = ToySources.COUNTING;
    private static final MetaDistribution PI = ToySources.UNIFORM_MIX;

    private static List<float[]> trainAndRead(boolean closedForm, double clip) {
        return trainAndRead(closedForm, clip, ExpertRanks.dense(), 1);
    }

    private static List<float[]> trainAndRead(boolean closedForm, double clip, ExpertRanks ranks, int hPerStep) {
        return trainAndRead(closedForm, clip, ranks, hPerStep, PI);
    }

    private static List<float[]> trainAndRead(
            boolean closedForm, double clip, ExpertRanks ranks, int hPerStep, MetaDistribution pi) {
        try (SoupOfExperts soup = SoupOfExperts.builder()
                .model(ModelConfig.builder()
                        .vocabSize(VOCAB)
                        .layers(2)
                        .dModel(16)
                        .heads(2)
                        .mlpRatio(2)
                        .contextLength(8)
                        .build())
                .domains(2)
                .experts(3)
                .expertRanks(ranks)
                .expertInit(ExpertInit.SCALED_NOISE)
                .seed(11)
                .build()) {
            soup.train(TrainingPlan.builder()
                    .source(TOY)
                    .metaDistribution(pi)
                    .steps(6)
                    .batchSize(4)
                    .contextLength(6)
                    .hPerStep(hPerStep)
                    .learningRate(1e-2)
                    .warmup(0)
                    .gradClip(clip)
                    .logEvery(0)
                    .seed(3)
                    .stepAlgorithm(
                            closedForm ? TrainingPlan.StepAlgorithm.CLOSED_FORM : TrainingPlan.StepAlgorithm.AUTOGRAD)
                    .build());
            List<float[]> values = new ArrayList<>();
            for (SoupTensor t : SoupInternals.block(soup).soupTensors()) {
                values.add(t.shared().getArray().toFloatArray());
                values.add(t.bank().parameters().get(0).getArray().toFloatArray());
                if (t.lowRank()) {
                    values.add(t.bank().parameters().get(1).getArray().toFloatArray());
                }
            }
            values.add(toFloats(soup.alpha(new double[] {0.3, 0.7})));
            values.add(new float[] {(float) soup.lastReport().clippedFraction()});
            return values;
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
    void theClosedFormStepGivesTheSameParametersAsAutogradThroughTheBanksForEveryGroupCount() {
        for (int m : new int[] {1, 2, 4}) {
            for (double clip : new double[] {0.0, 0.05}) {
                List<float[]> autograd = trainAndRead(false, clip, ExpertRanks.dense(), m);
                List<float[]> closed = trainAndRead(true, clip, ExpertRanks.dense(), m);
                assertSame(autograd, closed, "m=" + m + ", clip " + clip);
                if (clip > 0) {
                    assertTrue(
                            closed.get(closed.size() - 1)[0] > 0.5f,
                            "the small clip must have been hit, so the norms agree too");
                }
            }
        }
    }

    @Test
    void aSoupMixingDenseAndLowRankBanksTrainsAsByAutogradForEveryGroupCount() {
        // Layer 0's matrices low-rank, layer 1's and the embeddings' dense; vectors always dense.
        ExpertRanks mixed = ExpertRanks.dense().with("h0\\..*", 2);
        for (int m : new int[] {1, 4}) {
            for (double clip : new double[] {0.0, 0.05}) {
                List<float[]> autograd = trainAndRead(false, clip, mixed, m);
                List<float[]> closed = trainAndRead(true, clip, mixed, m);
                assertTrue(closed.size() > trainAndRead(true, clip).size(), "the soup must have V factors");
                assertSame(autograd, closed, "m=" + m + ", clip " + clip);
                if (clip > 0) {
                    assertTrue(
                            closed.get(closed.size() - 1)[0] > 0.5f,
                            "the small clip must have been hit, so the norms agree too");
                }
            }
        }
    }

    @Test
    void optionsOfTheClosedFormStepAndOfTheFusedUpdateAreRefusedBeforeTrainingWhereTheyCannotRun() {
        try (SoupOfExperts soup = SoupOfExperts.builder()
                .model(ModelConfig.builder()
                        .vocabSize(VOCAB)
                        .layers(1)
                        .dModel(8)
                        .heads(2)
                        .contextLength(8)
                        .build())
                .domains(2)
                .experts(2)
                .seed(1)
                .build()) {
            for (TrainingPlan.Builder b : List.of(
                    TrainingPlan.builder()
                            .expertUpdate(TrainingPlan.ExpertUpdate.SHARED_SECOND_MOMENT)
                            .stepAlgorithm(TrainingPlan.StepAlgorithm.AUTOGRAD),
                    TrainingPlan.builder().skipIdleExperts(true).stepAlgorithm(TrainingPlan.StepAlgorithm.AUTOGRAD))) {
                IllegalArgumentException e = Assertions.assertThrows(
                        IllegalArgumentException.class,
                        () -> soup.train(b.source(TOY)
                                .metaDistribution(PI)
                                .steps(2)
                                .batchSize(2)
                                .contextLength(4)
                                .logEvery(0)
                                .build()));
                assertTrue(e.getMessage().contains("need the closed-form soup step"), e.getMessage());
            }
            String closedForm =
                    refusedWithoutTheFusedUpdate(b -> b.stepAlgorithm(TrainingPlan.StepAlgorithm.CLOSED_FORM));
            assertTrue(closedForm.contains("needs fusedUpdate(true)"), closedForm);
            String half = refusedWithoutTheFusedUpdate(b -> b.bankMoments(TrainingPlan.MomentPrecision.BFLOAT16));
            assertTrue(half.contains("bfloat16 bank moments"), half);
        }
    }

    /** The message with which a config that sets {@code option} and turns the fused update off is refused. */
    private static String refusedWithoutTheFusedUpdate(UnaryOperator<TrainingPlan.Builder> option) {
        return Assertions.assertThrows(
                        IllegalArgumentException.class,
                        () -> option.apply(TrainingPlan.builder()
                                        .source(TOY)
                                        .metaDistribution(PI)
                                        .steps(2)
                                        .batchSize(2))
                                .fusedUpdate(false)
                                .build())
                .getMessage();
    }

    @Test
    void groupsThatAllDrawTheSameHTrainLikeOneHPerStep() {
        // With a fixed h every group's weights are the same theta, and the toy source draws the
        // same sequences whether asked once for 4 or 4 times for 1: only the arithmetic differs.
        MetaDistribution fixed = new MetaDistribution() {
            @Override
            public int numDomains() {
                return 2;
            }

            @Override
            public double[] sample(SplittableRandom rng) {
                return new double[] {0.4, 0.6};
            }
        };
        List<float[]> one = trainAndRead(true, 0.05, ExpertRanks.dense(), 1, fixed);
        List<float[]> four = trainAndRead(true, 0.05, ExpertRanks.dense(), 4, fixed);
        assertSame(one, four, "m=4 vs m=1 at one fixed h");
        List<float[]> random = trainAndRead(true, 0.05, ExpertRanks.dense(), 4);
        boolean differs = false;
        for (int i = 0; i < one.size() - 2; i++) {
            differs |= !Arrays.equals(one.get(i), random.get(i));
        }
        assertTrue(differs, "a different h stream must change the parameters (the comparison above is not vacuous)");
    }

    private static void assertSame(List<float[]> expected, List<float[]> actual, String what) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), actual.get(i), 2e-5f, "array " + i + " (" + what + ")");
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
        FusedAdamKernel.updateBank(
                FloatBuffer.wrap(w[0]),
                FloatBuffer.wrap(g.clone()),
                alpha,
                FloatBuffer.wrap(m[0]),
                FloatBuffer.wrap(v[0]),
                0.01f,
                0.02f,
                0.1f,
                0.8f,
                0.9f,
                0.95f,
                1e-8f);
        FusedAdamKernel.update(
                FloatBuffer.wrap(w[1]),
                FloatBuffer.wrap(full),
                FloatBuffer.wrap(m[1]),
                FloatBuffer.wrap(v[1]),
                0.01f,
                0.02f,
                0.1f,
                0.8f,
                0.9f,
                0.95f,
                1e-8f);
        // Equal up to rounding: one kernel forms (alpha * scale) * g, the other (alpha * g) * scale.
        assertArrayEquals(w[1], w[0], 1e-6f);
        assertArrayEquals(m[1], m[0], 1e-6f);
        assertArrayEquals(v[1], v[0], 1e-6f);
    }

    /** Expert j's gradient is sum_g alpha_gj G_g: the grouped kernel must match the materialised sum. */
    @Test
    void aGroupedBankUpdateEqualsTheUpdateFromTheMaterialisedGradient() {
        int n = 3;
        int groups = 4;
        int p = 50_001; // not a multiple of the tile
        SplittableRandom r = new SplittableRandom(9);
        float[] alpha = new float[groups * n];
        for (int i = 0; i < alpha.length; i++) {
            alpha[i] = (float) r.nextGaussian();
        }
        float[] g = gaussians(r, groups * p);
        float[] full = new float[n * p];
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < p; i++) {
                double sum = 0;
                for (int q = 0; q < groups; q++) {
                    sum += (double) alpha[q * n + j] * g[q * p + i];
                }
                full[j * p + i] = (float) sum;
            }
        }
        float[] w0 = gaussians(r, n * p);
        float[] w1 = w0.clone();
        float[] m0 = new float[n * p];
        float[] m1 = new float[n * p];
        float[] v0 = new float[n * p];
        float[] v1 = new float[n * p];
        FusedAdamKernel.updateBank(
                wrap(w0),
                wrap(g),
                alpha,
                groups,
                moments(m0),
                moments(v0),
                false,
                false,
                0.01f,
                0.02f,
                0.1f,
                0.8f,
                0.9f,
                0.95f,
                1e-8f);
        FusedAdamKernel.update(wrap(w1), wrap(full), wrap(m1), wrap(v1), 0.01f, 0.02f, 0.1f, 0.8f, 0.9f, 0.95f, 1e-8f);
        assertArrayEquals(w1, w0, 1e-5f);
        assertArrayEquals(m1, m0, 1e-5f);
        assertArrayEquals(v1, v0, 1e-5f);
    }

    /**
     * The shared second moment: expert j moves by rateCorr * m_j / (sqrt(v_S) + eps), v_S read and
     * never written, so an expert with a small alpha takes a small step. Checked by hand.
     */
    @Test
    void aSharedSecondMomentScalesEachExpertsStepByItsAlpha() {
        int n = 2;
        int p = 5;
        float[] alpha = {0.01f, 1f};
        float[] g = {1f, -2f, 0.5f, 3f, -1f};
        float[] vShared = {0.25f, 4f, 1f, 9f, 1f};
        float[] w = new float[n * p];
        float[] m = new float[n * p];
        float rate = 0.1f;
        float rateCorr = 0.5f;
        float wd = 0.2f;
        float b1 = 0.9f;
        float[] v = vShared.clone();
        FusedAdamKernel.updateBank(
                wrap(w.clone()),
                wrap(g),
                alpha,
                1,
                moments(m),
                moments(v),
                true,
                false,
                rate,
                rateCorr,
                wd,
                1f,
                b1,
                0.95f,
                0f);
        assertArrayEquals(vShared, v, 0f, "the shared second moment is read, never written");
        float[] w1 = new float[n * p];
        float[] m1 = new float[n * p];
        Arrays.fill(w1, 1f);
        FusedAdamKernel.updateBank(
                wrap(w1),
                wrap(g),
                alpha,
                1,
                moments(m1),
                moments(v),
                true,
                false,
                rate,
                rateCorr,
                wd,
                1f,
                b1,
                0.95f,
                0f);
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < p; i++) {
                double mom = (1 - b1) * alpha[j] * g[i];
                double expected = 1.0 * (1 - rate * wd) - rateCorr * mom / Math.sqrt(vShared[i]);
                assertEquals(mom, m1[j * p + i], 1e-7, "m of expert " + j + " at " + i);
                assertEquals(expected, w1[j * p + i], 1e-6, "w of expert " + j + " at " + i);
            }
        }
        // The step of expert 0 (alpha 0.01) is a hundredth of expert 1's.
        double step0 = 1 - rate * wd - w1[0];
        double step1 = 1 - rate * wd - w1[p];
        assertEquals(0.01, step0 / step1, 1e-4);
    }

    @Test
    void anExpertWhoseAlphaIsZeroInEveryGroupIsLeftUntouched() {
        int n = 3;
        int groups = 2;
        int p = 7;
        SplittableRandom r = new SplittableRandom(5);
        float[] alpha = {0.5f, 0f, 0f, -1f, 0f, 0.25f}; // expert 1 idle in both groups; 2 only in group 0
        float[] g = gaussians(r, groups * p);
        float[] w = gaussians(r, n * p);
        float[] m = gaussians(r, n * p);
        float[] v = new float[n * p];
        Arrays.fill(v, 0.5f);
        float[] w0 = w.clone();
        float[] m0 = m.clone();
        FusedAdamKernel.updateBank(
                wrap(w),
                wrap(g),
                alpha,
                groups,
                moments(m),
                moments(v),
                false,
                true,
                0.01f,
                0.02f,
                0.1f,
                1f,
                0.9f,
                0.95f,
                1e-8f);
        for (int i = 0; i < p; i++) {
            assertEquals(w0[p + i], w[p + i], 0f, "idle expert's weight");
            assertEquals(m0[p + i], m[p + i], 0f, "idle expert's first moment");
            assertEquals(0.5f, v[p + i], 0f, "idle expert's second moment");
            assertTrue(w[i] != w0[i] && w[2 * p + i] != w0[2 * p + i], "the other experts move");
        }
    }

    private static float[] gaussians(SplittableRandom r, int count) {
        float[] f = new float[count];
        for (int i = 0; i < count; i++) {
            f[i] = (float) r.nextGaussian();
        }
        return f;
    }

    private static FloatBuffer wrap(float[] a) {
        return FloatBuffer.wrap(a);
    }

    private static Moments moments(float[] a) {
        return Moments.of(wrap(a));
    }
}
