package org.soupofexperts.core.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.List;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.internal.Djl;
import org.soupofexperts.core.nn.GptModel;
import org.soupofexperts.core.nn.Router;
import org.soupofexperts.core.nn.SoupTensor;

/**
 * A soup's training step with the expert banks' gradients in closed form. With theta = S +
 * sum_j alpha_j E_j and G = dLoss/dtheta, the gradients are dS = G, dE_j = alpha_j G and
 * dalpha_j = &lt;E_j, G&gt;. So the step instantiates theta without autograd, backpropagates through a
 * plain model whose parameters are theta (the specialist's own code), reads dalpha with one
 * product over each bank, backpropagates dalpha through the router, and lets the optimizer form
 * alpha_j G element by element inside its one-pass update. No n x P gradient is ever built: the
 * autograd path writes alpha^T G for every bank, accumulates it into the bank's gradient, reads it
 * for the norm and again in the update, and keeps it in memory. The global norm is exact:
 * |dE|^2 = |alpha|^2 |G|^2.
 *
 * <p>Low-rank experts E_j = U_j V_j^T take autograd through their thin factors only: the router's
 * backward pass also differentiates {@code <sum_j alpha_j U_j V_j^T, G>} with G held constant,
 * which gives dU_j = alpha_j G V_j, dV_j = alpha_j G^T U_j and their share of dalpha, with no
 * bank-sized array (a factor's gradient is the factor's size). So one soup can mix dense and
 * low-rank banks. Not thread-safe; owned by one training run.
 */
final class AnalyticSoupStep {

    private final GptModel model;
    private final Router router;
    private final NDManager manager;
    private final List<AdamW.Slot> slots;
    private final Engine engine;
    private final List<SoupTensor> tensors;
    /** Slot index of each tensor's shared part, bank (dense E or U) and V (low-rank only, else -1). */
    private final int[] sharedSlot;

    private final int[] bankSlot;
    private final int[] vSlot;
    /** Slots that keep their own autograd gradient: low-rank factors and the router. */
    private final List<AdamW.Slot> ownGradient = new java.util.ArrayList<>();

    AnalyticSoupStep(GptModel model, Router router, NDManager manager, List<AdamW.Slot> slots, Engine engine) {
        this.model = model;
        this.router = router;
        this.manager = manager;
        this.slots = slots;
        this.engine = engine;
        this.tensors = model.soupTensors();
        sharedSlot = new int[tensors.size()];
        bankSlot = new int[tensors.size()];
        vSlot = new int[tensors.size()];
        int at = 0;
        for (int i = 0; i < tensors.size(); i++) {
            SoupTensor t = tensors.get(i);
            if (slots.get(at).weight() != t.shared().getArray()
                    || t.bank() == null
                    || slots.get(at + 1).weight() != t.bank().getArray()
                    || (t.lowRank() && slots.get(at + 2).weight() != t.bankV().getArray())) {
                throw new IllegalStateException("optimizer slots are not in model order at tensor " + t.name());
            }
            sharedSlot[i] = at;
            bankSlot[i] = at + 1;
            vSlot[i] = t.lowRank() ? at + 2 : -1;
            if (t.lowRank()) {
                ownGradient.add(slots.get(at + 1));
                ownGradient.add(slots.get(at + 2));
            }
            at += t.lowRank() ? 3 : 2;
        }
        ownGradient.addAll(slots.subList(at, slots.size()));
    }

    /**
     * Runs one step and the update. {@code hs} holds the m groups' domain weights; the batch's
     * sequences are in group order (group g is rows [g B/m, (g+1) B/m)).
     *
     * <p>With m groups, theta_g = S + sum_j alpha_gj E_j for each, and G_g = dLoss/dtheta_g of
     * the loss averaged over all sequences: dS = sum_g G_g, dE_j = sum_g alpha_gj G_g (formed by
     * the optimizer tile by tile from the m arrays G_g), dalpha_g = E G_g. The global norm stays
     * exact: |dE|^2 = sum_j |sum_g alpha_gj G_g|^2 = sum(M o (A A^T)) with M_gg' = &lt;G_g, G_g'&gt;.
     * m = 1 is the step of one h exactly.
     */
    Trainer.StepResult run(
            AdamW opt, TokenBatch tb, double[][] hs, double lr, double clip, int step, boolean skipIdle) {
        int n = model.experts();
        int m = hs.length;
        boolean grouped = m > 1;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray tokens = manager.create(tb.tokens(), new Shape(tb.batchSize(), tb.length()));
            NDArray hArray = Trainer.domainWeights(manager, hs);
            NDArray[] theta = new NDArray[tensors.size()];
            float[] alpha;
            try (Djl.NoGrad ng = Djl.noGrad()) {
                NDArray a = router.alpha(hArray);
                alpha = a.toFloatArray();
                for (int i = 0; i < theta.length; i++) {
                    theta[i] = tensors.get(i).value(a);
                }
            }
            for (NDArray t : theta) {
                t.setRequiresGradient(true);
            }
            GptModel plain = GptModel.withWeights(model.config(), List.of(theta));
            double loss;
            try (GradientCollector gc = engine.newGradientCollector()) {
                NDArray lossArray = plain.loss(tokens, null);
                gc.backward(lossArray);
                loss = lossArray.getFloat();
            } finally {
                plain.closeCaches();
            }
            NDArray[] grads = new NDArray[slots.size()];
            float[][] bankAlpha = new float[slots.size()][];
            NDArray dAlpha = null;
            NDArray sharedSq = null;
            // <G_g, G_g'> summed over the dense-bank tensors (1 x 1 with one group).
            NDArray gram = null;
            try (Djl.NoGrad ng = Djl.noGrad()) {
                for (int i = 0; i < theta.length; i++) {
                    NDArray g = theta[i].getGradient();
                    NDArray perGroup = grouped ? g.reshape(m, -1) : null;
                    NDArray ds = grouped ? perGroup.sum(new int[] {0}) : g;
                    grads[sharedSlot[i]] = ds;
                    NDArray sq = ds.norm().square();
                    sharedSq = sharedSq == null ? sq : sharedSq.add(sq);
                    if (vSlot[i] >= 0) {
                        continue; // the factors get their gradients from the router's pass below
                    }
                    grads[bankSlot[i]] = g;
                    bankAlpha[bankSlot[i]] = alpha;
                    NDArray bank = tensors.get(i).bank().getArray();
                    NDArray d = grouped
                            ? perGroup.matMul(bank.transpose())
                            : bank.matMul(g.reshape(-1, 1)).reshape(n);
                    dAlpha = dAlpha == null ? d : dAlpha.add(d);
                    NDArray mg = grouped ? perGroup.matMul(perGroup.transpose()) : sq;
                    gram = gram == null ? mg : gram.add(mg);
                }
            }
            try (GradientCollector gc = engine.newGradientCollector()) {
                NDArray a = router.alpha(hArray);
                NDArray objective = dAlpha == null ? null : a.mul(dAlpha).sum();
                for (int i = 0; i < theta.length; i++) {
                    if (vSlot[i] >= 0) {
                        NDArray term = tensors.get(i)
                                .expertSum(a)
                                .mul(theta[i].getGradient())
                                .sum();
                        objective = objective == null ? term : objective.add(term);
                    }
                }
                gc.backward(objective);
            }
            // Router and low-rank factors: their own gradients, summed on the engine, one read.
            NDArray ownSqArray = null;
            for (AdamW.Slot slot : ownGradient) {
                NDArray sq = slot.weight().getGradient().norm().square();
                ownSqArray = ownSqArray == null ? sq : ownSqArray.add(sq);
            }
            double ownSq = ownSqArray == null ? 0 : ownSqArray.getFloat();
            double norm = Math.sqrt(sharedSq.getFloat() + denseBankSq(gram, alpha, m, n) + ownSq);
            if (!Double.isFinite(loss) || !Double.isFinite(norm)) {
                Trainer.zeroGradients(ownGradient);
                throw Trainer.diverged(step, loss, norm);
            }
            double scale = clip > 0 && norm > clip ? clip / norm : 1.0;
            opt.step(lr, scale, grads, bankAlpha, m, skipIdle);
            return new Trainer.StepResult(loss, norm, scale < 1.0);
        }
    }

    /** |dE|^2 over the dense banks: sum_{g,g'} M_gg' sum_j alpha_gj alpha_g'j (|alpha|^2 |G|^2 for one group). */
    private static double denseBankSq(NDArray gram, float[] alpha, int m, int n) {
        if (gram == null) {
            return 0;
        }
        float[] gm = gram.toFloatArray();
        double total = 0;
        for (int g = 0; g < m; g++) {
            for (int q = 0; q < m; q++) {
                double dot = 0;
                for (int j = 0; j < n; j++) {
                    dot += (double) alpha[g * n + j] * alpha[q * n + j];
                }
                total += gm[g * m + q] * dot;
            }
        }
        return total;
    }
}
