package org.soupofexperts.core.train.step;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.internal.Djl;
import org.soupofexperts.core.nn.GptModel;
import org.soupofexperts.core.nn.Router;
import org.soupofexperts.core.nn.SoupTensor;
import org.soupofexperts.core.train.checkpoint.Checkpoints;
import org.soupofexperts.core.train.optimizer.ParameterSlots;

/**
 * The autograd step over several devices (data parallelism in one process): replica 0 is the
 * run's own parameters, replicas 1.. are copies on the other devices. Each replica takes an
 * equal, contiguous share of the batch (with its share of the m groups of domain weights, or all
 * the same h when m = 1) and backpropagates its share of the mean loss; the gradients are summed
 * on replica 0, which takes the one optimizer step; the new weights are copied to the replicas.
 * The result equals one device's step on the whole batch up to the order of float summation.
 *
 * <p>DJL allows one gradient collector at a time, so the replicas' passes are issued one after
 * the other; on GPUs, whose kernels run asynchronously, they still overlap. Not thread-safe; owned
 * by one run.
 */
public final class DataParallelStep extends BaseStep {

    private final List<Replica> replicas = new ArrayList<>();

    /** One device's model, router, manager, and its weights in slot order. */
    private record Replica(GptModel model, Router router, NDManager manager, List<NDArray> weights) {}

    DataParallelStep(StepParts p, List<Device> devices) {
        super(p);
        replicas.add(new Replica(p.model(), p.router(), p.manager(), slots.weights()));
        for (Device d : devices.subList(1, devices.size())) {
            replicas.add(replicate(p.model(), p.router(), Djl.newManager(d)));
        }
    }

    /** A copy of the model and router on {@code m}'s device, its weights trainable, in slot order. */
    private Replica replicate(GptModel model, Router router, NDManager m) {
        GptModel copy = new GptModel(model.config(), model.experts(), model.ranks());
        Router routerCopy = router == null ? null : new Router(router.numDomains(), router.experts(), router.config());
        List<SoupTensor> from = new ArrayList<>(model.soupTensors());
        List<SoupTensor> to = new ArrayList<>(copy.soupTensors());
        if (router != null) {
            from.addAll(router.soupTensors());
            to.addAll(routerCopy.soupTensors());
        }
        try (Djl.NoGrad ng = Djl.noGrad()) {
            for (int i = 0; i < from.size(); i++) {
                copyInto(from.get(i).shared(), to.get(i).shared(), m);
                for (int b = 0; b < from.get(i).bank().parameters().size(); b++) {
                    copyInto(
                            from.get(i).bank().parameters().get(b),
                            to.get(i).bank().parameters().get(b),
                            m);
                }
            }
        }
        // The same slot order as the run's own parameters (ParameterSlots' order).
        List<NDArray> weights = new ArrayList<>();
        for (SoupTensor t : copy.soupTensors()) {
            weights.add(t.shared().getArray());
            t.bank().parameters().forEach(p -> weights.add(p.getArray()));
        }
        if (routerCopy != null) {
            routerCopy.soupTensors().forEach(t -> weights.add(t.shared().getArray()));
        }
        return new Replica(copy, routerCopy, m, weights);
    }

    private static void copyInto(Parameter from, Parameter to, NDManager m) {
        NDArray w = from.getArray();
        // toDevice to the array's own device returns the same storage even when asked to copy.
        NDArray c = w.getDevice().equals(m.getDevice()) ? w.duplicate() : w.toDevice(m.getDevice(), true);
        NDScope.unregister(c);
        c.attach(m);
        c.setRequiresGradient(true);
        to.setArray(c);
    }

    @Override
    public String describe() {
        return "autograd, data-parallel over " + replicas.size() + " replicas";
    }

    @Override
    public StepResult run(TokenBatch tb, double[][] hs, double lr, int step) {
        int r = replicas.size();
        int share = tb.batchSize() / r;
        double loss = 0;
        List<NDArray> primary = replicas.get(0).weights();
        try (NDManager sums = replicas.get(0).manager().newSubManager()) {
            NDArray[] acc = new NDArray[primary.size()];
            for (int i = 0; i < r; i++) {
                Replica rep = replicas.get(i);
                loss += backward(rep, rows(tb, i * share, share), groupsOf(hs, i, r), r);
                accumulate(rep, acc, sums);
            }
            // The sum into the run's own gradients, which the optimizer reads (and zeroes).
            try (Djl.NoGradScope scope = Djl.noGradScope()) {
                for (int i = 0; i < primary.size(); i++) {
                    primary.get(i).getGradient().addi(acc[i]);
                }
            }
        }
        double norm = ParameterSlots.globalNorm(slots.all());
        if (!Double.isFinite(loss) || !Double.isFinite(norm)) {
            ParameterSlots.zeroGradients(slots.all());
            throw StepResult.diverged(step, loss, norm);
        }
        double scale = StepResult.clipScale(norm, clip);
        opt.step(lr, scale);
        broadcast();
        return new StepResult(loss, norm, scale < 1.0);
    }

    /**
     * Adds a replica's gradients into the step's sums (on replica 0's device) and zeroes them:
     * each replica's gradients are read right after its own backward pass, whatever a later
     * pass's collector does to earlier gradients.
     */
    private static void accumulate(Replica rep, NDArray[] acc, NDManager sums) {
        try (Djl.NoGradScope scope = Djl.noGradScope()) {
            for (int i = 0; i < acc.length; i++) {
                NDArray w = rep.weights().get(i);
                NDArray grad = w.getGradient();
                NDArray g = grad.getDevice().equals(sums.getDevice())
                        ? grad.duplicate()
                        : grad.toDevice(sums.getDevice(), true);
                if (acc[i] == null) {
                    NDScope.unregister(g);
                    g.attach(sums);
                    acc[i] = g;
                } else {
                    acc[i].addi(g);
                }
                Djl.zeroGradient(w);
            }
        }
    }

    /** Backpropagates the replica's share of the mean loss (its own mean / r); returns that share. */
    private static double backward(Replica rep, TokenBatch part, double[][] hs, int r) {
        try (Djl.Scope scope = Djl.scope();
                GradientCollector gc = Djl.engine().newGradientCollector()) {
            NDArray tokens = rep.manager().create(part.tokens(), new Shape(part.batchSize(), part.length()));
            NDArray alpha = rep.router() == null ? null : rep.router().alpha(BaseStep.domainWeights(rep.manager(), hs));
            NDArray lossArray = rep.model().loss(tokens, alpha);
            NDArray shareOfMean = lossArray.mul(Djl.scalar(lossArray, 1.0 / r));
            gc.backward(shareOfMean);
            return shareOfMean.getFloat();
        }
    }

    /** Copies replica 0's updated weights into every other replica's arrays, in place. */
    private void broadcast() {
        List<NDArray> primary = replicas.get(0).weights();
        try (Djl.NoGradScope scope = Djl.noGradScope()) {
            for (Replica rep : replicas.subList(1, replicas.size())) {
                for (int i = 0; i < primary.size(); i++) {
                    Checkpoints.copyInto(rep.weights().get(i), primary.get(i).toByteBuffer());
                }
            }
        }
    }

    /** Rows [from, from + count) of a batch. */
    private static TokenBatch rows(TokenBatch tb, int from, int count) {
        int len = tb.length();
        int[] tokens = Arrays.copyOfRange(tb.tokens(), from * len, (from + count) * len);
        int[] domains = tb.domains() == null ? null : Arrays.copyOfRange(tb.domains(), from, from + count);
        return new TokenBatch(count, len, tokens, domains);
    }

    /** Replica i's groups of domain weights: its share of the m groups, or the one h when m = 1. */
    private static double[][] groupsOf(double[][] hs, int i, int r) {
        if (hs.length == 1) {
            return hs;
        }
        int per = hs.length / r;
        return Arrays.copyOfRange(hs, i * per, (i + 1) * per);
    }

    /** Frees the replicas' memory (replica 0 is the run's own). */
    @Override
    public void close() {
        for (Replica rep : replicas.subList(1, replicas.size())) {
            rep.model().closeCaches();
            rep.manager().close();
        }
    }
}
