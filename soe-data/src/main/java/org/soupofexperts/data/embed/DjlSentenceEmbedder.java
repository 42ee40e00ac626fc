package org.soupofexperts.data.embed;

import ai.djl.MalformedModelException;
import ai.djl.huggingface.translator.TextEmbeddingTranslatorFactory;
import ai.djl.inference.Predictor;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A sentence-embedding model the user provides as a local DJL model directory (TorchScript
 * {@code .pt} or ONNX, with its {@code tokenizer.json}), run through DJL's text-embedding
 * translator. Nothing is downloaded: the path must exist. Embeddings are L2-normalised.
 * {@link #embed} is thread-safe (one predictor per call); close the embedder to free the model.
 */
public final class DjlSentenceEmbedder implements Embedder, AutoCloseable {

    private final ZooModel<String, float[]> model;
    private final int dimension;
    private final String id;

    private DjlSentenceEmbedder(ZooModel<String, float[]> model, int dimension, String id) {
        this.model = model;
        this.dimension = dimension;
        this.id = id;
    }

    /** Loads the model at {@code dir} with the given engine ("PyTorch" or "OnnxRuntime"). */
    public static DjlSentenceEmbedder load(Path dir, String engine) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("sentence-embedding model directory " + dir + " does not exist");
        }
        Criteria<String, float[]> criteria;
        try {
            criteria = Criteria.builder()
                    .setTypes(String.class, float[].class)
                    .optModelPath(dir)
                    .optEngine(engine)
                    .optArgument("normalize", "true")
                    .optTranslatorFactory(new TextEmbeddingTranslatorFactory())
                    .build();
        } catch (NoClassDefFoundError e) {
            throw new IllegalStateException(
                    "DjlSentenceEmbedder needs the Maven dependency ai.djl.huggingface:tokenizers"
                            + " (optional in soe-data, its version in soe-bom) on the class path",
                    e);
        }
        try {
            ZooModel<String, float[]> m = criteria.loadModel();
            try (Predictor<String, float[]> p = m.newPredictor()) {
                int dim = p.predict("probe").length;
                // Named by the model folder's own name: an id is recorded in artefacts, a path is not.
                return new DjlSentenceEmbedder(
                        m, dim, "djl(" + dir.toAbsolutePath().normalize().getFileName() + ")");
            }
        } catch (ModelNotFoundException | MalformedModelException | TranslateException e) {
            throw new IOException("cannot load a sentence-embedding model from " + dir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public int dimension() {
        return dimension;
    }

    @Override
    public float[][] embed(List<String> texts) {
        try (Predictor<String, float[]> p = model.newPredictor()) {
            return p.batchPredict(texts).toArray(new float[0][]);
        } catch (TranslateException e) {
            throw new IllegalStateException("embedding failed: " + e.getMessage(), e);
        }
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public void close() {
        model.close();
    }
}
