package org.soupofexperts.core;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.function.IntPredicate;
import org.soupofexperts.core.Provenance.RunHistory;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.config.ExpertInit;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.config.Seeds;
import org.soupofexperts.core.djl.NextTokenTranslator;
import org.soupofexperts.core.internal.Djl;
import org.soupofexperts.core.io.Dtype;
import org.soupofexperts.core.io.SoupFormatException;
import org.soupofexperts.core.io.Version;
import org.soupofexperts.core.io.internal.ArtifactDirectory;
import org.soupofexperts.core.io.internal.ConfigJson;
import org.soupofexperts.core.io.internal.LoadedTensors;
import org.soupofexperts.core.io.internal.StrictJson;
import org.soupofexperts.core.nn.GptModel;
import org.soupofexperts.core.nn.SoupTensor;
import org.soupofexperts.core.nn.WeightInit;
import org.soupofexperts.core.train.TrainingPlan;
import org.soupofexperts.core.train.TrainingReport;
import org.soupofexperts.core.train.loop.TrainingLoop;

/**
 * A plain GPT model of base size: the same code as a soup's, with no experts inside. Made fresh
 * by {@link #create} (the baselines: a generic model, domain experts, CRISP), or instantiated
 * from a soup as a {@link Specialist}; either trains (fine-tunes), evaluates, generates, saves and
 * exports the same way, and records how it was made ({@link #provenance()}).
 *
 * <p>Thread-safety: {@link #logits} and {@link #loss} may be called from many threads at once;
 * {@link #train} and {@link #close} must not race with them.
 */
public sealed class DenseModel implements AutoCloseable permits Specialist {

    /** The saved form's kind (dense models were first saved as specialists; the name stays). */
    static final String KIND = "specialist";

    private final NDManager manager;
    private final GptModel model;
    private final JsonObject provenance;
    private volatile Labels labels;

    DenseModel(NDManager manager, GptModel model, JsonObject provenance, Labels labels) {
        this.manager = manager;
        this.model = model;
        this.provenance = provenance;
        this.labels = labels;
    }

    /** The domain names and tokenizer of the soup it came from, or {@link Labels#NONE}. */
    public Labels labels() {
        return labels;
    }

    /**
     * Records the tokenizer (and domain names) of a model that did not come from a soup, such as
     * a generic baseline trained directly, so that tools refuse text cut by another tokenizer.
     * Saved with the model.
     */
    public void label(Labels l) {
        if (l.tokenizerVocabSize() > model.config().vocabSize()) {
            throw new IllegalArgumentException("tokenizer " + l.tokenizer() + " has " + l.tokenizerVocabSize()
                    + " tokens, more than the model's vocabulary of "
                    + model.config().vocabSize());
        }
        this.labels = l;
    }

    public ModelConfig config() {
        return model.config();
    }

    /** The device its parameters live on (its soup's, for a specialist from {@code instantiate}). */
    public Device device() {
        return manager.getDevice();
    }

    /**
     * A freshly initialised base model (seeded, GPT-2 initialisation): the starting point of the
     * baselines trained by the same code path as the soup (generic pretraining on the natural
     * mixture, one model per domain, CRISP-style pretraining on a specialist's histogram).
     */
    public static DenseModel create(ModelConfig config, long seed) {
        return create(config, seed, null);
    }

    /**
     * As {@link #create(ModelConfig, long)}, on {@code device} (null: the engine's default).
     *
     * @throws IllegalArgumentException if the engine has no such device
     */
    public static DenseModel create(ModelConfig config, long seed, Device device) {
        NDManager manager = Djl.newManager(device);
        GptModel model = new GptModel(config, 0);
        try (Djl.Scope scope = Djl.scope()) {
            // A plain model has no expert banks: the expert stream is never drawn from.
            WeightInit.initialize(
                    model.soupTensors(),
                    manager,
                    Seeds.stream(seed, Seeds.INIT),
                    Seeds.stream(seed, Seeds.INIT_EXPERTS),
                    ExpertInit.ZEROS);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
        JsonObject prov = new JsonObject();
        prov.addProperty("createdFrom", "random initialisation");
        prov.addProperty("seed", seed);
        prov.addProperty("libraryVersion", Version.get());
        return new DenseModel(manager, model, prov, Labels.NONE);
    }

    /**
     * Trains (or fine-tunes) this model in place on h-mixtures drawn from the config's
     * meta-distribution, by the soup's training loop; the run is recorded in the provenance.
     * Not to be called while other threads use this specialist. The seed defaults to 0.
     */
    public synchronized TrainingReport train(TrainingPlan training) {
        for (SoupTensor t : model.soupTensors()) {
            t.shared().getArray().setRequiresGradient(true);
        }
        long seed = training.seed() != null ? training.seed() : 0L;
        TrainingReport r = TrainingLoop.run(model, null, manager, training, seed);
        synchronized (provenance) {
            RunHistory runs = RunHistory.from(provenance, "training");
            runs.addTraining(r, training, seed);
            provenance.add("training", runs.toJson());
        }
        return r;
    }

    /** Number of parameters: always the base model's (no expert tensors). */
    public long parameterCount() {
        long n = 0;
        for (SoupTensor t : model.soupTensors()) {
            n += t.shared().getArray().size();
        }
        return n;
    }

    /** The model block, for use with DJL APIs (its forward takes {@code NDList(tokens)}). */
    public GptModel block() {
        return model;
    }

    /**
     * A DJL {@code Model} around this specialist's block, on the specialist's device, for DJL's
     * Predictor API (with {@link NextTokenTranslator}). The model borrows the parameters: closing
     * it leaves this specialist usable, and the specialist must outlive it.
     */
    public Model newModel() {
        Model m = Model.newInstance(
                "specialist", manager.getDevice(), Djl.engine().getEngineName());
        m.setBlock(model);
        return m;
    }

    /** How it was made: h, alpha, the soup's description, or its seed; then its training runs. */
    public Provenance provenance() {
        synchronized (provenance) {
            return new Provenance(provenance);
        }
    }

    /** Next-token logits {@code [B, T, vocab]} for tokens {@code [B, T]}, in tokens' manager. */
    public NDArray logits(NDArray tokens) {
        return Forward.logits(model, tokens, m -> null);
    }

    /** Mean next-token loss (nats/token) over sequences of at most context+1 tokens. */
    public double loss(TokenBatch batch) {
        return Forward.loss(model, manager, batch, m -> null);
    }

    /** Mean next-token loss (nats/token) over equal-length token sequences. */
    public double loss(int[][] sequences) {
        return loss(TokenBatch.of(sequences));
    }

    /**
     * Continues {@code prompt} by {@code g.maxNewTokens()} tokens, each chosen from the logits of
     * the last position over the last context-length tokens. Returns only the new tokens.
     * Reproducible for a given seed. While the text fits the context length, the prompt is read
     * once into a key/value cache and each new token costs one position's forward pass; past it,
     * each new token is a forward pass over the last context-length tokens (the same tokens and
     * logits as without the cache, to float rounding).
     */
    public int[] generate(int[] prompt, Generation g) {
        return generate(prompt, g, t -> true);
    }

    /**
     * As {@link #generate(int[], Generation)}, giving each new token to {@code onToken} as soon as
     * it is chosen (streaming); generation stops early when {@code onToken} returns false. Returns
     * the new tokens, the last one included.
     */
    public int[] generate(int[] prompt, Generation g, IntPredicate onToken) {
        return g.continueWith(model, manager, prompt, onToken);
    }

    /**
     * Saves atomically into {@code dir}: the files are written and checksummed under a temporary
     * name, then renamed into place, so a crash leaves the previous save or this one.
     */
    public void save(Path dir) throws IOException {
        LoadedTensors.requireFinite(model, dir);
        JsonObject m = describe();
        m.addProperty("createdAt", Instant.now().toString());
        ArtifactDirectory.save(dir, KIND, m, model::saveParameters);
    }

    /**
     * Writes this specialist as a DJL model folder (atomically, into a new folder): DJL's {@code
     * Criteria} then loads it with no block or translator of the caller's, and DJL Serving can
     * host it: {@code Criteria.builder().setTypes(int[].class, float[].class).optModelPath(dir)
     * .build().loadModel()} gives next-token logits for token ids. See
     * {@link org.soupofexperts.core.djl.DjlModelFolder}.
     * {@link #save} remains the library's own format (checksummed manifest, labels for the tools).
     */
    public void exportForDjl(Path dir) throws IOException {
        SpecialistExports.djl(dir, model, describe());
    }

    /**
     * Writes this specialist as a Hugging Face GPT-2 folder (atomically, into a new folder):
     * {@code config.json}, {@code model.safetensors} with GPT-2's names, stored as {@code dtype},
     * and a model card naming h, alpha, the domains and the provenance. Each tensor maps to its
     * GPT-2 name one to one; the architecture is GPT-2's with the exact GELU.
     */
    public void exportHuggingFace(Path dir, Dtype dtype) throws IOException {
        SpecialistExports.huggingFace(dir, model, provenance, labels, dtype);
    }

    /**
     * Writes the parameters as a safetensors file (readable by Python's {@code safetensors}),
     * tensors named as in {@link GptModel#soupTensors()}, with the provenance as metadata.
     * Atomic. DJL's own format is {@link #save}.
     */
    public void exportSafetensors(Path file) throws IOException {
        exportSafetensors(file, Dtype.F32);
    }

    /** As {@link #exportSafetensors(Path)}, the values stored as {@code dtype} (F32, F16 or BF16). */
    public void exportSafetensors(Path file, Dtype dtype) throws IOException {
        SpecialistExports.safetensors(file, model, provenance, dtype);
    }

    /** What the model is and how it was made: version, model config, provenance, labels. */
    private JsonObject describe() {
        JsonObject d = new JsonObject();
        d.addProperty("libraryVersion", Version.get());
        d.add("model", ConfigJson.model(model.config()));
        d.add("provenance", provenance);
        if (!labels.equals(Labels.NONE)) {
            d.add("labels", labels.toJson());
        }
        return d;
    }

    /**
     * Loads a model saved by {@link #save} (a {@link Specialist} if it was instantiated from a
     * soup); throws {@link SoupFormatException} if damaged.
     */
    public static DenseModel load(Path dir) throws IOException {
        return load(dir, null);
    }

    /**
     * Loads a model saved by {@link #save} onto {@code device} (null: the engine's default).
     *
     * @throws IllegalArgumentException if the engine has no such device
     */
    public static DenseModel load(Path dir, Device device) throws IOException {
        ArtifactDirectory.Loaded a = ArtifactDirectory.open(dir, KIND);
        ModelConfig config;
        try {
            config = ConfigJson.model(StrictJson.object(a.manifest(), "model", dir.toString()));
        } catch (SoupFormatException | RuntimeException e) {
            throw new SoupFormatException(dir + " has an invalid model config in its manifest: " + e.getMessage(), e);
        }
        LoadedTensors.checkFileHolds(dir, a.parameters(), config.parameterCount());
        Labels labels = Labels.fromManifest(a.manifest(), 0, dir.toString());
        JsonElement provenance = a.manifest().get("provenance");
        if (provenance != null && !provenance.isJsonObject()) {
            throw new SoupFormatException(dir + ": 'provenance' in its manifest must be an object, got " + provenance);
        }
        if (provenance != null) {
            Provenance.check(provenance.getAsJsonObject(), labels.domains().size(), dir.toString());
        }
        NDManager manager = Djl.newManager(device);
        GptModel model = new GptModel(config, 0);
        try {
            LoadedTensors.read(dir, a.parameters(), manager, List.of(model));
            LoadedTensors.check(dir, model.soupTensors());
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
        JsonObject prov = provenance == null ? new JsonObject() : provenance.getAsJsonObject();
        return prov.has("soup")
                ? new Specialist(manager, model, prov, labels)
                : new DenseModel(manager, model, prov, labels);
    }

    /** Frees the native memory of the parameters. */
    @Override
    public void close() {
        model.closeCaches();
        manager.close();
    }
}
