package org.soupofexperts.core.train;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import org.soupofexperts.core.batch.BatchSource;
import org.soupofexperts.core.batch.MetaDistribution;
import org.soupofexperts.core.train.listener.SpecializationProbe;
import org.soupofexperts.core.train.listener.StepListener;

/**
 * How to train a soup (the paper's Algorithm 2, with m domain weights per step): per step m
 * independent h from the meta-distribution, batchSize/m sequences from each h-mixture, each group
 * through its own instantiated weights; AdamW with linear warm-up then cosine decay, global-norm
 * gradient clipping. Learning rate and weight decay can be set per {@link ParamGroup}. Immutable
 * and thread-safe (listeners are called from the training thread).
 */
public final class TrainingPlan {

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
    private final List<StepListener> listeners;
    private final int logEvery;
    private final Long seed;
    private final EarlyStopping earlyStopping;
    private final int hPerStep;
    private final ExpertUpdate expertUpdate;
    private final MomentPrecision bankMoments;
    private final boolean skipIdleExperts;
    private final StepAlgorithm stepAlgorithm;
    private final boolean fusedUpdate;
    private final boolean timePhases;
    private final BooleanSupplier stopWhen;
    private final SpecializationProbe probe;
    private final CheckpointPolicy checkpoints;
    private final Path resumeFrom;
    private final List<Device> devices;

    private TrainingPlan(TrainingSettings<?> b) {
        source = Objects.requireNonNull(b.source, "TrainingPlan needs a batch source: call source(BatchSource)");
        metaDistribution = Objects.requireNonNull(b.metaDistribution, "TrainingPlan needs a meta-distribution");
        if (source.numDomains() != metaDistribution.numDomains()) {
            throw new IllegalArgumentException("batch source has " + source.numDomains()
                    + " domains but the meta-distribution has " + metaDistribution.numDomains());
        }
        steps = TrainingSettings.positive("steps", b.steps);
        batchSize = TrainingSettings.positive("batchSize", b.batchSize);
        contextLength = b.contextLength;
        if (contextLength < 0 || contextLength == 1) {
            if (contextLength != 0) {
                throw new IllegalArgumentException(
                        "contextLength must be >= 2 (or 0 for the model's), got " + contextLength);
            }
        }
        learningRate = TrainingSettings.finitePositive("learningRate", b.learningRate);
        b.checkSchedule();
        minLearningRateRatio = b.minLearningRateRatio;
        warmupSteps = b.warmupSteps != null ? b.warmupSteps : Math.min(100, b.steps / 10);
        b.checkOptimizer();
        beta1 = b.beta1;
        beta2 = b.beta2;
        epsilon = TrainingSettings.finitePositive("epsilon", b.epsilon);
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
        hPerStep = TrainingSettings.groups(b.hPerStep, batchSize);
        expertUpdate = Objects.requireNonNull(b.expertUpdate, "expertUpdate");
        skipIdleExperts = b.skipIdleExperts;
        stepAlgorithm = b.stepAlgorithm;
        fusedUpdate = b.fusedUpdate;
        bankMoments = b.bankMoments;
        timePhases = b.timePhases;
        stopWhen = b.stopWhen;
        TrainingSettings.checkFusedNeeds(stepAlgorithm, fusedUpdate, bankMoments);
        probe = b.probe;
        checkpoints = b.checkpoints;
        resumeFrom = b.resumeFrom;
        devices = b.devices;
        if (devices.size() > 1) {
            TrainingSettings.checkDataParallel(
                    devices.size(), batchSize, hPerStep, stepAlgorithm, skipIdleExperts, expertUpdate);
        }
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

    /** The precision in which the expert banks' AdamW moments are kept. */
    public enum MomentPrecision {
        /** float32, as the weights. */
        FLOAT32,
        /**
         * bfloat16 with stochastic rounding: half the bytes of the banks' optimizer state (the
         * first and, with {@link ExpertUpdate#ADAM}, the second moment). CPU, fused update only.
         */
        BFLOAT16
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

    public List<StepListener> listeners() {
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

    /** The precision of the expert banks' AdamW moments. */
    public MomentPrecision bankMoments() {
        return bankMoments;
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

    /** The caller's condition to end the run early, or null (see {@link Builder#stopWhen}). */
    public BooleanSupplier stopWhen() {
        return stopWhen;
    }

    /** Whether each step's phases are timed into {@link TrainingReport#phaseMillis} (default false). */
    public boolean timePhases() {
        return timePhases;
    }

    /** When and where checkpoints are written, or null for none. */
    public CheckpointPolicy checkpoints() {
        return checkpoints;
    }

    /** The devices of data-parallel training (empty: the parameters' device only). */
    public List<Device> devices() {
        return devices;
    }

    /** The checkpoint this run continues from, or null to start at step 1. */
    public Path resumeFrom() {
        return resumeFrom;
    }

    /** The specialization diagnostics measured during training, or null for none. */
    public SpecializationProbe specializationProbe() {
        return probe;
    }

    /**
     * The configuration as structured JSON text (every setting that changes the parameters a run
     * makes, by name; no listener, no path), as recorded in the run history of every artefact.
     */
    public String toJson() {
        return TrainingConfigJson.of(this).toString();
    }

    @Override
    public String toString() {
        return describe(true);
    }

    /**
     * The settings as text; for a plain model ({@code soup} false) without those only a soup has
     * (domain weights per step, the experts' update and moments, the step algorithm, the
     * meta-distribution), which a dense model's run does not use.
     */
    public String describe(boolean soup) {
        String soupOnly = soup
                ? ", hPerStep=" + hPerStep + ", expertUpdate=" + expertUpdate
                        + (skipIdleExperts ? ", skipIdleExperts" : "")
                        + (bankMoments == MomentPrecision.FLOAT32 ? "" : ", bankMoments=" + bankMoments)
                        + (stepAlgorithm == StepAlgorithm.AUTO ? "" : ", step=" + stepAlgorithm)
                : "";
        return "TrainingPlan{steps=" + steps + ", batch=" + batchSize + soupOnly
                + (fusedUpdate ? "" : ", unfusedUpdate")
                + ", context="
                + (contextLength == 0 ? "model" : contextLength) + ", lr=" + learningRate
                + ", minLrRatio=" + minLearningRateRatio + ", warmup=" + warmupSteps + ", betas=("
                + beta1 + "," + beta2 + "), eps=" + epsilon + ", clip=" + gradClip + ", lrScale="
                + lrScale + ", weightDecay=" + weightDecay
                + (soup ? ", meta=" + metaDistribution.describe() : "")
                + ", data=" + source.fingerprint() + ", seed=" + seed
                + (earlyStopping == null ? "" : ", " + earlyStopping) + "}";
    }

    /**
     * Builder for {@link TrainingPlan}: the setters of {@link TrainingSettings}, then {@link
     * #build()}. Not thread-safe.
     */
    public static final class Builder extends TrainingSettings<Builder> {
        private Builder() {}

        @Override
        Builder self() {
            return this;
        }

        /** The config; throws naming the first setting that is missing or out of range. */
        public TrainingPlan build() {
            return new TrainingPlan(this);
        }
    }
}
