package org.soupofexperts.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.soupofexperts.core.config.ExpertInit;
import org.soupofexperts.core.config.ExpertRanks;
import org.soupofexperts.core.config.SoupConfig;
import org.soupofexperts.core.internal.Djl;
import org.soupofexperts.core.io.SoupFormatException;
import org.soupofexperts.core.io.internal.ArtifactDirectory;
import org.soupofexperts.core.io.internal.ConfigJson;
import org.soupofexperts.core.nn.SoupLinear;
import org.soupofexperts.core.nn.SoupTensor;

/** Low-rank experts E_j = U_j V_j^T: the merge, the gradients, the memory, training and saving. */
class LowRankExpertsTest {

    @TempDir
    Path tmp;

    /** S + sum_j alpha_j U_j V_j^T, by loops in double precision, for U (n, rows, r) and V (n, cols, r). */
    private static double[] denseFormula(float[] s, float[] u, float[] v, float[] alpha, int rows, int cols, int r) {
        double[] w = new double[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int c = 0; c < cols; c++) {
                double x = s[i * cols + c];
                for (int j = 0; j < alpha.length; j++) {
                    for (int k = 0; k < r; k++) {
                        x += alpha[j] * u[(j * rows + i) * r + k] * v[(j * cols + c) * r + k];
                    }
                }
                w[i * cols + c] = x;
            }
        }
        return w;
    }

    @Test
    void linearWeightIsSharedPlusAlphaWeightedFactorProducts() {
        try (NDManager m = Djl.engine().newBaseManager()) {
            // in=2, out=3 (W is in x out), n=2, r=1 (5 values per expert against 6 dense).
            // U_1 = [1, 2]^T, V_1 = [1, 0, 0]^T; U_2 = [0, 1]^T, V_2 = [3, 4, 0]^T.
            SoupLinear lin = new SoupLinear("l", 2, 3, false, 2, 0.02, ExpertRanks.uniform(1));
            SoupTensor w = lin.soupTensors().get(0);
            assertTrue(w.lowRank());
            w.shared().setArray(m.create(new float[] {1, 0, 0, 0, 1, 0}, new Shape(2, 3)));
            w.bank().parameters().get(0).setArray(m.create(new float[] {1, 2, 0, 1}, new Shape(2, 2, 1)));
            w.bank().parameters().get(1).setArray(m.create(new float[] {1, 0, 0, 3, 4, 0}, new Shape(2, 3, 1)));
            NDArray alpha = m.create(new float[] {2f, -1f});
            // E_1 = [[1, 0, 0], [2, 0, 0]], E_2 = [[0, 0, 0], [3, 4, 0]]; W = S + 2 E_1 - E_2 = [[3, 0, 0], [1, -3, 0]]
            assertArrayEquals(new float[] {3, 0, 0, 1, -3, 0}, w.value(alpha).toFloatArray(), 1e-6f);
            // y = x W with x = [1, 2]: [3 + 2, 0 - 6, 0]
            NDArray x = m.create(new float[] {1, 2}, new Shape(1, 2));
            NDArray y = lin.forward(null, new NDList(x, alpha), false).head();
            assertEquals(new Shape(1, 3), y.getShape());
            assertArrayEquals(new float[] {5, -6, 0}, y.toFloatArray(), 1e-6f);
        }
    }

    @Test
    void instantiateEqualsTheDenseFormulaForEveryTensor() {
        double[] h = {0.2, 0.8};
        try (SoupOfExperts soup = SoupOfExperts.builder()
                        .model(ToyDomains.tinyModel())
                        .domains(2)
                        .experts(3)
                        .expertRank(2)
                        .expertInit(ExpertInit.SCALED_NOISE)
                        .seed(11)
                        .build();
                Specialist s = soup.instantiate(h)) {
            float[] alpha = toFloats(soup.alpha(h));
            List<SoupTensor> src = soup.block().soupTensors();
            List<SoupTensor> dst = s.block().soupTensors();
            int lowRank = 0;
            for (int i = 0; i < src.size(); i++) {
                SoupTensor t = src.get(i);
                float[] got = dst.get(i).shared().getArray().toFloatArray();
                float[] shared = t.shared().getArray().toFloatArray();
                double[] want;
                if (t.lowRank()) {
                    lowRank++;
                    assertFalse(dst.get(i).hasExperts());
                    want = denseFormula(
                            shared,
                            t.bank().parameters().get(0).getArray().toFloatArray(),
                            t.bank().parameters().get(1).getArray().toFloatArray(),
                            alpha,
                            (int) t.shape().get(0),
                            (int) t.shape().get(1),
                            t.rank());
                } else {
                    assertEquals(1, t.shape().dimension(), "only vectors stay dense: " + t.name());
                    float[] e = t.bank().parameters().get(0).getArray().toFloatArray();
                    want = new double[shared.length];
                    for (int p = 0; p < shared.length; p++) {
                        want[p] = shared[p];
                        for (int j = 0; j < alpha.length; j++) {
                            want[p] += alpha[j] * e[j * shared.length + p];
                        }
                    }
                }
                double maxDiff = 0;
                double maxDelta = 0;
                for (int p = 0; p < got.length; p++) {
                    maxDiff = Math.max(maxDiff, Math.abs(got[p] - want[p]));
                    maxDelta = Math.max(maxDelta, Math.abs(want[p] - shared[p]));
                }
                assertTrue(maxDiff < 1e-6, t.name() + " differs from the formula by " + maxDiff);
                assertTrue(maxDelta > 1e-4, t.name() + ": the experts must contribute for the test to mean anything");
            }
            assertEquals(2 + 4 * 2, lowRank, "wte, wpe and four matrices per layer are low-rank");
        }
    }

    @Test
    void bankHoldsRankTimesRowsPlusColumnsPerExpertOfEachMatrix() {
        // tinyModel: vocab 16, context 16, d 32, mlp 2 x 32, 2 layers, with biases.
        int n = 3;
        int r = 4;
        long matrices = (16 + 32) + (16 + 32) + 2 * ((96 + 32) + (32 + 32) + (64 + 32) + (32 + 64));
        long vectors = 2 * (32 + 32 + 96 + 32 + 32 + 32 + 64 + 32) + 32 + 32;
        long denseMatrices = 16 * 32 + 16 * 32 + 2 * (96 * 32 + 32 * 32 + 64 * 32 + 32 * 64);
        try (SoupOfExperts lowRank = soup(r, 0);
                SoupOfExperts dense = soup(0, 0)) {
            assertEquals(n * (r * matrices + vectors), lowRank.bankParameterCount());
            assertEquals(n * (denseMatrices + vectors), dense.bankParameterCount());
            long stored = 0;
            long all = 0;
            for (SoupTensor t : lowRank.block().soupTensors()) {
                for (Parameter p : t.bank().parameters()) {
                    stored += p.getArray().size();
                }
                all += t.shared().getArray().size();
            }
            for (SoupTensor t : lowRank.router().soupTensors()) {
                all += t.shared().getArray().size();
            }
            assertEquals(lowRank.bankParameterCount(), stored, "native arrays must hold what the formula says");
            assertEquals(lowRank.parameterCount(), all + stored, "stored parameters: S, banks and router");
        }
    }

    private static SoupOfExperts soup(int rank, long seed) {
        return SoupOfExperts.builder()
                .model(ToyDomains.tinyModel())
                .domains(2)
                .experts(3)
                .expertRank(rank)
                .seed(seed)
                .build();
    }

    @Test
    void rulesOverrideTheDefaultAndMatricesWhoseFactorsWouldNotBeSmallerStayDense() {
        SoupConfig c = SoupConfig.builder()
                .model(ToyDomains.tinyModel())
                .domains(2)
                .experts(2)
                .expertRank(4)
                .expertRank("h\\d+\\.mlp\\..*", 0)
                .expertRank("wpe\\.weight", 2)
                .seed(1)
                .build();
        try (SoupOfExperts soup = SoupOfExperts.create(c)) {
            for (SoupTensor t : soup.block().soupTensors()) {
                int want = t.shape().dimension() != 2 || t.name().contains(".mlp.")
                        ? 0
                        : t.name().equals("wpe.weight") ? 2 : 4;
                assertEquals(want, t.rank(), t.name());
            }
        }
        // 32 x 32: rank 15 stores 15 x 64 = 960 < 1024 values per expert; rank 16 stores 1024, so dense.
        Shape square = new Shape(32, 32);
        assertEquals(15, ExpertRanks.uniform(15).rankOf("m", square));
        assertEquals(0, ExpertRanks.uniform(16).rankOf("m", square));
        assertEquals(0, ExpertRanks.uniform(1000).rankOf("m", new Shape(16, 96)));
        assertEquals(0, ExpertRanks.uniform(4).rankOf("m", new Shape(32)), "vectors are dense");
        // A pattern that backtracks without end (from a forged manifest) fails, it does not hang.
        ExpertRanks slow = ExpertRanks.of(0, List.of(new ExpertRanks.Rule(".*".repeat(40) + "!", 1)));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> slow.rankOf("h0.mlp.fc.weight", square));
        assertTrue(e.getMessage().contains("steps to match tensor name 'h0.mlp.fc.weight'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ExpertRanks.Rule("a".repeat(257), 1));
        assertTrue(e.getMessage().contains("at most 256 characters"), e.getMessage());
        try (SoupOfExperts huge = soup(1000, 0);
                SoupOfExperts dense = soup(0, 0)) {
            assertEquals(
                    dense.bankParameterCount(), huge.bankParameterCount(), "a rank past the break-even point is dense");
        }
    }

    @Test
    void theSharedPartsAndRouterStartTheSameWhateverTheExperts() {
        for (ExpertInit init : ExpertInit.values()) {
            SoupConfig.Builder b = SoupConfig.builder()
                    .model(ToyDomains.tinyModel())
                    .domains(2)
                    .experts(3)
                    .expertInit(init)
                    .seed(9);
            try (SoupOfExperts dense = SoupOfExperts.create(b.expertRank(0).build());
                    SoupOfExperts lowRank = SoupOfExperts.create(b.expertRank(2).build())) {
                for (int i = 0; i < dense.block().soupTensors().size(); i++) {
                    assertArrayEquals(
                            dense.block()
                                    .soupTensors()
                                    .get(i)
                                    .shared()
                                    .getArray()
                                    .toFloatArray(),
                            lowRank.block()
                                    .soupTensors()
                                    .get(i)
                                    .shared()
                                    .getArray()
                                    .toFloatArray(),
                            init + " S");
                }
                for (int i = 0; i < dense.router().soupTensors().size(); i++) {
                    assertArrayEquals(
                            dense.router()
                                    .soupTensors()
                                    .get(i)
                                    .shared()
                                    .getArray()
                                    .toFloatArray(),
                            lowRank.router()
                                    .soupTensors()
                                    .get(i)
                                    .shared()
                                    .getArray()
                                    .toFloatArray(),
                            init + " router");
                }
            }
        }
    }

    @Test
    void badRanksAndRulesAreRejectedWithTheirReason() {
        SoupConfig.Builder b =
                SoupConfig.builder().model(ToyDomains.tinyModel()).domains(2).seed(1);
        assertMessage(() -> b.expertRank(-1).build(), "must be >= 0");
        assertMessage(() -> b.expertRank(2).expertRank("h0.mpl.fc.weight", 0).build(), "matches no matrix");
        assertMessage(
                () -> SoupConfig.builder()
                        .model(ToyDomains.tinyModel())
                        .domains(2)
                        .seed(1)
                        .expertRank("h\\d\\..*", 4)
                        .expertRank("h0\\.mlp\\..*", 0)
                        .build(),
                "never applies");
        assertMessage(() -> ExpertRanks.dense().with("h0.(", 2), "not a valid regular expression");
        assertMessage(() -> ExpertRanks.uniform(2).with("wte.weight", -3), "must be >= 0");
    }

    private static void assertMessage(Executable e, String fragment) {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e);
        assertTrue(x.getMessage().contains(fragment), x.getMessage());
    }

    @Test
    void factorGradientsAreAlphaTimesGradientTimesTheOtherFactor() {
        // Loss <W(alpha), C> has dW = C, so dU_j = alpha_j C V_j, dV_j = alpha_j C^T U_j, dalpha_j = <U_j V_j^T, C>.
        int rows = 5;
        int cols = 4;
        int n = 2;
        int r = 2; // 18 values per expert against 20 dense
        float[] u = new float[n * rows * r];
        float[] v = new float[n * cols * r];
        float[] c = new float[rows * cols];
        SplittableRandom rng = new SplittableRandom(5);
        for (float[] a : new float[][] {u, v, c}) {
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) (rng.nextDouble() * 4 - 2);
            }
        }
        float[] alpha = {0.7f, -1.5f};
        try (NDManager m = Djl.engine().newBaseManager()) {
            SoupLinear lin = new SoupLinear("l", rows, cols, false, n, 0.02, ExpertRanks.uniform(r));
            SoupTensor w = lin.soupTensors().get(0);
            w.shared().setArray(m.zeros(new Shape(rows, cols)));
            w.bank().parameters().get(0).setArray(m.create(u, new Shape(n, rows, r)));
            w.bank().parameters().get(1).setArray(m.create(v, new Shape(n, cols, r)));
            w.bank().parameters().get(0).getArray().setRequiresGradient(true);
            w.bank().parameters().get(1).getArray().setRequiresGradient(true);
            NDArray a = m.create(alpha);
            a.setRequiresGradient(true);
            try (GradientCollector gc = Djl.engine().newGradientCollector()) {
                gc.backward(w.value(a).mul(m.create(c, new Shape(rows, cols))).sum());
            }
            float[] du = w.bank().parameters().get(0).getArray().getGradient().toFloatArray();
            float[] dv = w.bank().parameters().get(1).getArray().getGradient().toFloatArray();
            float[] dAlpha = a.getGradient().toFloatArray();
            for (int j = 0; j < n; j++) {
                double inner = 0;
                for (int i = 0; i < rows; i++) {
                    for (int k = 0; k < r; k++) {
                        double want = 0;
                        for (int col = 0; col < cols; col++) {
                            want += alpha[j] * c[i * cols + col] * v[(j * cols + col) * r + k];
                            inner += u[(j * rows + i) * r + k] * v[(j * cols + col) * r + k] * c[i * cols + col];
                        }
                        assertEquals(want, du[(j * rows + i) * r + k], 1e-5, "dU");
                    }
                }
                for (int col = 0; col < cols; col++) {
                    for (int k = 0; k < r; k++) {
                        double want = 0;
                        for (int i = 0; i < rows; i++) {
                            want += alpha[j] * c[i * cols + col] * u[(j * rows + i) * r + k];
                        }
                        assertEquals(want, dv[(j * cols + col) * r + k], 1e-5, "dV");
                    }
                }
                assertEquals(inner, dAlpha[j], 1e-4, "dalpha");
            }
        }
    }

    @Test
    void lowRankSoupTrainsSpecialistsThatWinOnTheirOwnDomain() {
        ToyDomains data = new ToyDomains();
        SoupConfig config = SoupConfig.builder()
                .model(ToyDomains.tinyModel())
                .domains(2)
                .experts(4)
                .expertRank(2)
                .seed(7)
                .build();
        try (SoupOfExperts soup = SoupOfExperts.create(config)) {
            soup.train(data.training());
            double[] l = data.assertSpecialistsWinOnTheirOwnDomain(soup);
            assertTrue(l[0] < 0.5 * Math.log(ToyDomains.VOCAB), "must learn domain 0: " + Arrays.toString(l));
            // The factors moved: U started at zero.
            double maxU = 0;
            for (SoupTensor t : soup.block().soupTensors()) {
                if (t.lowRank()) {
                    for (float x : t.bank().parameters().get(0).getArray().toFloatArray()) {
                        maxU = Math.max(maxU, Math.abs(x));
                    }
                }
            }
            assertTrue(maxU > 1e-3, "U must have been trained, max |U| = " + maxU);
        }
    }

    @Test
    void lowRankSoupRoundTripsAndAnEditedRankIsRefused() throws IOException {
        Path dir = tmp.resolve("soup");
        SoupConfig config = SoupConfig.builder()
                .model(ToyDomains.tinyModel())
                .domains(2)
                .experts(3)
                .expertRank(2)
                .expertRank("h1\\..*", 0)
                .expertInit(ExpertInit.SCALED_NOISE)
                .seed(3)
                .build();
        double[] h = {0.6, 0.4};
        try (SoupOfExperts soup = SoupOfExperts.create(config)) {
            soup.save(dir);
            try (SoupOfExperts back = SoupOfExperts.load(dir);
                    Specialist a = soup.instantiate(h);
                    Specialist b = back.instantiate(h)) {
                assertEquals(config.expertRanks(), back.config().expertRanks());
                List<SoupTensor> x = soup.block().soupTensors();
                List<SoupTensor> y = back.block().soupTensors();
                for (int i = 0; i < x.size(); i++) {
                    assertEquals(x.get(i).rank(), y.get(i).rank());
                    assertArrayEquals(
                            x.get(i).bank().parameters().get(0).getArray().toByteArray(),
                            y.get(i).bank().parameters().get(0).getArray().toByteArray());
                    if (x.get(i).lowRank()) {
                        assertArrayEquals(
                                x.get(i).bank().parameters().get(1).getArray().toByteArray(),
                                y.get(i).bank().parameters().get(1).getArray().toByteArray());
                    }
                }
                for (int i = 0; i < a.block().soupTensors().size(); i++) {
                    assertArrayEquals(
                            a.block().soupTensors().get(i).shared().getArray().toFloatArray(),
                            b.block().soupTensors().get(i).shared().getArray().toFloatArray());
                }
            }
        }
        Path manifest = dir.resolve(ArtifactDirectory.MANIFEST);
        JsonObject m = JsonParser.parseString(Files.readString(manifest)).getAsJsonObject();
        m.getAsJsonObject("config")
                .add(
                        "expertRanks",
                        ConfigJson.expertRanks(ExpertRanks.uniform(3).with("h1\\..*", 0)));
        Files.writeString(manifest, m.toString());
        SoupFormatException e = assertThrows(SoupFormatException.class, () -> SoupOfExperts.load(dir));
        assertTrue(e.getMessage().contains("edited or damaged"), e.getMessage());
        // Also with the checksum gone (as in a manifest of an earlier version): the shapes catch it.
        m.remove(ArtifactDirectory.MANIFEST_SHA256);
        Files.writeString(manifest, m.toString());
        e = assertThrows(SoupFormatException.class, () -> SoupOfExperts.load(dir));
        assertTrue(
                e.getMessage().contains("wte.weight.experts.u")
                        && e.getMessage().contains("where the config declares"),
                e.getMessage());
    }

    @Test
    void manifestsWithoutExpertRanksLoadAsDense() throws IOException {
        Path dir = tmp.resolve("old");
        try (SoupOfExperts soup = soup(0, 4)) {
            soup.save(dir);
        }
        Path manifest = dir.resolve(ArtifactDirectory.MANIFEST);
        JsonObject m = JsonParser.parseString(Files.readString(manifest)).getAsJsonObject();
        m.getAsJsonObject("config").remove("expertRanks");
        m.remove(ArtifactDirectory.MANIFEST_SHA256); // manifests of that time had no checksum either
        Files.writeString(manifest, m.toString());
        try (SoupOfExperts back = SoupOfExperts.load(dir)) {
            assertTrue(back.config().expertRanks().isDense());
        }
    }

    private static float[] toFloats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }
}
