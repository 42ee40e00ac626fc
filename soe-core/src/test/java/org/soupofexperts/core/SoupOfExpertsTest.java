package org.soupofexperts.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.config.ExpertInit;
import org.soupofexperts.core.config.RouterConfig;
import org.soupofexperts.core.config.SoupConfig;
import org.soupofexperts.core.internal.Djl;
import org.soupofexperts.core.nn.SoupTensor;

class SoupOfExpertsTest {

    private static SoupOfExperts noisySoup(long seed, int experts) {
        return SoupOfExperts.builder()
                .model(ToyDomains.tinyModel())
                .domains(3)
                .experts(experts)
                .expertInit(ExpertInit.SCALED_NOISE)
                .seed(seed)
                .build();
    }

    @Test
    void instantiateEqualsSharedPlusAlphaWeightedExpertsForEveryTensor() {
        long seed = 11;
        try (SoupOfExperts soup = noisySoup(seed, 4)) {
            double[] h = {0.2, 0.5, 0.3};
            double[] alpha = soup.alpha(h);
            assertEquals(4, alpha.length);
            try (Specialist s = soup.instantiate(h)) {
                List<SoupTensor> src = soup.block().soupTensors();
                List<SoupTensor> dst = s.block().soupTensors();
                assertEquals(src.size(), dst.size());
                for (int i = 0; i < src.size(); i++) {
                    float[] shared = src.get(i).shared().getArray().toFloatArray();
                    float[] bank =
                            src.get(i).bank().parameters().get(0).getArray().toFloatArray();
                    float[] got = dst.get(i).shared().getArray().toFloatArray();
                    assertEquals(
                            src.get(i).shape(), dst.get(i).shared().getArray().getShape());
                    double maxDiff = 0;
                    for (int p = 0; p < shared.length; p++) {
                        double expected = shared[p];
                        for (int j = 0; j < alpha.length; j++) {
                            expected += alpha[j] * bank[j * shared.length + p];
                        }
                        maxDiff = Math.max(maxDiff, Math.abs(expected - got[p]));
                    }
                    assertTrue(maxDiff < 1e-5, src.get(i).name() + " differs by " + maxDiff + " (seed " + seed + ")");
                    assertNotEquals(0.0, maxAbs(bank), "experts must be non-zero for the test to mean anything");
                }
            }
        }
    }

    @Test
    void instantiateAlphaMergesTheGivenCoefficientsNotTheRoutersAndRecordsThem() {
        long seed = 13;
        // Coefficients no softmax router gives (negative, above one): the merge must still be S + sum alpha_j E_j.
        double[] alpha = {1.0, -0.5, 0.0, 2.0};
        double[] h = {0.2, 0.5, 0.3};
        try (SoupOfExperts soup = noisySoup(seed, 4);
                Specialist s = soup.instantiateAlpha(alpha, h)) {
            List<SoupTensor> src = soup.block().soupTensors();
            List<SoupTensor> dst = s.block().soupTensors();
            for (int i = 0; i < src.size(); i++) {
                float[] shared = src.get(i).shared().getArray().toFloatArray();
                float[] bank = src.get(i).bank().parameters().get(0).getArray().toFloatArray();
                float[] got = dst.get(i).shared().getArray().toFloatArray();
                double maxDiff = 0;
                for (int p = 0; p < shared.length; p++) {
                    double expected =
                            shared[p] + bank[p] - 0.5 * bank[shared.length + p] + 2.0 * bank[3 * shared.length + p];
                    maxDiff = Math.max(maxDiff, Math.abs(expected - got[p]));
                }
                assertTrue(maxDiff < 1e-5, src.get(i).name() + " differs by " + maxDiff + " (seed " + seed + ")");
            }
            assertArrayEquals(alpha, s.alpha(), 1e-7);
            assertTrue(s.provenance().alphaGiven(), "the provenance says alpha was given, not router(h)");
            assertArrayEquals(h, s.provenance().domainWeights(), 1e-12);
            TokenBatch batch = TokenBatch.of(new int[][] {{1, 2, 3, 4, 5, 6}, {6, 5, 4, 3, 2, 1}});
            assertEquals(s.loss(batch), soup.lossAtAlpha(batch, alpha), 1e-5, "seed " + seed);
            assertEquals(soup.loss(batch, h), soup.lossAtAlpha(batch, soup.alpha(h)), 1e-5, "seed " + seed);
            assertNotEquals(soup.loss(batch, h), soup.lossAtAlpha(batch, alpha), 1e-4);
        }
    }

    @Test
    void coefficientsOfTheWrongLengthOrNotFiniteAreRefusedByName() {
        try (SoupOfExperts soup = noisySoup(14, 4)) {
            double[] h = {0.2, 0.5, 0.3};
            TokenBatch batch = TokenBatch.of(new int[][] {{1, 2, 3}});
            var e = assertThrows(IllegalArgumentException.class, () -> soup.instantiateAlpha(new double[3], h));
            assertTrue(e.getMessage().contains("one coefficient per expert (4)"), e.getMessage());
            e = assertThrows(
                    IllegalArgumentException.class, () -> soup.lossAtAlpha(batch, new double[] {0, Double.NaN, 0, 0}));
            assertTrue(e.getMessage().contains("alpha[1] is NaN"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> soup.lossAtAlpha(batch, null));
            e = assertThrows(
                    IllegalArgumentException.class,
                    () -> soup.instantiateAlpha(new double[] {0, 0, Double.NEGATIVE_INFINITY, 0}, h));
            assertTrue(e.getMessage().contains("alpha[2]"), e.getMessage());
            // Finite as a double, infinite as the float32 the merge runs in: refused, not merged to Infinity.
            e = assertThrows(
                    IllegalArgumentException.class, () -> soup.instantiateAlpha(new double[] {0, 0, 0, 1e39}, h));
            assertTrue(e.getMessage().contains("finite in float32"), e.getMessage());
            try (Specialist routed = soup.instantiate(h)) {
                assertFalse(routed.provenance().alphaGiven(), "instantiate(h) takes alpha from the router");
            }
            assertThrows(IllegalArgumentException.class, () -> soup.instantiateAlpha(new double[4], new double[2]));
        }
    }

    @Test
    void specialistGivesTheSoupsLogitsAndHasBaseSize() {
        try (SoupOfExperts soup = noisySoup(12, 3);
                NDManager m = Djl.engine().newBaseManager()) {
            double[] h = {0.6, 0.1, 0.3};
            int[] ids = new int[2 * 10];
            SplittableRandom rng = new SplittableRandom(5);
            for (int i = 0; i < ids.length; i++) {
                ids[i] = rng.nextInt(ToyDomains.VOCAB);
            }
            NDArray tokens = m.create(ids, new Shape(2, 10));
            try (Specialist s = soup.instantiate(h)) {
                float[] fromSoup = soup.logits(tokens, h).toFloatArray();
                NDArray specLogits = s.logits(tokens);
                assertEquals(new Shape(2, 10, ToyDomains.VOCAB), specLogits.getShape());
                float[] fromSpecialist = specLogits.toFloatArray();
                double maxDiff = 0;
                for (int i = 0; i < fromSoup.length; i++) {
                    maxDiff = Math.max(maxDiff, Math.abs(fromSoup[i] - fromSpecialist[i]));
                }
                assertTrue(maxDiff < 1e-4, "max abs diff " + maxDiff);
                assertEquals(ToyDomains.tinyModel().parameterCount(), s.parameterCount());
                assertEquals(0, s.block().experts());
                for (SoupTensor t : s.block().soupTensors()) {
                    assertFalse(t.hasExperts(), t.name() + " must hold no expert bank");
                }
                // A different h gives a different model.
                float[] other = soup.logits(tokens, new double[] {0, 0, 1}).toFloatArray();
                assertTrue(maxAbsDiff(other, fromSoup) > 1e-4);
            }
        }
    }

    @Test
    void soupStoresSharedExpertsAndRouter() {
        try (SoupOfExperts soup = noisySoup(13, 4)) {
            long base = ToyDomains.tinyModel().parameterCount();
            long router = soup.router().soupTensors().stream()
                    .mapToLong(t -> t.numel())
                    .sum();
            assertEquals(base * 5 + router, soup.parameterCount());
        }
    }

    @Test
    void sameSeedGivesIdenticalSoupsAndDifferentSeedsDiffer() {
        try (SoupOfExperts a = noisySoup(21, 2);
                SoupOfExperts b = noisySoup(21, 2);
                SoupOfExperts c = noisySoup(22, 2)) {
            float[] pa = a.block()
                    .soupTensors()
                    .get(3)
                    .bank()
                    .parameters()
                    .get(0)
                    .getArray()
                    .toFloatArray();
            float[] pb = b.block()
                    .soupTensors()
                    .get(3)
                    .bank()
                    .parameters()
                    .get(0)
                    .getArray()
                    .toFloatArray();
            float[] pc = c.block()
                    .soupTensors()
                    .get(3)
                    .bank()
                    .parameters()
                    .get(0)
                    .getArray()
                    .toFloatArray();
            assertArrayEquals(pa, pb);
            assertTrue(maxAbsDiff(pa, pc) > 0);
        }
    }

    @Test
    void aBatchOfWeightGroupsGivesEachGroupTheLogitsOfItsOwnInstantiation() {
        try (SoupOfExperts soup = noisySoup(15, 3);
                NDManager m = Djl.engine().newBaseManager()) {
            int t = 6;
            int b = 4; // two groups of two sequences
            int[] tokens = new int[b * t];
            SplittableRandom r = new SplittableRandom(15);
            for (int i = 0; i < tokens.length; i++) {
                tokens[i] = r.nextInt(ToyDomains.VOCAB);
            }
            double[][] hs = {{0.7, 0.2, 0.1}, {0.0, 0.1, 0.9}};
            float[] alphas = new float[2 * 3];
            for (int g = 0; g < 2; g++) {
                double[] a = soup.alpha(hs[g]);
                for (int j = 0; j < 3; j++) {
                    alphas[g * 3 + j] = (float) a[j];
                }
            }
            try (Djl.NoGrad ng = Djl.noGrad()) {
                NDArray grouped =
                        soup.block().logits(m.create(tokens, new Shape(b, t)), m.create(alphas, new Shape(2, 3)));
                assertEquals(new Shape(b, t, ToyDomains.VOCAB), grouped.getShape());
                float[] all = grouped.toFloatArray();
                int per = 2 * t * ToyDomains.VOCAB;
                for (int g = 0; g < 2; g++) {
                    int[] rows = Arrays.copyOfRange(tokens, g * 2 * t, (g + 1) * 2 * t);
                    float[] own =
                            soup.logits(m.create(rows, new Shape(2, t)), hs[g]).toFloatArray();
                    assertArrayEquals(own, Arrays.copyOfRange(all, g * per, (g + 1) * per), 1e-5f, "group " + g);
                }
                float[] other = soup.logits(m.create(Arrays.copyOfRange(tokens, 0, 2 * t), new Shape(2, t)), hs[1])
                        .toFloatArray();
                assertTrue(
                        maxAbsDiff(other, Arrays.copyOfRange(all, 0, per)) > 1e-4,
                        "the two groups' weights must differ for the test to mean anything");
            }
        }
    }

    @Test
    void theRoutersOutputInitScaleSetsHowMuchAlphaStartsToDependOnHAndSurvivesSaveAndLoad(@TempDir Path dir)
            throws Exception {
        double[] h0 = {1, 0, 0};
        double[] h1 = {0, 0.5, 0.5};
        for (RouterConfig.Output out : RouterConfig.Output.values()) {
            RouterConfig flat = RouterConfig.of(64, 1, out).withOutputInitScale(0);
            try (SoupOfExperts soup = SoupOfExperts.builder()
                    .model(ToyDomains.tinyModel())
                    .domains(3)
                    .experts(4)
                    .router(flat)
                    .seed(3)
                    .build()) {
                double[] a = soup.alpha(h0);
                assertArrayEquals(a, soup.alpha(h1), 0.0, out + ": zero output weights make alpha the bias alone");
                assertEquals(out == RouterConfig.Output.SOFTMAX ? 0.25 : 0.0, a[0], 1e-7);
                soup.save(dir.resolve(out.name()));
                try (SoupOfExperts back = SoupOfExperts.load(dir.resolve(out.name()))) {
                    assertEquals(flat, back.config().router());
                }
            }
            try (SoupOfExperts soup = SoupOfExperts.builder()
                    .model(ToyDomains.tinyModel())
                    .domains(3)
                    .experts(4)
                    .router(RouterConfig.of(64, 1, out))
                    .seed(3)
                    .build()) {
                assertTrue(
                        maxAbsDiff(toFloats(soup.alpha(h0)), toFloats(soup.alpha(h1))) > 1e-3,
                        out + " at the default scale");
            }
        }
        Assertions.assertThrows(
                IllegalArgumentException.class, () -> RouterConfig.defaults().withOutputInitScale(-1));
    }

    private static float[] toFloats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    @Test
    void laterTokensNeverChangeEarlierOutputs() {
        try (SoupOfExperts soup = noisySoup(14, 2);
                NDManager m = Djl.engine().newBaseManager()) {
            double[] h = {0.3, 0.3, 0.4};
            int t = 12;
            int[] a = new int[t];
            int[] b = new int[t];
            for (int i = 0; i < t; i++) {
                a[i] = i % ToyDomains.VOCAB;
                b[i] = i < 7 ? a[i] : (a[i] + 5) % ToyDomains.VOCAB;
            }
            float[] la = soup.logits(m.create(a, new Shape(1, t)), h).toFloatArray();
            float[] lb = soup.logits(m.create(b, new Shape(1, t)), h).toFloatArray();
            int v = ToyDomains.VOCAB;
            for (int i = 0; i < 7 * v; i++) {
                assertEquals(la[i], lb[i], 1e-6, "position " + (i / v) + " saw a later token");
            }
            assertTrue(
                    maxAbsDiff(Arrays.copyOfRange(la, 7 * v, t * v), Arrays.copyOfRange(lb, 7 * v, t * v)) > 1e-4,
                    "changed positions must change their outputs");
        }
    }

    @Test
    void trainedSoupGivesSpecialistsThatWinOnTheirOwnDomain() {
        ToyDomains data = new ToyDomains();
        SoupConfig config = SoupConfig.builder()
                .model(ToyDomains.tinyModel())
                .domains(2)
                .experts(4)
                .seed(7)
                .build();
        double untrained;
        try (SoupOfExperts fresh = SoupOfExperts.create(config)) {
            untrained = fresh.loss(data.domain(0, 64, 3, 100), new double[] {1, 0});
        }
        try (SoupOfExperts soup = SoupOfExperts.create(config)) {
            soup.train(data.training());
            assertEquals(300, soup.lastReport().steps());
            double[] l = data.assertSpecialistsWinOnTheirOwnDomain(soup);
            assertTrue(
                    l[0] < 0.5 * untrained && l[3] < 0.5 * untrained,
                    "must beat untrained (" + untrained + "): " + Arrays.toString(l));
        }
    }

    private static double maxAbs(float[] a) {
        double m = 0;
        for (float v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
