package org.soupofexperts.core.train.optimizer;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.soupofexperts.core.internal.Djl;
import org.soupofexperts.core.nn.ExpertBank;
import org.soupofexperts.core.nn.GptModel;
import org.soupofexperts.core.nn.Router;
import org.soupofexperts.core.nn.SoupTensor;
import org.soupofexperts.core.train.ParamGroup;
import org.soupofexperts.core.train.TrainingPlan;

/**
 * The trained arrays of a run as optimizer slots, with the place of each tensor's parts named
 * instead of derived by index arithmetic: for every model tensor its shared part S, its bank (a
 * dense E or the factor U) and the low-rank factor V; then the router's tensors. The optimizer,
 * the checkpoints and both soup steps read this one list. Not thread-safe; owned by one run.
 */
public final class ParameterSlots {

    /** Where one model tensor's parts are in {@link #all()}; {@code bank} and {@code bankV} are -1 when absent. */
    public record TensorSlots(SoupTensor tensor, int shared, int bank, int bankV) {
        public boolean lowRank() {
            return bankV >= 0;
        }
    }

    private final List<AdamW.Slot> all = new ArrayList<>();
    private final List<TensorSlots> tensors = new ArrayList<>();
    private final int routerFrom;

    /** The slots of every trainable tensor of {@code model} and {@code router}, as {@code cfg} sets them. */
    public ParameterSlots(GptModel model, Router router, TrainingPlan cfg) {
        boolean shareV = cfg.soupStep().expertUpdate() == TrainingPlan.ExpertUpdate.SHARED_SECOND_MOMENT;
        boolean half = cfg.soupStep().bankMoments() == TrainingPlan.MomentPrecision.BFLOAT16;
        int n = model.experts();
        for (SoupTensor t : model.soupTensors()) {
            int shared = add(slot(t.shared().getArray(), ParamGroup.SHARED, t.decayed(), cfg, n));
            int bank = -1;
            int bankV = -1;
            if (t.bank() instanceof ExpertBank.Dense d) {
                AdamW.Slot b = slot(d.weights().getArray(), ParamGroup.EXPERTS, t.decayed(), cfg, n);
                // A dense bank may divide by its shared tensor's second moment (the expert update option).
                bank = add(new AdamW.Slot(b.weight(), b.lrScale(), b.weightDecay(), shareV ? shared : -1, half));
            } else if (t.bank() instanceof ExpertBank.LowRank l) {
                bank = add(bankSlot(l.u().getArray(), t.decayed(), cfg, n, half));
                bankV = add(bankSlot(l.v().getArray(), t.decayed(), cfg, n, half));
            }
            tensors.add(new TensorSlots(t, shared, bank, bankV));
        }
        routerFrom = all.size();
        for (SoupTensor t : router == null ? List.<SoupTensor>of() : router.soupTensors()) {
            add(slot(t.shared().getArray(), ParamGroup.ROUTER, t.decayed(), cfg, n));
        }
    }

    private int add(AdamW.Slot s) {
        all.add(s);
        return all.size() - 1;
    }

    private static AdamW.Slot slot(NDArray w, ParamGroup g, boolean decayed, TrainingPlan cfg, int experts) {
        return new AdamW.Slot(
                w,
                cfg.optimizer().learningRateScale(g, experts),
                decayed ? cfg.optimizer().weightDecay(g) : 0.0);
    }

    private static AdamW.Slot bankSlot(NDArray w, boolean decayed, TrainingPlan cfg, int experts, boolean half) {
        AdamW.Slot s = slot(w, ParamGroup.EXPERTS, decayed, cfg, experts);
        return new AdamW.Slot(s.weight(), s.lrScale(), s.weightDecay(), -1, half);
    }

    /** Every slot, in the optimizer's (and the checkpoints') order. */
    public List<AdamW.Slot> all() {
        return Collections.unmodifiableList(all);
    }

    /** The model's tensors with the places of their parts, in model order. */
    public List<TensorSlots> tensors() {
        return Collections.unmodifiableList(tensors);
    }

    /** The router's slots. */
    public List<AdamW.Slot> router() {
        return all.subList(routerFrom, all.size());
    }

    /** The trained weights, in slot order. */
    public List<NDArray> weights() {
        List<NDArray> w = new ArrayList<>();
        for (AdamW.Slot s : all) {
            w.add(s.weight());
        }
        return w;
    }

    /** Sets every gradient of these slots to exactly zero (see {@link Djl#zeroGradient}). */
    public static void zeroGradients(List<AdamW.Slot> slots) {
        for (AdamW.Slot s : slots) {
            Djl.zeroGradient(s.weight());
        }
    }

    /** Global L2 norm of the slots' gradients, with one synchronisation. */
    public static double globalNorm(List<AdamW.Slot> slots) {
        return Math.sqrt(squaredNorm(slots));
    }

    /** Sum of the squares of the slots' gradients (0 for none), with one synchronisation. */
    public static double squaredNorm(List<AdamW.Slot> slots) {
        NDArray total = null;
        for (AdamW.Slot s : slots) {
            // norm() reads the gradient once; square().sum() would also write a full-size copy.
            NDArray sq = s.weight().getGradient().norm().square();
            total = total == null ? sq : total.add(sq);
        }
        return total == null ? 0 : total.getFloat();
    }
}
