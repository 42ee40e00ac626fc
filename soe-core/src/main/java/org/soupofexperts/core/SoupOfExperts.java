package org.soupofexperts.core;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.core.Provenance.RunHistory;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.config.DomainAssigner;
import org.soupofexperts.core.config.DomainWeights;
import org.soupofexperts.core.config.SoupConfig;
import org.soupofexperts.core.internal.Djl;
import org.soupofexperts.core.io.internal.Attachments;
import org.soupofexperts.core.nn.GptModel;
import org.soupofexperts.core.nn.Router;
import org.soupofexperts.core.train.TrainingPlan;
import org.soupofexperts.core.train.TrainingReport;
import org.soupofexperts.core.train.loop.TrainingLoop;

/**
 * A Soup-of-Experts (Ablin et al., ICML 2025): shared parameters S, n expert banks E_j of the
 * same shapes, and a router MLP alpha = router(h). For domain weights h, every tensor of the base
 * model is {@code S + sum_j alpha_j E_j}; {@link #instantiate} turns that into a plain
 * {@link Specialist} of base size.
 *
 * <pre>{@code
 * try (SoupOfExperts soup = SoupOfExperts.builder().model(cfg).domains(k).experts(16).seed(42).build()) {
 *     soup.train(TrainingPlan.builder().source(source).metaDistribution(pi).steps(2000).build());
 *     try (Specialist s = soup.instantiate(h)) { ... }
 * }
 * }</pre>
 *
 * <p>Thread-safety: {@link #instantiate}, {@link #instantiateAlpha}, {@link #instantiateLayerAlpha},
 * {@link #alpha}, {@link #logits}, {@link #loss}, {@link #lossAtAlpha} and {@link #layerAlphaLoss} are
 * safe from many threads at once ({@link #layerAlphaLoss} calls take turns: one gradient at a time).
 * {@link #train} takes the soup exclusively: those calls wait while it runs, and it waits for
 * them. Only one soup trains at a time per JVM (DJL allows one gradient collector).
 */
public final class SoupOfExperts implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SoupOfExperts.class);
    /** The longest wait {@link TimeUnit#NANOSECONDS} holds (about 292 years): longer ones are cut to it. */
    private static final Duration MAX_WAIT = Duration.ofNanos(Long.MAX_VALUE);

    private final SoupConfig config;
    private final SoupParameters params;
    private final RunHistory history;
    private final Attachments attachments;
    private volatile TrainingReport lastReport;
    private volatile Labels labels = Labels.NONE;

    private SoupOfExperts(SoupParameters params, RunHistory history, Attachments attachments) {
        this.config = params.config;
        this.params = params;
        this.history = history;
        this.attachments = attachments == null ? new Attachments() : attachments;
    }

    /** Builds a freshly initialised soup (seeded: same config, same parameters) on the engine's default device. */
    public static SoupOfExperts create(SoupConfig config) {
        return create(config, null);
    }

    /**
     * Builds a freshly initialised soup on {@code device} (null: the engine's default). Its
     * specialists live on the same device.
     *
     * @throws IllegalArgumentException if the engine has no such device
     */
    public static SoupOfExperts create(SoupConfig config, Device device) {
        SoupOfExperts soup = new SoupOfExperts(SoupParameters.initialized(config, device), new RunHistory(), null);
        LOG.info("soup created: {} ({} stored parameters)", config, soup.parameterCount());
        return soup;
    }

    /** A fluent builder of the config (and device); {@code build()} creates the soup. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Trains in place (the paper's Algorithm 2) and returns what the run did. Each call starts a
     * fresh optimizer and schedule (or resumes a checkpoint the config names); the run is
     * recorded in the soup's saved manifest.
     */
    public TrainingReport train(TrainingPlan training) {
        // The JVM's gradient lock before the soup's: a run queued behind another model's training
        // then waits without holding this soup, so its readers go on meanwhile (layerAlphaLoss: same order).
        Djl.gradientLock().lock();
        try {
            return params.exclusive(() -> {
                long seed = training.seed() != null ? training.seed() : config.seed();
                TrainingReport report = TrainingLoop.run(params.model, params.router, params.manager, training, seed);
                history.addTraining(report, training, seed);
                lastReport = report;
                return report;
            });
        } finally {
            Djl.gradientLock().unlock();
        }
    }

    /**
     * Sets the shared parameters S to those of a trained base model, leaving the experts and the
     * router as they are: training then starts from a generic model instead of from scratch (with
     * zero-initialised experts the soup equals the base model at every h until it trains). The
     * base model must have this soup's model config. Recorded in the soup's history.
     */
    public void warmStart(DenseModel base) {
        if (!base.config().equals(config.model())) {
            throw new IllegalArgumentException("cannot warm-start from a base model of another shape: base "
                    + base.config() + ", soup " + config.model());
        }
        params.exclusive(() -> {
            params.setShared(base.block());
            history.addWarmStart(base.provenance().json());
            return null;
        });
        LOG.info(
                "shared parameters set from a base model ({})",
                base.provenance().createdFrom().orElse("unknown"));
    }

    /**
     * Stores a JSON value (its text; it must parse) in the soup's manifest under {@code key}, saved and loaded with the
     * soup: for example the domain centroids and embedder that map specialist text to h, so a
     * loaded soup can still match specialists. Replaces an earlier value of the key.
     */
    public void attach(String key, String json) {
        attachments.put(key, json);
    }

    /** The JSON text attached under {@code key}, or null. */
    public String attachment(String key) {
        return attachments.get(key);
    }

    /**
     * Records what this soup's numbers mean: its domains' names (one per domain, in h's order)
     * and the tokenizer it was trained with. Saved with the soup and passed to every specialist.
     */
    public void label(Labels l) {
        this.labels = l.checkedFor(config);
    }

    /** Domain names and tokenizer, or {@link Labels#NONE} when not recorded. */
    public Labels labels() {
        return labels;
    }

    /** The device its parameters (and its specialists') live on. */
    public Device device() {
        return params.manager.getDevice();
    }

    /** The report of the last {@link #train} call, or null. */
    public TrainingReport lastReport() {
        return lastReport;
    }

    /** The expert coefficients alpha = router(h). */
    public double[] alpha(double[] h) {
        double[] hh = DomainWeights.validate(h, config.numDomains());
        return params.shared(() -> params.alphaValues(hh));
    }

    /**
     * Instantiates the specialist for domain weights h: every tensor becomes
     * {@code S + sum_j alpha_j E_j}, computed without autograd, one batched product per tensor.
     * h must lie on the simplex (it is renormalised to sum exactly to 1). The caller owns the
     * result and should close it.
     */
    public Specialist instantiate(double[] h) {
        double[] hh = DomainWeights.validate(h, config.numDomains());
        return params.shared(() -> {
            SoupParameters.Merged m = params.merge(hh);
            return Specialist.instantiated(m.manager(), m.model(), hh, m.alpha(), null, describe(false), labels);
        });
    }

    /**
     * Instantiates the specialist at expert coefficients alpha given directly rather than through
     * the router: every tensor becomes {@code S + sum_j alpha_j E_j}. For coefficients tuned on a
     * specialist set's own tokens (such as {@code DomainWeightFit}'s), whose model the router may not
     * reach from any h; {@code h} is only recorded in the provenance, as the domain weights they were
     * tuned from, and the provenance says alpha was given ({@link Provenance#alphaGiven()}).
     * {@code instantiateAlpha(alpha(h), h)} gives the model {@code instantiate(h)} gives. The caller
     * owns the result and should close it.
     *
     * @throws IllegalArgumentException if alpha does not hold one value per expert, each finite in
     *     float32, or h is not k weights on the simplex
     */
    public Specialist instantiateAlpha(double[] alpha, double[] h) {
        double[] a = validateAlpha(alpha);
        double[] hh = DomainWeights.validate(h, config.numDomains());
        return params.shared(() -> {
            SoupParameters.Merged m = params.mergeAlpha(a);
            return Specialist.instantiated(
                    m.manager(), m.model(), hh, m.alpha(), new double[][] {a}, describe(false), labels);
        });
    }

    /**
     * Mean next-token loss (nats/token) of the soup at expert coefficients alpha given directly (see
     * {@link #instantiateAlpha}); {@code lossAtAlpha(batch, alpha(h))} is {@code loss(batch, h)}.
     *
     * @throws IllegalArgumentException if alpha does not hold one value per expert, each finite in
     *     float32, or the batch does not fit the model
     */
    public double lossAtAlpha(TokenBatch batch, double[] alpha) {
        double[] a = validateAlpha(alpha);
        return params.shared(
                () -> Forward.loss(params.model, params.manager, batch, m -> SoupParameters.alphaArray(m, a)));
    }

    /**
     * Rows of a layer-wise alpha ({@link #instantiateLayerAlpha}): the embeddings (token and
     * position; the token table is also the output head, tied), each transformer layer, then the
     * final norm, so {@code layers + 2}.
     */
    public int layerGroups() {
        return params.model.layerGroups();
    }

    /**
     * Instantiates the specialist at one row of expert coefficients per layer group ({@link
     * #layerGroups}) instead of one alpha for every tensor: a tensor of group g becomes {@code S +
     * sum_j alpha[g][j] E_j}. For coefficients tuned layer by layer on a specialist set's tokens
     * ({@code DomainWeightFit.layerSteps}); with every row equal to alpha it is {@code
     * instantiateAlpha(alpha, h)}. {@code h} is recorded only, as for {@link #instantiateAlpha}; the
     * provenance holds the rows ({@link Provenance#layerAlpha()}). The caller owns the result.
     *
     * @throws IllegalArgumentException if alpha does not hold {@link #layerGroups} rows of one
     *     value per expert, each finite in float32, or h is not k weights on the simplex
     */
    public Specialist instantiateLayerAlpha(double[][] alpha, double[] h) {
        double[][] a = validateLayerAlpha(alpha);
        double[] hh = DomainWeights.validate(h, config.numDomains());
        return params.shared(() -> {
            SoupParameters.Merged m = params.mergeLayers(a);
            return Specialist.instantiated(m.manager(), m.model(), hh, m.alpha(), a, describe(false), labels);
        });
    }

    /**
     * The mean next-token loss (nats/token) of the soup at a layer-wise alpha (see {@link
     * #instantiateLayerAlpha}) on a batch, and its gradient with respect to every coefficient: what
     * a gradient search over the coefficients needs (S, the experts and the router are not
     * changed). Computing a gradient holds the JVM's one gradient collector, so these calls run one
     * at a time, and not while any model of the JVM trains (a soup, a specialist or a dense model);
     * each is about a training step's work.
     *
     * @throws IllegalArgumentException as {@link #instantiateLayerAlpha}, or if the batch does not
     *     fit the model
     */
    public LayerAlphaLoss layerAlphaLoss(TokenBatch batch, double[][] alpha) {
        double[][] a = validateLayerAlpha(alpha);
        // The gradient lock first, then the soup's (the order train takes them): waiting for another
        // model's training must not hold this soup's read lock, or a queued writer would stop its readers.
        Djl.gradientLock().lock();
        try {
            return params.shared(() -> params.layerLoss(batch, a));
        } finally {
            Djl.gradientLock().unlock();
        }
    }

    /**
     * {@link #layerAlphaLoss(TokenBatch, double[][])}, or empty when the JVM's gradient lock is not
     * free within {@code wait}: a training run holds it for the whole run, so a caller with a
     * deadline (a server answering a request) asks this way rather than wait for the run's end. An
     * interrupt while waiting gives empty too, with the thread's interrupt flag set again.
     *
     * @throws IllegalArgumentException as {@link #layerAlphaLoss(TokenBatch, double[][])}, or if
     *     {@code wait} is null or negative
     */
    public Optional<LayerAlphaLoss> layerAlphaLoss(TokenBatch batch, double[][] alpha, Duration wait) {
        if (wait == null || wait.isNegative()) {
            throw new IllegalArgumentException("the wait for the gradient lock must be zero or more, got " + wait);
        }
        double[][] a = validateLayerAlpha(alpha);
        long nanos = wait.compareTo(MAX_WAIT) > 0 ? MAX_WAIT.toNanos() : wait.toNanos();
        try {
            if (!Djl.gradientLock().tryLock(nanos, TimeUnit.NANOSECONDS)) {
                return Optional.empty();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
        try {
            return Optional.of(params.shared(() -> params.layerLoss(batch, a)));
        } finally {
            Djl.gradientLock().unlock();
        }
    }

    /**
     * A loss and its gradient with respect to a layer-wise alpha ({@link #layerAlphaLoss}).
     *
     * @param loss mean next-token loss, nats per token
     * @param gradient d loss / d alpha[g][j], in the rows of alpha
     */
    public record LayerAlphaLoss(double loss, double[][] gradient) {

        public LayerAlphaLoss {
            gradient = copy(gradient);
        }

        @Override
        public double[][] gradient() {
            return copy(gradient);
        }
    }

    private static double[][] copy(double[][] a) {
        double[][] out = new double[a.length][];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i].clone();
        }
        return out;
    }

    private double[][] validateLayerAlpha(double[][] alpha) {
        int groups = layerGroups();
        if (alpha == null || alpha.length != groups) {
            throw new IllegalArgumentException("a layer-wise alpha must hold one row per layer group (" + groups
                    + ": the embeddings, " + config.model().layers() + " layers, the final norm), got "
                    + (alpha == null ? "null" : alpha.length + " rows"));
        }
        double[][] out = new double[groups][];
        for (int g = 0; g < groups; g++) {
            try {
                out[g] = validateAlpha(alpha[g]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("row " + g + " of the layer-wise alpha: " + e.getMessage(), e);
            }
        }
        return out;
    }

    private double[] validateAlpha(double[] alpha) {
        if (alpha == null || alpha.length != config.experts()) {
            throw new IllegalArgumentException("alpha must hold one coefficient per expert (" + config.experts()
                    + "), got " + (alpha == null ? "null" : alpha.length + " values"));
        }
        for (int j = 0; j < alpha.length; j++) {
            // The merge runs in float32: a double beyond its range would become an infinite weight.
            if (!Float.isFinite((float) alpha[j])) {
                throw new IllegalArgumentException(
                        "alpha[" + j + "] is " + alpha[j] + ": coefficients must be finite in float32");
            }
        }
        return alpha.clone();
    }

    /**
     * From raw specialist text to a specialist: h = {@code assigner}'s estimate for the documents
     * (for example the nearest-centroid histogram), then {@link #instantiate}. An assigner whose
     * domain names are known and differ from the soup's labelled domains (other names, or the same
     * in another order) is refused.
     */
    public Specialist specialize(List<String> documents, DomainAssigner assigner) {
        List<String> mine = labels().domains();
        List<String> theirs = assigner.domainNames();
        if (!mine.isEmpty() && !theirs.isEmpty() && !mine.equals(theirs)) {
            // Same k, other names or order: h would be permuted or meaningless, and nothing else would say so.
            throw new IllegalArgumentException(
                    "the assigner's domains " + theirs + " are not the soup's domains " + mine + " in its order");
        }
        return instantiate(assigner.domainWeightsFor(documents, config.numDomains()));
    }

    /** Next-token logits {@code [B,T,vocab]} of the soup at h, computed in tokens' manager. */
    public NDArray logits(NDArray tokens, double[] h) {
        double[] hh = DomainWeights.validate(h, config.numDomains());
        return params.shared(() -> Forward.logits(params.model, tokens, m -> params.alpha(m, hh)));
    }

    /** Mean next-token loss (nats/token) of the soup at h on a batch. */
    public double loss(TokenBatch batch, double[] h) {
        double[] hh = DomainWeights.validate(h, config.numDomains());
        return params.shared(() -> Forward.loss(params.model, params.manager, batch, m -> params.alpha(m, hh)));
    }

    public SoupConfig config() {
        return config;
    }

    /** The model block with its experts (for tests in this package; do not mutate during training). */
    GptModel block() {
        return params.model;
    }

    /** The router block (for tests in this package). */
    Router router() {
        return params.router;
    }

    /** All stored parameters: S, the banks and the router. */
    public long parameterCount() {
        return params.count();
    }

    /** Values stored in the expert banks: what n experts cost on top of the base model. */
    public long bankParameterCount() {
        return config.bankParameterCount();
    }

    /**
     * Saves atomically into {@code dir}: a crash leaves the previous save or this one, never a
     * mix (the files are checksummed under a temporary name, then renamed). Optimizer state is not saved
     * (checkpoints keep it).
     */
    public void save(Path dir) throws IOException {
        // Under the read lock: training (exclusive) cannot change the parameters while they are written.
        params.sharedIo(() -> SoupFiles.save(dir, describe(true), params));
    }

    /** Loads a soup saved by {@link #save}; throws {@link org.soupofexperts.core.io.SoupFormatException} if damaged. */
    public static SoupOfExperts load(Path dir) throws IOException {
        return load(dir, null);
    }

    /**
     * Loads a soup saved by {@link #save} onto {@code device} (null: the engine's default); its
     * specialists live there too.
     *
     * @throws IllegalArgumentException if the engine has no such device
     */
    public static SoupOfExperts load(Path dir, Device device) throws IOException {
        SoupFiles.Loaded l = SoupFiles.load(dir, device);
        SoupOfExperts soup = new SoupOfExperts(l.params(), l.history(), l.attachments());
        soup.labels = l.labels();
        return soup;
    }

    /** Frees the soup's native memory (once running calls end). Specialists already made stay valid. */
    @Override
    public void close() {
        params.close();
    }

    private JsonObject describe(boolean withAttachments) {
        return SoupFiles.manifest(config, history, labels, attachments, withAttachments);
    }

    /**
     * Fluent builder of a soup ({@link #builder()}): the settings of {@link SoupConfig}, a device,
     * then {@link #build()}. Not thread-safe.
     */
    public static final class Builder extends SoupConfig.Settings<Builder> {

        private Device device;

        Builder() {}

        @Override
        protected Builder self() {
            return this;
        }

        /** The device of the soup and its specialists (default: the engine's default device). */
        public Builder device(Device d) {
            this.device = d;
            return this;
        }

        /** The config this builder describes. */
        public SoupConfig config() {
            return toConfig();
        }

        /** Creates the soup. */
        public SoupOfExperts build() {
            return SoupOfExperts.create(toConfig(), device);
        }
    }
}
