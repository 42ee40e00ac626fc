package org.soupofexperts.core.train;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.List;
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
    private final int batchSize;
    private final int contextLength;
    private final LearningRateSchedule schedule;
    private final AdamWSettings optimizer;
    private final SoupStepSettings soupStep;
    private final List<StepListener> listeners;
    private final int logEvery;
    private final Long seed;
    private final EarlyStopping earlyStopping;
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
        // The steps first: an error names the first setting out of range in this order.
        schedule = new LearningRateSchedule(
                b.steps,
                b.learningRate,
                b.minLearningRateRatio,
                b.warmupSteps != null ? b.warmupSteps : LearningRateSchedule.defaultWarmup(b.steps));
        if (b.batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + b.batchSize);
        }
        batchSize = b.batchSize;
        contextLength = b.contextLength;
        if (contextLength < 0 || contextLength == 1) {
            throw new IllegalArgumentException(
                    "contextLength must be >= 2 (or 0 for the model's), got " + contextLength);
        }
        earlyStopping = b.earlyStopping;
        if (earlyStopping != null && contextLength != 0 && earlyStopping.length() > contextLength + 1) {
            throw new IllegalArgumentException("validation sequences of " + earlyStopping.length()
                    + " tokens are longer than the training context + 1 = " + (contextLength + 1));
        }
        optimizer = new AdamWSettings(b.beta1, b.beta2, b.epsilon, b.gradClip, b.lrScale, b.weightDecay, b.fusedUpdate);
        soupStep = new SoupStepSettings(
                SoupStepSettings.groups(b.hPerStep, batchSize),
                b.expertUpdate,
                b.bankMoments,
                b.skipIdleExperts,
                b.stepAlgorithm);
        soupStep.checkFusedNeeds(optimizer.fused());
        listeners = List.copyOf(b.listeners);
        logEvery = b.logEvery;
        seed = b.seed;
        timePhases = b.timePhases;
        stopWhen = b.stopWhen;
        probe = b.probe;
        checkpoints = b.checkpoints;
        resumeFrom = b.resumeFrom;
        devices = b.devices;
        if (devices.size() > 1) {
            soupStep.checkDataParallel(devices.size(), batchSize);
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

    /** The run's length in steps (as {@code schedule().steps()}). */
    public int steps() {
        return schedule.steps();
    }

    public int batchSize() {
        return batchSize;
    }

    /** Context length of training sequences; 0 means the model's. */
    public int contextLength() {
        return contextLength;
    }

    /** The learning rate step by step: peak, warm-up, cosine floor. */
    public LearningRateSchedule schedule() {
        return schedule;
    }

    /** AdamW's settings: betas, epsilon, clipping, per-group scales and decay, the fused update. */
    public AdamWSettings optimizer() {
        return optimizer;
    }

    /** How a soup's step is formed: domain weights per step, the experts' update, the algorithm. */
    public SoupStepSettings soupStep() {
        return soupStep;
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
        SoupStepSettings st = soupStep;
        String soupOnly = soup
                ? ", hPerStep=" + st.hPerStep() + ", expertUpdate=" + st.expertUpdate()
                        + (st.skipIdleExperts() ? ", skipIdleExperts" : "")
                        + (st.bankMoments() == MomentPrecision.FLOAT32 ? "" : ", bankMoments=" + st.bankMoments())
                        + (st.algorithm() == StepAlgorithm.AUTO ? "" : ", step=" + st.algorithm())
                : "";
        AdamWSettings o = optimizer;
        return "TrainingPlan{steps=" + steps() + ", batch=" + batchSize + soupOnly
                + (o.fused() ? "" : ", unfusedUpdate")
                + ", context="
                + (contextLength == 0 ? "model" : contextLength) + ", lr=" + schedule.learningRate()
                + ", minLrRatio=" + schedule.minLearningRateRatio() + ", warmup=" + schedule.warmupSteps()
                + ", betas=(" + o.beta1() + "," + o.beta2() + "), eps=" + o.epsilon() + ", clip=" + o.gradClip()
                + ", lrScale=" + o.learningRateScales() + ", weightDecay=" + o.weightDecays()
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
