package org.soupofexperts.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.config.ExpertInit;
import org.soupofexperts.core.internal.Djl;
import org.soupofexperts.core.io.Dtype;
import org.soupofexperts.core.nn.SoupTensor;

/** One row of expert coefficients per layer group: the merge, its provenance, the loss and its gradient. */
class LayerAlphaTest {

    private static final double[] H = {0.2, 0.5, 0.3};
    private static final TokenBatch BATCH = TokenBatch.of(new int[][] {{1, 2, 3, 4, 5, 6, 7}, {7, 6, 5, 4, 3, 2, 1}});

    private static SoupOfExperts noisySoup(long seed) {
        return SoupOfExperts.builder()
                .model(ToyDomains.tinyModel())
                .domains(3)
                .experts(4)
                .expertInit(ExpertInit.SCALED_NOISE)
                .seed(seed)
                .build();
    }

    /** Row g: coefficients no router gives (negative, above one), different in every group. */
    private static double[][] rows(int groups) {
        double[][] a = new double[groups][];
        for (int g = 0; g < groups; g++) {
            a[g] = new double[] {1.0 + g, -0.5 * g, 0.25, 0.5 - g};
        }
        return a;
    }

    /** The group a tensor's name puts it in: the embeddings 0, layer l (names "hL.") l + 1, the final norm last. */
    private static int groupByName(String name, int layers) {
        if (name.startsWith("wte.") || name.startsWith("wpe.")) {
            return 0;
        }
        if (name.startsWith("ln_f.")) {
            return layers + 1;
        }
        return Integer.parseInt(name.substring(1, name.indexOf('.'))) + 1;
    }

    @Test
    void theModelCardOfALayerWiseSpecialistGivesItsRows(@TempDir Path dir) throws IOException {
        try (SoupOfExperts soup = noisySoup(25);
                Specialist s = soup.instantiateLayerAlpha(rows(soup.layerGroups()), H)) {
            s.exportHuggingFace(dir.resolve("hf"), Dtype.F32);
            String card = Files.readString(dir.resolve("hf").resolve("README.md"));
            assertTrue(card.contains("one row per layer group") && card.contains("[[1.0,-0.0,0.25,0.5]"), card);
        }
    }

    @Test
    void everyTensorIsMergedWithTheRowOfItsOwnLayerGroup() {
        long seed = 21;
        try (SoupOfExperts soup = noisySoup(seed)) {
            int layers = ToyDomains.tinyModel().layers();
            assertEquals(layers + 2, soup.layerGroups());
            double[][] alpha = rows(soup.layerGroups());
            try (Specialist s = soup.instantiateLayerAlpha(alpha, H)) {
                List<SoupTensor> src = soup.block().soupTensors();
                List<SoupTensor> dst = s.block().soupTensors();
                for (int i = 0; i < src.size(); i++) {
                    double[] a = alpha[groupByName(src.get(i).name(), layers)];
                    float[] shared = src.get(i).shared().getArray().toFloatArray();
                    float[] bank =
                            src.get(i).bank().parameters().get(0).getArray().toFloatArray();
                    float[] got = dst.get(i).shared().getArray().toFloatArray();
                    double maxDiff = 0;
                    for (int p = 0; p < shared.length; p++) {
                        double expected = shared[p];
                        for (int j = 0; j < a.length; j++) {
                            expected += a[j] * bank[j * shared.length + p];
                        }
                        maxDiff = Math.max(maxDiff, Math.abs(expected - got[p]));
                    }
                    assertTrue(maxDiff < 1e-5, src.get(i).name() + " differs by " + maxDiff + " (seed " + seed + ")");
                }
                assertTrue(s.provenance().alphaGiven());
                double[][] recorded = s.provenance().layerAlpha();
                assertEquals(alpha.length, recorded.length);
                for (int g = 0; g < alpha.length; g++) {
                    assertArrayEquals(alpha[g], recorded[g], 1e-12);
                }
                // alpha() is the rows' mean: column 0 is 1, 2, ..., groups, so its mean is (groups + 1) / 2.
                assertEquals((alpha.length + 1) / 2.0, s.alpha()[0], 1e-12);
            }
        }
    }

    @Test
    void equalRowsGiveTheModelAndLossOfThatAlpha() {
        long seed = 22;
        double[] alpha = {0.1, 0.6, 0.2, 0.1};
        try (SoupOfExperts soup = noisySoup(seed)) {
            double[][] same = new double[soup.layerGroups()][];
            Arrays.fill(same, alpha);
            try (Specialist layered = soup.instantiateLayerAlpha(same, H);
                    Specialist flat = soup.instantiateAlpha(alpha, H)) {
                assertEquals(flat.loss(BATCH), layered.loss(BATCH), 1e-6, "seed " + seed);
                assertEquals(0, flat.provenance().layerAlpha().length, "one alpha records no layer rows");
            }
            assertEquals(
                    soup.lossAtAlpha(BATCH, alpha),
                    soup.layerAlphaLoss(BATCH, same).loss(),
                    1e-5);
        }
    }

    @Test
    void theGradientIsTheLossSlopeAlongEveryCoefficient() {
        long seed = 23;
        try (SoupOfExperts soup = noisySoup(seed)) {
            double[][] alpha = rows(soup.layerGroups());
            for (double[] row : alpha) {
                for (int j = 0; j < row.length; j++) {
                    row[j] *= 0.3; // a smaller merge keeps the loss smooth at the finite-difference step
                }
            }
            float[] before = gradients(soup);
            boolean gradMode = JniUtils.isGradMode();
            SoupOfExperts.LayerAlphaLoss at = soup.layerAlphaLoss(BATCH, alpha);
            assertEquals(gradMode, JniUtils.isGradMode(), "the thread's grad mode is as it was");
            assertArrayEquals(before, gradients(soup), "S and the experts get no gradient (seed " + seed + ")");
            try (Specialist s = soup.instantiateLayerAlpha(alpha, H)) {
                assertEquals(
                        s.loss(BATCH), at.loss(), 1e-5, "the loss is the instantiated model's (seed " + seed + ")");
            }
            double eps = 1e-2;
            double largest = 0;
            for (int g = 0; g < alpha.length; g++) {
                for (int j = 0; j < alpha[g].length; j++) {
                    double[][] up = copy(alpha);
                    double[][] down = copy(alpha);
                    up[g][j] += eps;
                    down[g][j] -= eps;
                    double slope = (soup.layerAlphaLoss(BATCH, up).loss()
                                    - soup.layerAlphaLoss(BATCH, down).loss())
                            / (2 * eps);
                    double grad = at.gradient()[g][j];
                    largest = Math.max(largest, Math.abs(grad));
                    assertEquals(
                            slope,
                            grad,
                            2e-3 + 0.05 * Math.abs(slope),
                            "d loss / d alpha[" + g + "][" + j + "] (seed " + seed + ")");
                }
            }
            assertTrue(largest > 1e-2, "the experts must move the loss for the test to mean anything: " + largest);
        }
    }

    @Test
    void aLossWithAWaitGivesNothingWhileTheGradientLockIsHeldAndTheSameLossOnceItIsFree() throws Exception {
        try (SoupOfExperts soup = noisySoup(25)) {
            double[][] alpha = rows(soup.layerGroups());
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            // Another thread holds the JVM's gradient lock, as a training run does for its whole run.
            Thread trainer = new Thread(() -> {
                Djl.gradientLock().lock();
                try {
                    held.countDown();
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    Djl.gradientLock().unlock();
                }
            });
            trainer.start();
            try {
                held.await();
                assertTrue(soup.layerAlphaLoss(BATCH, alpha, Duration.ZERO).isEmpty());
                assertTrue(
                        soup.layerAlphaLoss(BATCH, alpha, Duration.ofMillis(20)).isEmpty());
                // An interrupt ends the wait too, and the thread stays interrupted.
                Thread.currentThread().interrupt();
                assertTrue(soup.layerAlphaLoss(BATCH, alpha, Duration.ofDays(1)).isEmpty());
                assertTrue(Thread.interrupted(), "the interrupt flag is set again");
            } finally {
                release.countDown();
                trainer.join();
            }
            Optional<SoupOfExperts.LayerAlphaLoss> free =
                    soup.layerAlphaLoss(BATCH, alpha, Duration.ofSeconds(Long.MAX_VALUE));
            assertTrue(free.isPresent(), "a free lock is taken, and a wait past 292 years is no error");
            SoupOfExperts.LayerAlphaLoss plain = soup.layerAlphaLoss(BATCH, alpha);
            assertEquals(plain.loss(), free.get().loss(), 0);
            assertArrayEquals(plain.gradient()[1], free.get().gradient()[1], 0);
            var e = assertThrows(
                    IllegalArgumentException.class, () -> soup.layerAlphaLoss(BATCH, alpha, Duration.ofMillis(-1)));
            assertTrue(e.getMessage().contains("wait for the gradient lock"), e.getMessage());
        }
    }

    @Test
    void malformedLayerAlphaIsRefusedByName() {
        try (SoupOfExperts soup = noisySoup(24)) {
            int groups = soup.layerGroups();
            var e = assertThrows(
                    IllegalArgumentException.class, () -> soup.instantiateLayerAlpha(new double[groups - 1][4], H));
            assertTrue(e.getMessage().contains("one row per layer group (" + groups), e.getMessage());
            double[][] shortRow = rows(groups);
            shortRow[1] = new double[3];
            e = assertThrows(IllegalArgumentException.class, () -> soup.layerAlphaLoss(BATCH, shortRow));
            assertTrue(e.getMessage().contains("row 1"), e.getMessage());
            double[][] nan = rows(groups);
            nan[2][3] = Double.NaN;
            e = assertThrows(IllegalArgumentException.class, () -> soup.instantiateLayerAlpha(nan, H));
            assertTrue(e.getMessage().contains("row 2") && e.getMessage().contains("alpha[3] is NaN"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> soup.layerAlphaLoss(BATCH, null));
            double[][] nullRow = rows(groups);
            nullRow[0] = null;
            assertThrows(IllegalArgumentException.class, () -> soup.instantiateLayerAlpha(nullRow, H));
            TokenBatch tooLong =
                    TokenBatch.of(new int[][] {new int[ToyDomains.tinyModel().contextLength() + 2]});
            assertThrows(IllegalArgumentException.class, () -> soup.layerAlphaLoss(tooLong, rows(groups)));
        }
    }

    /** Every stored gradient of S and the banks, one after another. */
    private static float[] gradients(SoupOfExperts soup) {
        List<Float> all = new ArrayList<>();
        for (SoupTensor t : soup.block().soupTensors()) {
            List<Parameter> ps = new ArrayList<>(t.bank().parameters());
            ps.add(t.shared());
            for (Parameter p : ps) {
                for (float f : p.getArray().getGradient().toFloatArray()) {
                    all.add(f);
                }
            }
        }
        float[] out = new float[all.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = all.get(i);
        }
        return out;
    }

    private static double[][] copy(double[][] a) {
        double[][] out = new double[a.length][];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i].clone();
        }
        return out;
    }
}
