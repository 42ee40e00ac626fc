package org.soupofexperts.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.config.ExpertInit;
import org.soupofexperts.core.internal.Djl;
import org.soupofexperts.core.nn.SoupTensor;

/** The method notes' identities: dS = G, dE_j = alpha_j G, and the router gets d alpha_j = <E_j, G>. */
class GradientTest {

    private static final long SEED = 31;
    private static final double[] H = {0.5, 0.2, 0.3};

    private static SoupOfExperts soup() {
        SoupOfExperts soup = SoupOfExperts.builder()
                .model(ToyDomains.tinyModel())
                .domains(3)
                .experts(3)
                .expertInit(ExpertInit.SCALED_NOISE)
                .seed(SEED)
                .build();
        // Larger experts make the router's share of the gradient large enough to measure.
        try (Djl.NoGrad ng = Djl.noGrad()) {
            for (SoupTensor t : soup.block().soupTensors()) {
                t.bank().parameters().get(0).getArray().muli(10);
            }
        }
        return soup;
    }

    private static int[] tokens() {
        SplittableRandom rng = new SplittableRandom(SEED);
        int[] ids = new int[2 * 9];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = rng.nextInt(ToyDomains.VOCAB);
        }
        return ids;
    }

    @Test
    void expertGradientIsAlphaTimesGradientOfTheInstantiatedTensor() {
        try (SoupOfExperts soup = soup();
                NDManager m = Djl.engine().newBaseManager()) {
            List<float[]> g = new ArrayList<>();
            try (Specialist s = soup.instantiate(H)) {
                for (SoupTensor t : s.block().soupTensors()) {
                    t.shared().getArray().setRequiresGradient(true);
                }
                try (GradientCollector gc = Djl.engine().newGradientCollector()) {
                    gc.backward(s.block().loss(m.create(tokens(), new Shape(2, 9)), null));
                }
                for (SoupTensor t : s.block().soupTensors()) {
                    g.add(t.shared().getArray().getGradient().toFloatArray());
                }
            }
            try (GradientCollector gc = Djl.engine().newGradientCollector()) {
                NDArray alpha = soup.router().alpha(m.create(new float[] {0.5f, 0.2f, 0.3f}));
                gc.backward(soup.block().loss(m.create(tokens(), new Shape(2, 9)), alpha));
            }
            double[] alpha = soup.alpha(H);
            List<SoupTensor> tensors = soup.block().soupTensors();
            for (int i = 0; i < tensors.size(); i++) {
                float[] gi = g.get(i);
                float[] ds = tensors.get(i).shared().getArray().getGradient().toFloatArray();
                float[] de = tensors.get(i)
                        .bank()
                        .parameters()
                        .get(0)
                        .getArray()
                        .getGradient()
                        .toFloatArray();
                double scale = 1e-6 + maxAbs(gi);
                for (int p = 0; p < gi.length; p++) {
                    assertEquals(gi[p], ds[p], 1e-4 * scale, tensors.get(i).name() + " dS[" + p + "]");
                    for (int j = 0; j < alpha.length; j++) {
                        assertEquals(
                                alpha[j] * gi[p],
                                de[j * gi.length + p],
                                1e-4 * scale * Math.max(1, Math.abs(alpha[j])),
                                tensors.get(i).name() + " dE_" + j + "[" + p + "]");
                    }
                }
            }
        }
    }

    @Test
    void routerGradientMatchesFiniteDifferences() {
        try (SoupOfExperts soup = soup();
                NDManager m = Djl.engine().newBaseManager()) {
            TokenBatch batch = new TokenBatch(2, 9, tokens(), null);
            try (GradientCollector gc = Djl.engine().newGradientCollector()) {
                NDArray alpha = soup.router().alpha(m.create(new float[] {0.5f, 0.2f, 0.3f}));
                gc.backward(soup.block().loss(m.create(tokens(), new Shape(2, 9)), alpha));
            }
            for (SoupTensor t : soup.router().soupTensors()) {
                NDArray w = t.shared().getArray();
                float[] grad = w.getGradient().toFloatArray();
                assertTrue(maxAbs(grad) > 0, t.name() + " received no gradient");
                int best = argMaxAbs(grad);
                float[] values = w.toFloatArray();
                double eps = 1e-2;
                double plus = lossWith(soup, w, values, best, eps, batch);
                double minus = lossWith(soup, w, values, best, -eps, batch);
                lossWith(soup, w, values, best, 0, batch);
                double fd = (plus - minus) / (2 * eps);
                assertEquals(
                        grad[best],
                        fd,
                        0.05 * Math.abs(grad[best]) + 2e-5,
                        t.name() + "[" + best + "]: autograd " + grad[best] + " vs finite difference " + fd + " (seed "
                                + SEED + ")");
            }
        }
    }

    private static double lossWith(
            SoupOfExperts soup, NDArray w, float[] values, int index, double delta, TokenBatch batch) {
        float[] changed = values.clone();
        changed[index] += (float) delta;
        try (Djl.NoGrad ng = Djl.noGrad()) {
            w.set(FloatBuffer.wrap(changed));
        }
        return soup.loss(batch, H);
    }

    private static int argMaxAbs(float[] a) {
        int best = 0;
        for (int i = 1; i < a.length; i++) {
            if (Math.abs(a[i]) > Math.abs(a[best])) {
                best = i;
            }
        }
        return best;
    }

    private static double maxAbs(float[] a) {
        double m = 0;
        for (float v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }
}
