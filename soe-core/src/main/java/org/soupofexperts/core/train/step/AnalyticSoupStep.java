package org.soupofexperts.core.train.step;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.internal.Djl;
import org.soupofexperts.core.nn.ExpertBank;
import org.soupofexperts.core.nn.GptModel;
import org.soupofexperts.core.train.optimizer.AdamW;
import org.soupofexperts.core.train.optimizer.Gradients;
import org.soupofexperts.core.train.optimizer.ParameterSlots;

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
 * <p>Low-rank experts E_j = U_j V_j^T get their gradients in closed form too: dU_j = sum_g
 * alpha_gj G_g V_j, dV_j = sum_g alpha_gj G_g^T U_j and dalpha_gj = &lt;U_j V_j^T, G_g&gt;, from two
 * batched products per tensor (G V and G^T U, of inner size n r), with no bank-sized array (a
 * factor's gradient is the factor's size). Autograd through {@code sum_j alpha_gj U_j V_j^T} gave
 * the same gradients but built and differentiated m dense P-sized products per tensor: at m = 16
 * it cost a rank-4 soup more than its whole bank update (docs/performance.md). So one soup can mix
 * dense and low-rank banks. Not thread-safe; owned by one training run.
 */
public final class AnalyticSoupStep extends BaseStep {

    private final boolean skipIdle;
    private final List<ParameterSlots.TensorSlots> tensors;
    /** Slots that keep their own autograd gradient: the router's. */
    private final List<AdamW.Slot> ownGradient = new ArrayList<>();

    AnalyticSoupStep(StepParts p, boolean skipIdle) {
        super(p);
        this.skipIdle = skipIdle;
        this.tensors = slots.tensors();
        for (ParameterSlots.TensorSlots t : tensors) {
            if (t.bank() < 0) {
                throw new IllegalStateException("tensor " + t.tensor().name() + " has no experts: not a soup's model");
            }
        }
        ownGradient.addAll(slots.router());
    }

    @Override
    public String describe() {
        return "closed form (fused AdamW)";
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
    @Override
    public StepResult run(TokenBatch tb, double[][] hs, double lr, int step) {
        int m = hs.length;
        try (Djl.Scope scope = Djl.scope()) {
            NDArray tokens = manager.create(tb.tokens(), new Shape(tb.batchSize(), tb.length()));
            NDArray hArray = BaseStep.domainWeights(manager, hs);
            Instantiated f = forwardBackward(tokens, hArray);
            BankGradients b = bankGradients(f.theta(), f.alpha(), m);
            double factorSq = lowRankGradients(f.theta(), f.alpha(), m, b);
            clock.lap("bank reductions (dS, dalpha, Gram)");
            routerBackward(hArray, b.dAlpha());
            double ownSq = ParameterSlots.squaredNorm(ownGradient) + factorSq;
            double norm =
                    Math.sqrt(b.sharedSq().getFloat() + denseBankSq(b.gram(), f.alpha(), m, model.experts()) + ownSq);
            clock.lap("router backward and norm");
            if (!Double.isFinite(f.loss()) || !Double.isFinite(norm)) {
                ParameterSlots.zeroGradients(ownGradient);
                throw StepResult.diverged(step, f.loss(), norm);
            }
            double scale = StepResult.clipScale(norm, clip);
            opt.step(lr, scale, b.given(), skipIdle);
            clock.lap("update");
            return new StepResult(f.loss(), norm, scale < 1.0);
        }
    }

    /** The instantiated weights theta (with their gradients G after the backward pass), alpha and the loss. */
    private record Instantiated(NDArray[] theta, float[] alpha, double loss) {}

    /** theta = S + sum_j alpha_j E_j without autograd, then the loss's backward pass through a plain model of theta. */
    private Instantiated forwardBackward(NDArray tokens, NDArray hArray) {
        NDArray[] theta = new NDArray[tensors.size()];
        float[] alpha;
        try (Djl.NoGrad ng = Djl.noGrad()) {
            NDArray a = router.alpha(hArray);
            alpha = a.toFloatArray();
            for (int i = 0; i < theta.length; i++) {
                theta[i] = tensors.get(i).tensor().value(a);
            }
        }
        clock.lap("router and merge");
        for (NDArray t : theta) {
            t.setRequiresGradient(true);
        }
        GptModel plain = GptModel.withWeights(model.config(), List.of(theta));
        try (GradientCollector gc = Djl.engine().newGradientCollector()) {
            NDArray lossArray = plain.loss(tokens, null);
            gc.backward(lossArray);
            Instantiated out = new Instantiated(theta, alpha, lossArray.getFloat());
            clock.lap("forward and backward");
            return out;
        } finally {
            plain.closeCaches();
        }
    }

    /**
     * The optimizer's gradients by slot (dS, and G itself for a dense bank, whose update forms
     * alpha_j G), dalpha summed over the dense banks, |dS|^2, and the Gram matrix of the groups'
     * G over the dense banks (1 x 1 with one group).
     */
    private static final class BankGradients {
        final Gradients given;
        NDArray dAlpha;
        final NDArray sharedSq;
        final NDArray gram;

        BankGradients(Gradients given, NDArray dAlpha, NDArray sharedSq, NDArray gram) {
            this.given = given;
            this.dAlpha = dAlpha;
            this.sharedSq = sharedSq;
            this.gram = gram;
        }

        /** What the optimizer reads: dS per shared slot, G with alpha per dense bank, dU and dV per factor. */
        Gradients given() {
            return given;
        }

        NDArray dAlpha() {
            return dAlpha;
        }

        NDArray sharedSq() {
            return sharedSq;
        }

        NDArray gram() {
            return gram;
        }

        /** Adds a share of dalpha (shape (m, n), or (n) with one group). */
        void addDAlpha(NDArray d) {
            dAlpha = dAlpha == null ? d : dAlpha.add(d);
        }
    }

    private BankGradients bankGradients(NDArray[] theta, float[] alpha, int m) {
        boolean grouped = m > 1;
        Gradients given = Gradients.forGroups(slots.all().size(), m);
        NDArray dAlpha = null;
        NDArray sharedSq = null;
        NDArray gram = null;
        try (Djl.NoGrad ng = Djl.noGrad()) {
            for (int i = 0; i < theta.length; i++) {
                ParameterSlots.TensorSlots t = tensors.get(i);
                NDArray g = theta[i].getGradient();
                NDArray perGroup = grouped ? g.reshape(m, -1) : null;
                NDArray ds = grouped ? perGroup.sum(new int[] {0}) : g;
                given.plain(t.shared(), ds);
                NDArray sq = ds.norm().square();
                sharedSq = sharedSq == null ? sq : sharedSq.add(sq);
                if (t.lowRank()) {
                    continue; // the factors get their gradients from the router's pass
                }
                given.grouped(t.bank(), g, alpha);
                NDArray bank = ((ExpertBank.Dense) t.tensor().bank()).weights().getArray();
                NDArray d = grouped
                        ? perGroup.matMul(bank.transpose())
                        : bank.matMul(g.reshape(-1, 1)).reshape(model.experts());
                dAlpha = dAlpha == null ? d : dAlpha.add(d);
                NDArray mg = grouped ? perGroup.matMul(perGroup.transpose()) : sq;
                gram = gram == null ? mg : gram.add(mg);
            }
        }
        return new BankGradients(given, dAlpha, sharedSq, gram);
    }

    /**
     * The low-rank factors' gradients in closed form, given to the optimizer as their slots'
     * gradients, and their share of dalpha added to {@code b}; returns their squared norm. With
     * U_j (rows x r), V_j (cols x r) and the m groups' G_g (rows x cols): GV = G [V_1 .. V_n]
     * (m x rows x n r) gives dalpha_gj = &lt;GV_gj, U_j&gt; and dU_j = sum_g alpha_gj GV_gj; G^T U
     * gives dV_j likewise.
     */
    private double lowRankGradients(NDArray[] theta, float[] alpha, int m, BankGradients b) {
        int n = model.experts();
        NDArray sq = null; // summed on the engine, read once: one synchronisation per step, not two per tensor
        try (Djl.NoGrad ng = Djl.noGrad()) {
            NDArray a = null;
            for (int i = 0; i < theta.length; i++) {
                ParameterSlots.TensorSlots t = tensors.get(i);
                if (!t.lowRank()) {
                    continue;
                }
                a = a == null ? manager.create(alpha, new Shape(m, n)) : a;
                ExpertBank.LowRank l = (ExpertBank.LowRank) t.tensor().bank();
                long rows = l.rows();
                long cols = l.cols();
                int r = l.rank();
                NDArray g = theta[i].getGradient().reshape(m, rows, cols);
                NDArray u = l.u().getArray(); // (n, rows, r)
                NDArray v = l.v().getArray(); // (n, cols, r)
                NDArray[] dudv = throughFactors(g, u, v, a, m, n, rows, cols, r, b);
                NDArray du = dudv[0];
                NDArray dv = dudv[1];
                b.given().plain(t.bank(), du).plain(t.bankV(), dv);
                NDArray both = du.square().sum().add(dv.square().sum());
                sq = sq == null ? both : sq.add(both);
            }
        }
        return sq == null ? 0 : sq.getFloat();
    }

    /**
     * The factors' gradients through G V and G^T U (m x rows x n r and m x cols x n r), 2 m P n r
     * multiply-adds. Forming the dense experts and sum_g alpha_gj G_g instead (two n x P
     * temporaries, a third of the multiply-adds at m = 16, r = 4) measured no faster at m = 16
     * and 1.7x slower at m = 4.
     */
    private static NDArray[] throughFactors(
            NDArray g, NDArray u, NDArray v, NDArray a, int m, int n, long rows, long cols, int r, BankGradients b) {
        NDArray gv = g.matMul(v.transpose(1, 0, 2).reshape(cols, (long) n * r)).reshape(m, rows, n, r);
        NDArray gtu = g.transpose(0, 2, 1)
                .matMul(u.transpose(1, 0, 2).reshape(rows, (long) n * r))
                .reshape(m, cols, n, r);
        NDArray d = gv.mul(u.transpose(1, 0, 2)).sum(new int[] {1, 3});
        b.addDAlpha(m > 1 ? d : d.reshape(n));
        NDArray alphaT = a.transpose().reshape(n, 1, m);
        NDArray du =
                alphaT.matMul(gv.transpose(2, 0, 1, 3).reshape(n, m, rows * r)).reshape(n, rows, r);
        NDArray dv =
                alphaT.matMul(gtu.transpose(2, 0, 1, 3).reshape(n, m, cols * r)).reshape(n, cols, r);
        return new NDArray[] {du, dv};
    }

    /** Backpropagates dalpha (every bank's share) through the router. */
    private void routerBackward(NDArray hArray, NDArray dAlpha) {
        if (dAlpha == null) {
            return;
        }
        try (GradientCollector gc = Djl.engine().newGradientCollector()) {
            gc.backward(router.alpha(hArray).mul(dAlpha).sum());
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
