package org.soupofexperts.core.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.soupofexperts.core.batch.BatchSource;
import org.soupofexperts.core.batch.MetaDistribution;

/**
 * How to train a soup (the paper's Algorithm 2, with m domain weights per step): per step m
 * independent h from the meta-distribution, batchSize/m sequences from each h-mixture, each group
 * through its own instantiated weights; AdamW with linear warm-up then cosine decay, global-norm
 * gradient clipping. Learning rate and weight decay can be set per {@link ParamGroup}. Immutable
 * and thread-safe (listeners are called from the training thread).
 */
public final class TrainingConfig {

    private final BatchSource source;
    private final MetaDistribution metaDistribution;
    private final int steps;
    private final int batchSize;
    private final int contextLength;
    private final double learningRate;
    private final double minLearningRateRatio;
    private final int warmupSteps;
    private final double beta1;
    private final double beta2;
    private final double epsilon;
    private final double gradClip;
    private final Map<ParamGroup, Double> lrScale;
    private final Map<ParamGroup, Double> weightDecay;
    private final List<TrainingListener> listeners;
    private final int logEvery;
    private final Long seed;
    private final EarlyStopping earlyStopping;
    private final int hPerStep;
    private final ExpertUpdate expertUpdate;
    private final boolean skipIdleExperts;
    private final StepAlgorithm stepAlgorithm;
    private final boolean fusedUpdate;
    private final SpecializationProbe probe;
    private final CheckpointPolicy checkpoints;
    private final java.nio.file.Path resumeFrom;

    private TrainingConfig(Builder b) {
        source = Objects.requireNonNull(b.source, "TrainingConfig needs a batch source (sampler)");
        metaDistribution = Objects.requireNonNull(b.metaDistribution, "TrainingConfig needs a meta-distribution");
        if (source.numDomains() != metaDistribution.numDomains()) {
            throw new IllegalArgumentException("batch source has " + source.numDomains()
                    + " domains but the meta-distribution has " + metaDistribution.numDomains());
        }
        steps = positive("steps", b.steps);
        batchSize = positive("batchSize", b.batchSize);
        contextLength = b.contextLength;
        if (contextLength < 0 || contextLength == 1) {
            if (contextLength != 0) {
                throw new IllegalArgumentException(
                        "contextLength must be >= 2 (or 0 for the model's), got " + contextLength);
            }
        }
        learningRate = finitePositive("learningRate", b.learningRate);
        if (!(b.minLearningRateRatio >= 0 && b.minLearningRateRatio <= 1)) {
            throw new IllegalArgumentException("minLearningRateRatio must be in [0, 1], got " + b.minLearningRateRatio);
        }
        minLearningRateRatio = b.minLearningRateRatio;
        int warm = b.warmupSteps != null ? b.warmupSteps : Math.min(100, b.steps / 10);
        if (warm < 0 || warm > b.steps) {
            throw new IllegalArgumentException("warmupSteps must be in [0, steps=" + b.steps + "], got " + warm);
        }
        warmupSteps = warm;
        if (!(b.beta1 >= 0 && b.beta1 < 1) || !(b.beta2 >= 0 && b.beta2 < 1)) {
            throw new IllegalArgumentException("Adam betas must be in [0, 1), got " + b.beta1 + ", " + b.beta2);
        }
        beta1 = b.beta1;
        beta2 = b.beta2;
        epsilon = finitePositive("epsilon", b.epsilon);
        if (!(b.gradClip >= 0) || Double.isInfinite(b.gradClip)) {
            throw new IllegalArgumentException("gradClip must be >= 0 (0 turns clipping off), got " + b.gradClip);
        }
        gradClip = b.gradClip;
        lrScale = Collections.unmodifiableMap(new EnumMap<>(b.lrScale));
        weightDecay = Collections.unmodifiableMap(new EnumMap<>(b.weightDecay));
        listeners = List.copyOf(b.listeners);
        logEvery = b.logEvery;
        seed = b.seed;
        earlyStopping = b.earlyStopping;
        if (earlyStopping != null && contextLength != 0 && earlyStopping.length() > contextLength + 1) {
            throw new IllegalArgumentException("validation sequences of " + earlyStopping.length()
                    + " tokens are longer than the training context + 1 = " + (contextLength + 1));
        }
        int m = b.hPerStep == PER_SEQUENCE ? batchSize : b.hPerStep;
        if (m < 1 || m > batchSize || batchSize % m != 0) {
            throw new IllegalArgumentException("hPerStep must divide the batch size " + batchSize
                    + " (1 = one h per step, " + batchSize + " = one per sequence), got " + b.hPerStep);
        }
        hPerStep = m;
        expertUpdate = Objects.requireNonNull(b.expertUpdate, "expertUpdate");
        skipIdleExperts = b.skipIdleExperts;
        stepAlgorithm = b.stepAlgorithm;
        fusedUpdate = b.fusedUpdate;
        if (stepAlgorithm == StepAlgorithm.CLOSED_FORM && !fusedUpdate) {
            throw new IllegalArgumentException(
                    "StepAlgorithm.CLOSED_FORM forms the experts' update inside the fused AdamW"
                            + " kernel; it needs fusedUpdate(true)");
        }
        probe = b.probe;
        checkpoints = b.checkpoints;
        resumeFrom = b.resumeFrom;
        if (probe != null && probe.numDomains() != source.numDomains()) {
            throw new IllegalArgumentException("the specialization probe has " + probe.numDomains()
                    + " domains but the batch source has " + source.numDomains());
        }
    }

    /** {@link Builder#hPerStep} value meaning one h per sequence (m = batch size). */
    public static final int PER_SEQUENCE = 0;

    /** How a soup's training step computes the expert banks' gradients. */
    public enum StepAlgorithm {
        /**
         * The closed-form step where it can run (every parameter updated by the fused AdamW kernel:
         * CPU, float32), autograd through the banks elsewhere; the log says which.
         */
        AUTO,
        /**
         * The banks' gradients in closed form: no n x P gradient is built, and the experts'
         * update is formed inside the optimizer's pass (see the step's documentation). Refused
         * where it cannot run.
         */
        CLOSED_FORM,
        /** Autograd through the expert banks: any device, one n x P gradient per bank. */
        AUTOGRAD
    }

    /**
     * How the experts' AdamW step is formed. Adam is invariant to a gradient's scale, so with
     * {@link #ADAM} an expert moves by about the learning rate whatever its alpha; the shared
     * second moment makes an expert's step follow its alpha.
     */
    public enum ExpertUpdate {
        /** Each expert keeps its own first and second moments (plain AdamW). */
        ADAM,
        /**
         * Each expert keeps its own first moment, but divides by the square root of the shared
         * parameters' second moment (of dS = sum_g G_g, the instantiated weights' gradient): an
         * expert whose alpha is small takes a small step, and the bank needs no second-moment
         * array (n x P fewer floats). Dense banks only (low-rank factors keep their own moments);
         * needs the closed-form step (CPU, float32).
         */
        SHARED_SECOND_MOMENT
    }

    private static int positive(String name, int v) {
        if (v < 1) {
            throw new IllegalArgumentException(name + " must be >= 1, got " + v);
        }
        return v;
    }

    private static double finitePositive(String name, double v) {
        if (!(v > 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(name + " must be finite and > 0, got " + v);
        }
        return v;
    }

    public static Builder builder() {
        return new Builder();
    }

    public BatchSource source() {
        return source;
    }

    public MetaDistribution metaDistribution() {
        return metaDistribution;
    }

    public int steps() {
        return steps;
    }

    public int batchSize() {
        return batchSize;
    }

    /** Context length of training sequences; 0 means the model's. */
    public int contextLength() {
        return contextLength;
    }

    public double learningRate() {
        return learningRate;
    }

    public double minLearningRateRatio() {
        return minLearningRateRatio;
    }

    public int warmupSteps() {
        return warmupSteps;
    }

    public double beta1() {
        return beta1;
    }

    public double beta2() {
        return beta2;
    }

    public double epsilon() {
        return epsilon;
    }

    public double gradClip() {
        return gradClip;
    }

    /** Learning-rate multiplier of a group as set, or 1 (see {@link #learningRateScale(ParamGroup, int)}). */
    public double learningRateScale(ParamGroup g) {
        return lrScale.getOrDefault(g, 1.0);
    }

    /**
     * Learning-rate multiplier of a group in a soup of n experts: as set, or by default 1 for every
     * group. With the default softmax router the alphas sum to 1, so however many experts there are
     * the instantiated weights move by a convex combination of the experts' steps; with one h per
     * sequence, experts at the shared rate won the ablations of docs/results.md (the older default,
     * 1/sqrt(n), came from runs with one h per step and raw alpha, where the merged weights moved
     * with the sum of |alpha|; set it with {@code learningRateScale(EXPERTS, ...)} for raw alpha and
     * many experts).
     */
    public double learningRateScale(ParamGroup g, int experts) {
        Double set = lrScale.get(g);
        if (set != null) {
            return set;
        }
        return g == ParamGroup.EXPERTS ? defaultExpertLearningRateScale(experts) : 1.0;
    }

    /** The experts' learning-rate scale in a soup of n experts when none is set: 1. */
    public static double defaultExpertLearningRateScale(int experts) {
        return 1.0;
    }

    /** Decoupled weight decay of a group's matrices (default 0.1; biases and norms never decay). */
    public double weightDecay(ParamGroup g) {
        return weightDecay.getOrDefault(g, 0.1);
    }

    public List<TrainingListener> listeners() {
        return listeners;
    }

    /** Log a progress line every this many steps (0: only start and end). */
    public int logEvery() {
        return logEvery;
    }

    /** Early stopping on a validation set, or null for none (plain models only). */
    public EarlyStopping earlyStopping() {
        return earlyStopping;
    }

    /** The training seed, or null to use the soup's seed. */
    public Long seed() {
        return seed;
    }

    /**
     * Learning rate at 1-based {@code step}: linear warm-up from 0 over warmupSteps, then cosine
     * decay from the peak to {@code peak * minLearningRateRatio} at the last step.
     */
    public double learningRateAt(int step) {
        if (warmupSteps > 0 && step <= warmupSteps) {
            return learningRate * step / warmupSteps;
        }
        int decaySteps = steps - warmupSteps;
        if (decaySteps <= 0) {
            return learningRate;
        }
        double progress = Math.min(1.0, (double) (step - warmupSteps) / decaySteps);
        double floor = learningRate * minLearningRateRatio;
        return floor + 0.5 * (learningRate - floor) * (1 + Math.cos(Math.PI * progress));
    }

    /** Independent domain weights h drawn per step (m); the batch is split into m equal groups. */
    public int hPerStep() {
        return hPerStep;
    }

    /** How the experts' optimizer step is formed. */
    public ExpertUpdate expertUpdate() {
        return expertUpdate;
    }

    /**
     * Whether an expert whose alpha is exactly 0 in every group of a step is left untouched that
     * step (no moment decay, no weight decay): with one-hot or sparse h and a router that can
     * output exact zeros, an unseen domain's expert then keeps its state.
     */
    public boolean skipIdleExperts() {
        return skipIdleExperts;
    }

    /** How a soup's step computes the banks' gradients (default {@link StepAlgorithm#AUTO}). */
    public StepAlgorithm stepAlgorithm() {
        return stepAlgorithm;
    }

    /**
     * Whether AdamW updates each parameter in one Java pass over its memory where it can (CPU,
     * float32; default true), rather than by LibTorch's Adam kernel.
     */
    public boolean fusedUpdate() {
        return fusedUpdate;
    }

    /** When and where checkpoints are written, or null for none. */
    public CheckpointPolicy checkpoints() {
        return checkpoints;
    }

    /** The checkpoint this run continues from, or null to start at step 1. */
    public java.nio.file.Path resumeFrom() {
        return resumeFrom;
    }

    /** The specialization diagnostics measured during training, or null for none. */
    public SpecializationProbe specializationProbe() {
        return probe;
    }

    @Override
    public String toString() {
        return "TrainingConfig{steps=" + steps + ", batch=" + batchSize + ", hPerStep=" + hPerStep
                + ", expertUpdate=" + expertUpdate + (skipIdleExperts ? ", skipIdleExperts" : "")
                + (stepAlgorithm == StepAlgorithm.AUTO ? "" : ", step=" + stepAlgorithm)
                + (fusedUpdate ? "" : ", unfusedUpdate")
                + ", context="
                + (contextLength == 0 ? "model" : contextLength) + ", lr=" + learningRate
                + ", minLrRatio=" + minLearningRateRatio + ", warmup=" + warmupSteps + ", betas=("
                + beta1 + "," + beta2 + "), eps=" + epsilon + ", clip=" + gradClip + ", lrScale="
                + lrScale + ", weightDecay=" + weightDecay + ", meta=" + metaDistribution.describe()
                + ", data=" + source.fingerprint() + ", seed=" + seed
                + (earlyStopping == null ? "" : ", " + earlyStopping) + "}";
    }

    /** Builder for {@link TrainingConfig}. Not thread-safe. */
    public static final class Builder {
        private BatchSource source;
        private MetaDistribution metaDistribution;
        private int steps = 1000;
        private int batchSize = 16;
        private int contextLength;
        private double learningRate = 1e-3;
        private double minLearningRateRatio = 0.1;
        private Integer warmupSteps;
        private double beta1 = 0.9;
        private double beta2 = 0.95;
        private double epsilon = 1e-8;
        private double gradClip = 1.0;
        private final Map<ParamGroup, Double> lrScale = new EnumMap<>(ParamGroup.class);
        private final Map<ParamGroup, Double> weightDecay = new EnumMap<>(ParamGroup.class);
        private final List<TrainingListener> listeners = new ArrayList<>();
        private int logEvery = 50;
        private Long seed;
        private EarlyStopping earlyStopping;
        private int hPerStep = PER_SEQUENCE;
        private ExpertUpdate expertUpdate = ExpertUpdate.ADAM;
        private boolean skipIdleExperts;
        private StepAlgorithm stepAlgorithm = StepAlgorithm.AUTO;
        private boolean fusedUpdate = true;
        private SpecializationProbe probe;
        private CheckpointPolicy checkpoints;
        private java.nio.file.Path resumeFrom;

        private Builder() {}

        /**
         * Independent domain weights per step, m (default: one per sequence). Each of the m
         * groups of batchSize/m sequences is drawn from its own h-mixture and runs through its own
         * W(h) = S + sum_j alpha_j(h) E_j; the loss is their mean. m = 1 is the paper's Algorithm 2
         * (one h per step). The estimate of the gradient is unbiased for every m; a larger m has
         * less variance, and at small batches this decides whether a soup specializes (see
         * docs/results.md). Must divide the batch size; {@link #PER_SEQUENCE} (0) means m = batch
         * size.
         */
        public Builder hPerStep(int m) {
            if (m < 0) {
                throw new IllegalArgumentException("hPerStep must be >= 1, or 0 for one per sequence, got " + m);
            }
            this.hPerStep = m;
            return this;
        }

        /** How the experts' AdamW step is formed (default {@link ExpertUpdate#ADAM}). */
        public Builder expertUpdate(ExpertUpdate u) {
            this.expertUpdate = Objects.requireNonNull(u, "expertUpdate");
            return this;
        }

        /** Leave experts with alpha exactly 0 in every group of a step untouched (default false). */
        public Builder skipIdleExperts(boolean v) {
            this.skipIdleExperts = v;
            return this;
        }

        /** How a soup's step computes the banks' gradients (default {@link StepAlgorithm#AUTO}). */
        public Builder stepAlgorithm(StepAlgorithm a) {
            this.stepAlgorithm = Objects.requireNonNull(a, "stepAlgorithm");
            return this;
        }

        /** false: LibTorch's Adam kernel for every parameter, instead of the fused one-pass update (default true). */
        public Builder fusedUpdate(boolean v) {
            this.fusedUpdate = v;
            return this;
        }

        /**
         * Writes checkpoints of the whole training state as the policy says (null: none). Not part
         * of what a run computes: a run with checkpoints trains exactly as one without.
         */
        public Builder checkpoints(CheckpointPolicy policy) {
            this.checkpoints = policy;
            return this;
        }

        /**
         * Continues the run from a checkpoint written by a run of the same config on the same
         * model (see {@link Checkpoints#latest}): parameters, AdamW moments, step, schedule, the
         * seed streams' positions and the report so far are restored, so the run reaches the
         * same parameters, bit for bit at the same thread count, as if it had never stopped.
         * Null: start at step 1.
         */
        public Builder resumeFrom(java.nio.file.Path checkpoint) {
            this.resumeFrom = checkpoint;
            return this;
        }

        /** Measure specialization (h matters, alpha spread, expert cosine) during training. */
        public Builder specializationProbe(SpecializationProbe p) {
            this.probe = p;
            return this;
        }

        /** Where batches come from (required). */
        public Builder sampler(BatchSource s) {
            this.source = s;
            return this;
        }

        /** The meta-distribution over h (required). */
        public Builder metaDistribution(MetaDistribution pi) {
            this.metaDistribution = pi;
            return this;
        }

        public Builder steps(int v) {
            this.steps = v;
            return this;
        }

        public Builder batchSize(int v) {
            this.batchSize = v;
            return this;
        }

        /** Training sequence length (tokens seen per prediction); default: the model's context. */
        public Builder contextLength(int v) {
            this.contextLength = v;
            return this;
        }

        /** Peak learning rate of the shared group (other groups scale it). */
        public Builder learningRate(double v) {
            this.learningRate = v;
            return this;
        }

        /** Final learning rate as a fraction of the peak (cosine floor). */
        public Builder minLearningRateRatio(double v) {
            this.minLearningRateRatio = v;
            return this;
        }

        /** Linear warm-up steps (default: a tenth of the steps, at most 100). */
        public Builder warmup(int steps) {
            this.warmupSteps = steps;
            return this;
        }

        public Builder betas(double b1, double b2) {
            this.beta1 = b1;
            this.beta2 = b2;
            return this;
        }

        public Builder epsilon(double v) {
            this.epsilon = v;
            return this;
        }

        /** Maximum global gradient norm; 0 turns clipping off. */
        public Builder gradClip(double v) {
            this.gradClip = v;
            return this;
        }

        /** Weight decay of every group. */
        public Builder weightDecay(double v) {
            for (ParamGroup g : ParamGroup.values()) {
                weightDecay(g, v);
            }
            return this;
        }

        public Builder weightDecay(ParamGroup g, double v) {
            if (!(v >= 0) || Double.isInfinite(v)) {
                throw new IllegalArgumentException("weight decay of " + g + " must be >= 0, got " + v);
            }
            weightDecay.put(g, v);
            return this;
        }

        /** Multiplies the learning rate of one group. */
        public Builder learningRateScale(ParamGroup g, double v) {
            if (!(v >= 0) || Double.isInfinite(v)) {
                throw new IllegalArgumentException("learning-rate scale of " + g + " must be >= 0, got " + v);
            }
            lrScale.put(g, v);
            return this;
        }

        public Builder listener(TrainingListener l) {
            listeners.add(Objects.requireNonNull(l, "listener"));
            return this;
        }

        public Builder logEvery(int v) {
            if (v < 0) {
                throw new IllegalArgumentException("logEvery must be >= 0, got " + v);
            }
            this.logEvery = v;
            return this;
        }

        /** Seed of this run's h-sampling and data streams (default: the soup's seed). */
        public Builder seed(long v) {
            this.seed = v;
            return this;
        }

        /** Stops on a plateau of a held-out loss (fine-tuning a plain model; default: none). */
        public Builder earlyStopping(EarlyStopping e) {
            this.earlyStopping = e;
            return this;
        }

        public TrainingConfig build() {
            return new TrainingConfig(this);
        }
    }
}
