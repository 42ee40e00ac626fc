package org.soupofexperts.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;

import org.junit.jupiter.api.Test;
import org.soupofexperts.core.internal.Djl;

import java.util.List;

class AdamWTest {

    @Test
    void twoStepsMatchTheAdamWFormulaWithDecayAndGradientScale() {
        double lr = 0.1;
        double wd = 0.5;
        double b1 = 0.9;
        double b2 = 0.99;
        double eps = 1e-8;
        double scale = 0.5;
        try (NDManager m = Djl.engine().newBaseManager()) {
            NDArray w = m.create(new float[] {1f, -2f});
            w.setRequiresGradient(true);
            try (AdamW opt = new AdamW(List.of(new AdamW.Slot(w, 2.0, wd)), b1, b2, eps)) {
                double[] x = {1, -2};
                double[] mm = new double[2];
                double[] vv = new double[2];
                for (int t = 1; t <= 2; t++) {
                    // loss = sum(w^2) / 2 -> grad = w
                    try (GradientCollector gc = Djl.engine().newGradientCollector()) {
                        gc.backward(w.square().sum().div(2));
                    }
                    opt.step(lr, scale);
                    double rate = lr * 2.0;
                    double corr = Math.sqrt(1 - Math.pow(b2, t)) / (1 - Math.pow(b1, t));
                    for (int i = 0; i < 2; i++) {
                        double g = x[i] * scale;
                        x[i] -= rate * wd * x[i];
                        mm[i] = b1 * mm[i] + (1 - b1) * g;
                        vv[i] = b2 * vv[i] + (1 - b2) * g * g;
                        x[i] -= rate * corr * mm[i] / (Math.sqrt(vv[i]) + eps);
                    }
                    float[] got = w.toFloatArray();
                    assertArrayEquals(new float[] {(float) x[0], (float) x[1]}, got, 1e-5f, "step " + t);
                    assertArrayEquals(new float[] {0f, 0f}, w.getGradient().toFloatArray(), "gradient zeroed");
                }
                assertEquals(2, opt.stepCount());
            }
        }
    }
}
