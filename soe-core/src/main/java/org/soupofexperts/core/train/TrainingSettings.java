package org.soupofexperts.core.train;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.ArrayList;
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
 * The settings of a training run, set by {@link TrainingPlan.Builder}; every setter returns the
 * builder, and {@code build()} groups them into the plan's records ({@link LearningRateSchedule},
 * {@link AdamWSettings}, {@link SoupStepSettings}), each checking its own values. Not thread-safe.
 *
 * @param <B> the concrete builder
 */
public abstract class TrainingSettings<B extends TrainingSettings<B>> {

    BatchSource source;
    MetaDistribution metaDistribution;
    int steps = 1000;
    int batchSize = 16;
    int contextLength;
    double learningRate = 3e-3;
    double minLearningRateRatio = 0.1;
    Integer warmupSteps;
    double beta1 = 0.9;
    double beta2 = 0.95;
    double epsilon = 1e-8;
    double gradClip = 1.0;
    final Map<ParamGroup, Double> lrScale = new EnumMap<>(ParamGroup.class);
    final Map<ParamGroup, Double> weightDecay = new EnumMap<>(ParamGroup.class);
    final List<StepListener> listeners = new ArrayList<>();
    int logEvery = 50;
    Long seed;
    EarlyStopping earlyStopping;
    int hPerStep = TrainingPlan.PER_SEQUENCE;
    List<Device> devices = List.of();
    TrainingPlan.ExpertUpdate expertUpdate = TrainingPlan.ExpertUpdate.ADAM;
    TrainingPlan.MomentPrecision bankMoments = TrainingPlan.MomentPrecision.FLOAT32;
    boolean skipIdleExperts;
    TrainingPlan.StepAlgorithm stepAlgorithm = TrainingPlan.StepAlgorithm.AUTO;
    boolean fusedUpdate = true;
    boolean timePhases;
    BooleanSupplier stopWhen;
    SpecializationProbe probe;
    CheckpointPolicy checkpoints;
    Path resumeFrom;

    /**
     * Independent domain weights per step, m (default: one per sequence). Each of the m
     * groups of batchSize/m sequences is drawn from its own h-mixture and runs through its own
     * W(h) = S + sum_j alpha_j(h) E_j; the loss is their mean. m = 1 is the paper's Algorithm 2
     * (one h per step). The estimate of the gradient is unbiased for every m; a larger m has
     * less variance, and at small batches this decides whether a soup specializes (see
     * docs/results.md). Must divide the batch size; {@link TrainingPlan#PER_SEQUENCE} (0) means m = batch
     * size.
     */
    public final B hPerStep(int m) {
        if (m < 0) {
            throw new IllegalArgumentException("hPerStep must be >= 1, or 0 for one per sequence, got " + m);
        }
        this.hPerStep = m;
        return self();
    }

    /** How the experts' AdamW step is formed (default {@link TrainingPlan.ExpertUpdate#ADAM}). */
    public final B expertUpdate(TrainingPlan.ExpertUpdate u) {
        this.expertUpdate = Objects.requireNonNull(u, "expertUpdate");
        return self();
    }

    /**
     * The precision of the expert banks' AdamW moments (default {@link
     * TrainingPlan.MomentPrecision#FLOAT32}). {@link TrainingPlan.MomentPrecision#BFLOAT16}
     * halves the bytes of the banks' optimizer state and of the update's memory traffic; it needs
     * the fused CPU update. The shared parameters and the router keep float32 moments.
     */
    public final B bankMoments(TrainingPlan.MomentPrecision p) {
        this.bankMoments = Objects.requireNonNull(p, "bankMoments");
        return self();
    }

    /** Leave experts with alpha exactly 0 in every group of a step untouched (default false). */
    public final B skipIdleExperts(boolean v) {
        this.skipIdleExperts = v;
        return self();
    }

    /** How a soup's step computes the banks' gradients (default {@link TrainingPlan.StepAlgorithm#AUTO}). */
    public final B stepAlgorithm(TrainingPlan.StepAlgorithm a) {
        this.stepAlgorithm = Objects.requireNonNull(a, "stepAlgorithm");
        return self();
    }

    /** false: LibTorch's Adam kernel for every parameter, instead of the fused one-pass update (default true). */
    public final B fusedUpdate(boolean v) {
        this.fusedUpdate = v;
        return self();
    }

    /**
     * Ends the run after the step during which {@code condition} became true (checked after every
     * step, from the training thread), as an interrupt of the training thread does: the report
     * then counts the steps run, and a run with {@link #checkpoints} writes a checkpoint at the
     * stop, from which it can be resumed. For a service's cancel button, an {@code AtomicBoolean}'s
     * {@code ::get}. Null (the default): only an interrupt stops the run early.
     */
    public final B stopWhen(BooleanSupplier condition) {
        this.stopWhen = condition;
        return self();
    }

    /**
     * Times each phase of every step (the batch, the merge, the forward and backward pass, the
     * bank reductions, the update) into {@link TrainingReport#phaseMillis} (default false). On the
     * CPU the phases are exact; the clock itself costs a few reads of the system timer per step.
     */
    public final B timePhases(boolean v) {
        this.timePhases = v;
        return self();
    }

    /**
     * Writes checkpoints of the whole training state as the policy says (null: none). Not part
     * of what a run computes: a run with checkpoints trains exactly as one without.
     */
    public final B checkpoints(CheckpointPolicy policy) {
        this.checkpoints = policy;
        return self();
    }

    /**
     * Continues the run from a checkpoint written by a run of the same config on the same
     * model (see {@link CheckpointFolder#latest}): parameters, AdamW moments, step, schedule, the
     * seed streams' positions and the report so far are restored, so the run reaches the
     * same parameters, bit for bit at the same thread count, as if it had never stopped.
     * Null: start at step 1.
     */
    public final B resumeFrom(Path checkpoint) {
        this.resumeFrom = checkpoint;
        return self();
    }

    /** Measure specialization (h matters, alpha spread, expert cosine) during training. */
    public final B specializationProbe(SpecializationProbe p) {
        this.probe = p;
        return self();
    }

    /**
     * Data-parallel training over these devices (default: none, the parameters' own device only).
     * The first must be the device the parameters live on; each other device holds a replica of
     * the parameters. Every step splits the global batch into equal shares, one per device, with
     * the m groups of domain weights spread over them (or, with one h per step, the same h for
     * all), sums the gradients on the first device and takes one optimizer step there, then
     * copies the weights to the replicas. The same device may be listed twice (two replicas on
     * the CPU). The step is autograd's.
     */
    public final B devices(List<Device> d) {
        this.devices = List.copyOf(d);
        return self();
    }

    /** Where batches come from (required). */
    public final B source(BatchSource s) {
        this.source = s;
        return self();
    }

    /** The meta-distribution over h (required). */
    public final B metaDistribution(MetaDistribution pi) {
        this.metaDistribution = pi;
        return self();
    }

    public final B steps(int v) {
        this.steps = v;
        return self();
    }

    public final B batchSize(int v) {
        this.batchSize = v;
        return self();
    }

    /** Training sequence length (tokens seen per prediction); default: the model's context. */
    public final B contextLength(int v) {
        this.contextLength = v;
        return self();
    }

    /**
     * Peak learning rate of the shared group (other groups scale it); default 3e-3, the better rate
     * of both the soup and the generic model at the 0.45M-0.84M bases of docs/results.md (1e-3 lost
     * 0.4-0.5 bits/byte there). Larger models usually want less: tune it with the generic model.
     */
    public final B learningRate(double v) {
        this.learningRate = v;
        return self();
    }

    /** Final learning rate as a fraction of the peak (cosine floor). */
    public final B minLearningRateRatio(double v) {
        this.minLearningRateRatio = v;
        return self();
    }

    /** Linear warm-up steps (default: a tenth of the steps, at most 100). */
    public final B warmup(int steps) {
        this.warmupSteps = steps;
        return self();
    }

    /** AdamW's moment decay rates (default 0.9, 0.95). */
    public final B betas(double b1, double b2) {
        this.beta1 = b1;
        this.beta2 = b2;
        return self();
    }

    public final B epsilon(double v) {
        this.epsilon = v;
        return self();
    }

    /** Maximum global gradient norm; 0 turns clipping off. */
    public final B gradClip(double v) {
        this.gradClip = v;
        return self();
    }

    /** Weight decay of every group. */
    public final B weightDecay(double v) {
        for (ParamGroup g : ParamGroup.values()) {
            weightDecay(g, v);
        }
        return self();
    }

    /** Decoupled weight decay of a parameter group (applies to its decayed tensors only). */
    public final B weightDecay(ParamGroup g, double v) {
        weightDecay.put(g, AdamWSettings.checkGroupValue("weight decay", g, v));
        return self();
    }

    /** Multiplies the learning rate of one group. */
    public final B learningRateScale(ParamGroup g, double v) {
        lrScale.put(g, AdamWSettings.checkGroupValue("learning-rate scale", g, v));
        return self();
    }

    public final B listener(StepListener l) {
        listeners.add(Objects.requireNonNull(l, "listener"));
        return self();
    }

    /** Logs the loss every {@code v} steps (0: never). */
    public final B logEvery(int v) {
        if (v < 0) {
            throw new IllegalArgumentException("logEvery must be >= 0, got " + v);
        }
        this.logEvery = v;
        return self();
    }

    /** Seed of this run's h-sampling and data streams (default: the soup's seed). */
    public final B seed(long v) {
        this.seed = v;
        return self();
    }

    /** Stops on a plateau of a held-out loss (fine-tuning a plain model; default: none). */
    public final B earlyStopping(EarlyStopping e) {
        this.earlyStopping = e;
        return self();
    }

    TrainingSettings() {}

    /** This builder, typed as its concrete class. */
    abstract B self();
}
