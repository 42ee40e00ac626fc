package org.soupofexperts.core.train.listener;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.config.DomainWeights;
import org.soupofexperts.core.internal.Djl;
import org.soupofexperts.core.nn.ExpertBank;
import org.soupofexperts.core.nn.GptModel;
import org.soupofexperts.core.nn.Router;
import org.soupofexperts.core.nn.SoupTensor;

/**
 * Whether a soup specializes, measured while it trains. A soup that does not use h is a plain
 * model with extra cost, so every few steps this probe measures, on held-out batches of each
 * domain (no gradient):
 *
 * <ul>
 *   <li><b>h matters</b>: the loss at the reference h (by default the natural mixture) minus the
 *       loss at the domain's own h, per domain and on average (nats/token; > 0 when the soup uses
 *       h);
 *   <li><b>alpha spread</b>: the mean L1 distance between alpha at each domain's h and alpha at
 *       the reference h;
 *   <li><b>expert cosine</b>: the mean |cosine| between the experts (all tensors concatenated),
 *       over pairs of non-zero experts: near 1 when the experts all learnt the same direction.
 * </ul>
 *
 * Immutable and thread-safe; the measurement runs on the training thread.
 */
public final class SpecializationProbe {

    private final List<TokenBatch> heldOut;
    private final double[][] domainWeights;
    private final double[] reference;
    private final int every;

    private SpecializationProbe(Builder b) {
        if (b.heldOut == null || b.heldOut.isEmpty()) {
            throw new IllegalArgumentException("a specialization probe needs at least one held-out batch");
        }
        heldOut = List.copyOf(b.heldOut);
        int batches = heldOut.size();
        reference = Objects.requireNonNull(
                        b.reference, "a specialization probe needs a reference h (the natural mixture)")
                .clone();
        int k = reference.length;
        DomainWeights.validate(reference, k);
        if (b.domainWeights == null) {
            if (batches != k) {
                throw new IllegalArgumentException("the probe has " + batches + " held-out batches for a soup of " + k
                        + " domains: give one batch per domain, or each batch's h (domainWeights)");
            }
            domainWeights = new double[k][];
            for (int d = 0; d < k; d++) {
                domainWeights[d] = DomainWeights.oneHot(k, d);
            }
        } else {
            if (b.domainWeights.length != batches) {
                throw new IllegalArgumentException(
                        "the probe has " + batches + " held-out batches but " + b.domainWeights.length + " h");
            }
            domainWeights = new double[batches][];
            for (int d = 0; d < batches; d++) {
                domainWeights[d] = DomainWeights.validate(b.domainWeights[d], k).clone();
            }
        }
        if (b.every < 1) {
            throw new IllegalArgumentException("the probe's interval must be >= 1 step, got " + b.every);
        }
        every = b.every;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Number of domains k of the soup it measures (the length of every h). */
    public int numDomains() {
        return reference.length;
    }

    /**
     * Number of held-out batches: k when each is a training domain's (one-hot h by default), any
     * number when each comes with its own h, for example data of domains the soup never trained on
     * with their specialist histograms.
     */
    public int numBatches() {
        return heldOut.size();
    }

    /** Measure every this many steps (and at step 0 and the last step). */
    public int every() {
        return every;
    }

    /**
     * Refuses a run without a router (a plain model has no h to probe) and batches that do not fit
     * {@code model}; the training loop calls it before the first step.
     */
    public void check(GptModel model, Router router) {
        if (router == null) {
            throw new IllegalArgumentException("a specialization probe measures soups: a plain model has no h to use");
        }
        for (TokenBatch b : heldOut) {
            if (b.length() < 2 || b.length() > model.config().contextLength() + 1) {
                throw new IllegalArgumentException("probe sequences must have 2 to "
                        + (model.config().contextLength() + 1) + " tokens, got " + b.length());
            }
            model.config().checkTokenIds(b.tokens(), "probe");
        }
    }

    /** One measurement of the soup as it is now; every temporary is freed. */
    public SpecializationPoint measure(int step, GptModel model, Router router, NDManager manager) {
        int k = heldOut.size(); // batches
        double[] own = new double[k];
        double[] ref = new double[k];
        double spread = 0;
        try (Djl.NoGradScope scope = Djl.noGradScope()) {
            NDArray refAlpha = router.alpha(manager.create(Djl.floats(reference)));
            float[] a0 = refAlpha.toFloatArray();
            for (int d = 0; d < k; d++) {
                try (Djl.Scope inner = Djl.scope()) {
                    TokenBatch b = heldOut.get(d);
                    NDArray tokens = manager.create(b.tokens(), new Shape(b.batchSize(), b.length()));
                    NDArray alpha = router.alpha(manager.create(Djl.floats(domainWeights[d])));
                    float[] a = alpha.toFloatArray();
                    for (int j = 0; j < a.length; j++) {
                        spread += Math.abs(a[j] - a0[j]) / k;
                    }
                    own[d] = model.loss(tokens, alpha).getFloat();
                    ref[d] = model.loss(tokens, refAlpha).getFloat();
                }
            }
            double[] matters = new double[k];
            double mean = 0;
            for (int d = 0; d < k; d++) {
                matters[d] = ref[d] - own[d];
                mean += matters[d] / k;
            }
            return new SpecializationPoint(step, mean, matters, own, ref, spread, expertCosine(model));
        }
    }

    /** Mean |cos| between experts over all tensors, from the n x n Gram matrix of the banks. */
    static double expertCosine(GptModel model) {
        int n = model.experts();
        NDArray gram = null;
        for (SoupTensor t : model.soupTensors()) {
            NDArray g;
            if (t.bank() instanceof ExpertBank.Dense d) {
                NDArray e = d.weights().getArray();
                g = e.matMul(e.transpose());
            } else if (t.bank() instanceof ExpertBank.LowRank l) {
                // <U_i V_i^T, U_j V_j^T> = sum((U_i^T U_j) o (V_i^T V_j)).
                long r = l.rank();
                NDArray uf = l.u().getArray().transpose(1, 0, 2).reshape(l.rows(), n * r);
                NDArray vf = l.v().getArray().transpose(1, 0, 2).reshape(l.cols(), n * r);
                g = uf.transpose()
                        .matMul(uf)
                        .mul(vf.transpose().matMul(vf))
                        .reshape(n, r, n, r)
                        .sum(new int[] {1, 3});
            } else {
                throw new IllegalStateException("tensor " + t.name() + " has no experts: a probe measures soups");
            }
            gram = gram == null ? g : gram.add(g);
        }
        float[] gm = gram.toFloatArray();
        double sum = 0;
        int pairs = 0;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                double norms = Math.sqrt((double) gm[i * n + i] * gm[j * n + j]);
                if (norms > 0) {
                    sum += Math.abs(gm[i * n + j]) / norms;
                    pairs++;
                }
            }
        }
        return pairs == 0 ? Double.NaN : sum / pairs;
    }

    @Override
    public String toString() {
        return "SpecializationProbe{domains=" + heldOut.size() + ", every=" + every + "}";
    }

    /** Builder for {@link SpecializationProbe}. Not thread-safe. */
    public static final class Builder {
        private List<TokenBatch> heldOut;
        private double[][] domainWeights;
        private double[] reference;
        private int every = 100;

        private Builder() {}

        /**
         * Held-out batches (required): one per domain in domain order, or any number with {@link
         * #domainWeights} giving each one's h.
         */
        public Builder heldOut(List<TokenBatch> perDomain) {
            this.heldOut = new ArrayList<>(Objects.requireNonNull(perDomain, "heldOut"));
            return this;
        }

        /**
         * Each batch's own h (default: batch d is domain d, one-hot), for example its specialist
         * histogram; each has the soup's k entries.
         */
        public Builder domainWeights(double[][] h) {
            this.domainWeights = h;
            return this;
        }

        /** The h that "h matters" is measured against: the natural mixture (required). */
        public Builder reference(double[] h) {
            this.reference = h;
            return this;
        }

        /** Measure every this many steps (default 100). */
        public Builder every(int steps) {
            this.every = steps;
            return this;
        }

        public SpecializationProbe build() {
            return new SpecializationProbe(this);
        }
    }
}
