package org.soupofexperts.core;

import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.config.SoupConfig;
import org.soupofexperts.core.config.RouterConfig;
import org.soupofexperts.core.config.ExpertRanks;
import org.soupofexperts.core.config.ExpertInit;
import org.soupofexperts.core.config.DomainWeights;
import org.soupofexperts.core.io.Version;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.core.internal.Djl;
import org.soupofexperts.core.config.Seeds;
import org.soupofexperts.core.io.ArtifactDirectory;
import org.soupofexperts.core.io.ConfigJson;
import org.soupofexperts.core.io.SoupFormatException;
import org.soupofexperts.core.nn.GptModel;
import org.soupofexperts.core.nn.Initializer;
import org.soupofexperts.core.nn.Router;
import org.soupofexperts.core.nn.SoupTensor;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.train.Trainer;
import org.soupofexperts.core.train.TrainingConfig;
import org.soupofexperts.core.train.TrainingReport;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A Soup-of-Experts (Ablin et al., ICML 2025): shared parameters S, n expert banks E_j of the
 * same shapes, and a router MLP alpha = router(h). For domain weights h, every tensor of the base
 * model is {@code S + sum_j alpha_j E_j}; {@link #instantiate} turns that into a plain
 * {@link Specialist} of base size.
 *
 * <pre>{@code
 * try (SoupOfExperts soup = SoupOfExperts.builder().model(cfg).domains(k).experts(16).seed(42).build()) {
 *     soup.train(TrainingConfig.builder().sampler(source).metaDistribution(pi).steps(2000).build());
 *     try (Specialist s = soup.instantiate(h)) { ... }
 * }
 * }</pre>
 *
 * <p>Thread-safety: {@link #instantiate}, {@link #alpha}, {@link #logits} and {@link #loss} are
 * safe from many threads at once. {@link #train} takes the soup exclusively: those calls wait
 * while it runs, and it waits for them. Only one soup trains at a time per JVM (DJL allows one
 * gradient collector).
 */
public final class SoupOfExperts implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SoupOfExperts.class);
    static final String KIND = "soup";

    private final SoupConfig config;
    private final NDManager manager;
    private final GptModel model;
    private final Router router;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final JsonArray history;
    private final JsonObject attachments = new JsonObject();
    private volatile TrainingReport lastReport;
    private volatile Labels labels = Labels.NONE;
    private volatile boolean closed;

    private SoupOfExperts(SoupConfig config, JsonArray history, ai.djl.Device device) {
        this.config = config;
        this.history = history;
        this.manager = Djl.newManager(device);
        this.model = new GptModel(config.model(), config.experts(), config.expertRanks());
        this.router = new Router(config.domains(), config.experts(), config.router());
    }

    /** Builds a freshly initialised soup (seeded: same config, same parameters) on the engine's default device. */
    public static SoupOfExperts create(SoupConfig config) {
        return create(config, null);
    }

    /**
     * Builds a freshly initialised soup on {@code device} (null: the engine's default). Its
     * specialists live on the same device. The closed-form training step and its fused AdamW
     * update run on the CPU; on another device training takes autograd through the banks.
     *
     * @throws IllegalArgumentException if the engine has no such device
     */
    public static SoupOfExperts create(SoupConfig config, ai.djl.Device device) {
        SoupOfExperts soup = new SoupOfExperts(config, new JsonArray(), device);
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            var rng = Seeds.stream(config.seed(), Seeds.INIT);
            var expertRng = Seeds.stream(config.seed(), Seeds.INIT_EXPERTS);
            Initializer.initialize(soup.model.soupTensors(), soup.manager, rng, expertRng, config.expertInit());
            Initializer.initialize(soup.router.soupTensors(), soup.manager, rng, expertRng, config.expertInit());
        } catch (RuntimeException | OutOfMemoryError e) {
            soup.close();
            throw e;
        }
        LOG.info(
                "soup created: {} ({} stored parameters, {} of them in expert banks, {} per specialist)",
                config, soup.parameterCount(), soup.bankParameterCount(), config.model().parameterCount());
        return soup;
    }

    /** A fluent builder; {@code build()} creates the soup. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a soup from {@code config} and trains it; closes it if training fails. */
    public static SoupOfExperts train(SoupConfig config, TrainingConfig training) {
        SoupOfExperts soup = create(config);
        try {
            soup.train(training);
            return soup;
        } catch (RuntimeException e) {
            soup.close();
            throw e;
        }
    }

    /**
     * Trains in place (the paper's Algorithm 2) and returns what the run did. Each call starts a
     * fresh optimizer and schedule; the run is recorded in the soup's saved manifest.
     */
    public TrainingReport train(TrainingConfig training) {
        Lock w = lock.writeLock();
        w.lock();
        try {
            ensureOpen();
            long seed = training.seed() != null ? training.seed() : config.seed();
            TrainingReport report = Trainer.run(model, router, manager, training, seed);
            JsonObject rec = new JsonObject();
            rec.addProperty("steps", report.steps());
            rec.addProperty("tokens", report.tokens());
            rec.addProperty("seconds", report.seconds());
            rec.addProperty("finalLoss", report.finalLoss(0.1));
            rec.addProperty("seed", seed);
            rec.addProperty("config", training.toString());
            rec.addProperty("data", training.source().fingerprint());
            rec.addProperty("libraryVersion", Version.get());
            history.add(rec);
            lastReport = report;
            return report;
        } finally {
            w.unlock();
        }
    }

    /**
     * Sets the shared parameters S to those of a trained base model, leaving the experts and the
     * router as they are: training then starts from a generic model instead of from scratch (with
     * zero-initialised experts the soup equals the base model at every h until it trains). The
     * base model must have this soup's model config. Recorded in the soup's history.
     */
    public void warmStart(Specialist base) {
        Lock w = lock.writeLock();
        w.lock();
        try {
            ensureOpen();
            if (!base.config().equals(config.model())) {
                throw new IllegalArgumentException("cannot warm-start from a base model of another shape: base "
                        + base.config() + ", soup " + config.model());
            }
            List<SoupTensor> mine = model.soupTensors();
            List<SoupTensor> theirs = base.block().soupTensors();
            try (Djl.NoGrad ng = Djl.noGrad();
                    NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                for (int i = 0; i < mine.size(); i++) {
                    NDArray own = mine.get(i).shared().getArray();
                    own.subi(own).addi(theirs.get(i).shared().getArray());
                }
            }
            JsonObject rec = new JsonObject();
            rec.add("warmStartFrom", base.provenance());
            history.add(rec);
            LOG.info("shared parameters set from a base model ({})", base.provenance().get("createdFrom"));
        } finally {
            w.unlock();
        }
    }

    /**
     * Stores a JSON value in the soup's manifest under {@code key}, saved and loaded with the
     * soup: for example the domain centroids and embedder that map specialist text to h, so a
     * loaded soup can still match specialists. Replaces an earlier value of the key.
     */
    public void attach(String key, JsonElement value) {
        if (key == null || key.isBlank()) {
            throw new IllegalArgumentException("attachment key must not be blank");
        }
        synchronized (attachments) {
            attachments.add(key, value.deepCopy());
        }
    }

    /** The value attached under {@code key} (a copy), or null. */
    public JsonElement attachment(String key) {
        synchronized (attachments) {
            JsonElement e = attachments.get(key);
            return e == null ? null : e.deepCopy();
        }
    }

    /**
     * Records what this soup's numbers mean: its domains' names (one per domain, in h's order)
     * and the tokenizer it was trained with. Saved with the soup and passed to every specialist.
     */
    public void label(Labels l) {
        if (!l.domains().isEmpty() && l.domains().size() != config.domains()) {
            throw new IllegalArgumentException(l.domains().size() + " domain names for a soup of k = " + config.domains());
        }
        if (l.tokenizerVocabSize() > config.model().vocabSize()) {
            throw new IllegalArgumentException("tokenizer " + l.tokenizer() + " has " + l.tokenizerVocabSize()
                    + " tokens, more than the model's vocabulary of " + config.model().vocabSize());
        }
        this.labels = l;
    }

    /** Domain names and tokenizer, or {@link Labels#NONE} when not recorded. */
    public Labels labels() {
        return labels;
    }

    /** The device its parameters (and its specialists') live on. */
    public ai.djl.Device device() {
        return manager.getDevice();
    }

    /** The report of the last {@link #train} call, or null. */
    public TrainingReport lastReport() {
        return lastReport;
    }

    /** The expert coefficients alpha = router(h). */
    public double[] alpha(double[] h) {
        double[] hh = DomainWeights.validate(h, config.domains());
        return read(() -> {
            try (Djl.NoGrad ng = Djl.noGrad();
                    NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                float[] a = alphaArray(manager, hh).toFloatArray();
                double[] out = new double[a.length];
                for (int i = 0; i < a.length; i++) {
                    out[i] = a[i];
                }
                return out;
            }
        });
    }

    /**
     * Instantiates the specialist for domain weights h: every tensor becomes
     * {@code S + sum_j alpha_j E_j}, computed without autograd, one batched product per tensor.
     * h must lie on the simplex (it is renormalised to sum exactly to 1). The caller owns the
     * result and should close it.
     */
    public Specialist instantiate(double[] h) {
        double[] hh = DomainWeights.validate(h, config.domains());
        return read(() -> {
            NDManager target = Djl.newManager(manager.getDevice());
            GptModel plain = new GptModel(config.model(), 0);
            List<SoupTensor> src = model.soupTensors();
            List<SoupTensor> dst = plain.soupTensors();
            float[] alphaValues;
            try (Djl.NoGrad ng = Djl.noGrad();
                    NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray alpha = alphaArray(manager, hh);
                alphaValues = alpha.toFloatArray();
                for (int i = 0; i < src.size(); i++) {
                    NDArray merged = src.get(i).value(alpha);
                    NDScope.unregister(merged);
                    merged.attach(target);
                    dst.get(i).shared().setArray(merged);
                }
            } catch (RuntimeException e) {
                target.close();
                throw e;
            }
            JsonObject prov = new JsonObject();
            prov.add("h", array(hh));
            double[] a = new double[alphaValues.length];
            for (int i = 0; i < a.length; i++) {
                a[i] = alphaValues[i];
            }
            prov.add("alpha", array(a));
            prov.add("soup", describe(false));
            return new Specialist(target, plain, prov, labels);
        });
    }

    /**
     * From raw specialist text to a specialist: h = {@code assigner}'s estimate for the documents
     * (for example the nearest-centroid histogram), then {@link #instantiate}.
     */
    public Specialist specialize(List<String> documents, DomainAssigner assigner) {
        if (assigner.numDomains() != config.domains()) {
            throw new IllegalArgumentException(
                    "the assigner has " + assigner.numDomains() + " domains but the soup has k=" + config.domains());
        }
        if (documents == null || documents.isEmpty()) {
            throw new IllegalArgumentException("the specialist set is empty: give at least one document");
        }
        return instantiate(assigner.domainWeights(documents));
    }

    /** Next-token logits {@code [B,T,vocab]} of the soup at h, computed in tokens' manager. */
    public NDArray logits(NDArray tokens, double[] h) {
        double[] hh = DomainWeights.validate(h, config.domains());
        return read(() -> Forward.logits(model, tokens, m -> router.alpha(m.create(Djl.floats(hh)))));
    }

    /** Mean next-token loss (nats/token) of the soup at h on a batch. */
    public double loss(TokenBatch batch, double[] h) {
        double[] hh = DomainWeights.validate(h, config.domains());
        return read(() -> Forward.loss(model, manager, batch, m -> router.alpha(m.create(Djl.floats(hh)))));
    }

    public SoupConfig config() {
        return config;
    }

    /** The model block with its experts (for advanced use; do not mutate during training). */
    public GptModel block() {
        return model;
    }

    /** The router block. */
    public Router router() {
        return router;
    }

    /** All stored parameters: S, the banks and the router. */
    public long parameterCount() {
        long n = bankParameterCount();
        for (SoupTensor t : model.soupTensors()) {
            n += t.numel();
        }
        for (SoupTensor t : router.soupTensors()) {
            n += t.numel();
        }
        return n;
    }

    /**
     * Values stored in the expert banks: n times each tensor's size for dense experts, n r (rows +
     * cols) for a low-rank matrix. What n experts cost on top of the base model.
     */
    public long bankParameterCount() {
        return config.bankParameterCount();
    }

    /**
     * Saves atomically into {@code dir}: a crash leaves the previous save or this one, never a
     * mix (see {@link ArtifactDirectory}). Optimizer state is not saved.
     */
    public void save(Path dir) throws IOException {
        Lock r = lock.readLock();
        r.lock();
        try {
            ensureOpen();
            JsonObject m = describe(true);
            m.addProperty("createdAt", java.time.Instant.now().toString());
            ArtifactDirectory.save(
                    dir,
                    KIND,
                    m,
                    out -> {
                        model.saveParameters(out);
                        router.saveParameters(out);
                    });
        } finally {
            r.unlock();
        }
    }

    private static final java.util.Set<String> CONFIG_KEYS =
            java.util.Set.of("model", "domains", "experts", "expertRanks", "router", "expertInit", "seed");
    private static final int MAX_DOMAINS = 1 << 20;
    private static final int MAX_EXPERTS = 1 << 16;

    /** Loads a soup saved by {@link #save}; throws {@link SoupFormatException} if damaged. */
    public static SoupOfExperts load(Path dir) throws IOException {
        return load(dir, null);
    }

    /**
     * Loads a soup saved by {@link #save} onto {@code device} (null: the engine's default); its
     * specialists live there too.
     *
     * @throws IllegalArgumentException if the engine has no such device
     */
    public static SoupOfExperts load(Path dir, ai.djl.Device device) throws IOException {
        ArtifactDirectory.Loaded a = ArtifactDirectory.open(dir, KIND);
        JsonObject m = a.manifest();
        SoupConfig config;
        try {
            String where = dir + " (soup config)";
            JsonObject c = org.soupofexperts.core.io.StrictJson.object(m, "config", dir.toString());
            org.soupofexperts.core.io.StrictJson.onlyKeys(c, CONFIG_KEYS, where);
            config =
                    SoupConfig.builder()
                            .model(ConfigJson.model(org.soupofexperts.core.io.StrictJson.object(c, "model", where)))
                            .domains(org.soupofexperts.core.io.StrictJson.integer(c, "domains", 1, MAX_DOMAINS, where))
                            .experts(org.soupofexperts.core.io.StrictJson.integer(c, "experts", 0, MAX_EXPERTS, where))
                            .expertRanks(ConfigJson.expertRanks(c.has("expertRanks") ? c.getAsJsonObject("expertRanks") : null))
                            .router(ConfigJson.router(org.soupofexperts.core.io.StrictJson.object(c, "router", where)))
                            .expertInit(ExpertInit.valueOf(org.soupofexperts.core.io.StrictJson.string(c, "expertInit", where)))
                            .seed(org.soupofexperts.core.io.StrictJson.longValue(c, "seed", Long.MIN_VALUE, Long.MAX_VALUE, where))
                            .build();
        } catch (SoupFormatException | RuntimeException e) {
            throw new SoupFormatException(dir + " has an invalid soup config in its manifest: " + e.getMessage(), e);
        }
        // Sizes from the manifest build nothing until the parameter file is known to hold them
        // (a forged layers = 200000000 would otherwise allocate, or hang, before any check).
        LoadedTensors.checkFileHolds(dir, a.parameters(), config.model().parameterCount() + config.bankParameterCount());
        JsonArray history =
                m.has("training") && m.get("training").isJsonArray() ? m.getAsJsonArray("training") : new JsonArray();
        Labels labels = Labels.fromManifest(m, config.domains(), dir.toString());
        SoupOfExperts soup = new SoupOfExperts(config, history, device);
        soup.labels = labels;
        if (m.has("attachments") && m.get("attachments").isJsonObject()) {
            for (var e : m.getAsJsonObject("attachments").entrySet()) {
                soup.attachments.add(e.getKey(), e.getValue());
            }
        }
        try (InputStream in = new BufferedInputStream(Files.newInputStream(a.parameters()), 1 << 20)) {
            DataInputStream din = new DataInputStream(in);
            soup.model.loadParameters(soup.manager, din);
            soup.router.loadParameters(soup.manager, din);
        } catch (MalformedModelException | IOException | RuntimeException e) {
            soup.close();
            throw new SoupFormatException("cannot read the parameters of " + dir + ": " + e.getMessage(), e);
        }
        try {
            List<SoupTensor> all = new java.util.ArrayList<>(soup.model.soupTensors());
            all.addAll(soup.router.soupTensors());
            LoadedTensors.check(dir, all);
            for (SoupTensor t : all) {
                t.shared().getArray().setRequiresGradient(true);
                if (t.bank() != null) {
                    t.bank().getArray().setRequiresGradient(true);
                }
                if (t.bankV() != null) {
                    t.bankV().getArray().setRequiresGradient(true);
                }
            }
        } catch (SoupFormatException e) {
            soup.close();
            throw e;
        }
        return soup;
    }

    /** Frees the soup's native memory. Specialists already made stay valid. */
    @Override
    public void close() {
        Lock w = lock.writeLock();
        w.lock();
        try {
            if (!closed) {
                closed = true;
                model.closeCaches();
                manager.close();
            }
        } finally {
            w.unlock();
        }
    }

    private NDArray alphaArray(NDManager m, double[] h) {
        return router.alpha(Djl.engineOwned(m.create(Djl.floats(h))));
    }

    /**
     * What the soup is: version, config, training history, labels and attachments. A specialist's
     * provenance names each attachment by size and SHA-256 instead of copying it (the centroids of
     * a soup of 64 clusters would weigh more than a small specialist's parameters).
     */
    private JsonObject describe(boolean withAttachments) {
        JsonObject m = new JsonObject();
        m.addProperty("libraryVersion", Version.get());
        JsonObject c = new JsonObject();
        c.add("model", ConfigJson.model(config.model()));
        c.addProperty("domains", config.domains());
        c.addProperty("experts", config.experts());
        c.add("expertRanks", ConfigJson.expertRanks(config.expertRanks()));
        c.add("router", ConfigJson.router(config.router()));
        c.addProperty("expertInit", config.expertInit().name());
        c.addProperty("seed", config.seed());
        m.add("config", c);
        m.add("training", history.deepCopy());
        if (!labels.equals(Labels.NONE)) {
            m.add("labels", labels.toJson());
        }
        synchronized (attachments) {
            if (withAttachments) {
                m.add("attachments", attachments.deepCopy());
            } else {
                JsonObject refs = new JsonObject();
                for (var e : attachments.entrySet()) {
                    byte[] bytes = e.getValue().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
                    JsonObject ref = new JsonObject();
                    ref.addProperty("bytes", bytes.length);
                    ref.addProperty("sha256", sha256(bytes));
                    refs.add(e.getKey(), ref);
                }
                m.add("attachments", refs);
            }
        }
        return m;
    }

    private static String sha256(byte[] bytes) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    private static JsonArray array(double[] v) {
        JsonArray a = new JsonArray();
        for (double x : v) {
            a.add(x);
        }
        return a;
    }

    private <T> T read(java.util.function.Supplier<T> body) {
        Lock r = lock.readLock();
        r.lock();
        try {
            ensureOpen();
            return body.get();
        } finally {
            r.unlock();
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("this soup has been closed");
        }
    }

    /** Fluent builder of a soup; mirrors {@link SoupConfig.Builder}. Not thread-safe. */
    public static final class Builder {
        private final SoupConfig.Builder b = SoupConfig.builder();
        private ai.djl.Device device;

        private Builder() {}

        public Builder model(ModelConfig m) {
            b.model(m);
            return this;
        }

        public Builder domains(int k) {
            b.domains(k);
            return this;
        }

        public Builder experts(int n) {
            b.experts(n);
            return this;
        }

        /** Rank of every matrix's experts (0: dense); see {@link SoupConfig.Builder#expertRank(int)}. */
        public Builder expertRank(int r) {
            b.expertRank(r);
            return this;
        }

        /** Rank (0: dense) of the matrices whose name matches the pattern. */
        public Builder expertRank(String namePattern, int r) {
            b.expertRank(namePattern, r);
            return this;
        }

        public Builder expertRanks(ExpertRanks r) {
            b.expertRanks(r);
            return this;
        }

        public Builder router(RouterConfig r) {
            b.router(r);
            return this;
        }

        public Builder expertInit(ExpertInit e) {
            b.expertInit(e);
            return this;
        }

        public Builder seed(long s) {
            b.seed(s);
            return this;
        }

        /** The device of the soup and its specialists (default: the engine's default device). */
        public Builder device(ai.djl.Device d) {
            this.device = d;
            return this;
        }

        /** The config this builder describes. */
        public SoupConfig config() {
            return b.build();
        }

        /** Creates the soup. */
        public SoupOfExperts build() {
            return create(b.build(), device);
        }
    }
}
