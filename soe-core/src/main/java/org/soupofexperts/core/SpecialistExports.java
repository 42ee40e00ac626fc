package org.soupofexperts.core;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.soupofexperts.core.djl.DjlModelFolder;
import org.soupofexperts.core.io.Dtype;
import org.soupofexperts.core.io.Version;
import org.soupofexperts.core.io.internal.ConfigJson;
import org.soupofexperts.core.io.internal.HuggingFaceFolder;
import org.soupofexperts.core.io.internal.Safetensors;
import org.soupofexperts.core.nn.GptModel;
import org.soupofexperts.core.nn.SoupTensor;

/** A specialist written in other libraries' formats: DJL model folders, Hugging Face GPT-2, safetensors. Stateless. */
final class SpecialistExports {

    private SpecialistExports() {}

    static void djl(Path dir, GptModel model, JsonObject description) throws IOException {
        DjlModelFolder.write(dir, model, description.toString());
    }

    static void huggingFace(Path dir, GptModel model, JsonObject provenance, Labels labels, Dtype dtype)
            throws IOException {
        HuggingFaceFolder.write(
                dir,
                model.config(),
                tensorsByName(model),
                dtype,
                modelCard(model, provenance, labels, dtype),
                tokenizerJson(labels));
    }

    /** The folder's tokenizer.json: the model's Hugging Face tokenizer, the byte-level one for bytes, else none. */
    private static String tokenizerJson(Labels labels) {
        String id = labels.tokenizer();
        if (id == null) {
            return null;
        }
        if (id.startsWith("hf:")) {
            return labels.tokenizerDefinition();
        }
        return id.equals(BYTES) ? HuggingFaceFolder.byteLevelTokenizer() : null;
    }

    /** The byte tokenizer's id (soe-data's {@code ByteTokenizer}). */
    private static final String BYTES = "bytes-utf8";

    static void safetensors(Path file, GptModel model, JsonObject provenance, Dtype dtype) throws IOException {
        Safetensors.write(
                file,
                tensorsByName(model),
                Map.of(
                        "format",
                        "soupofexperts-specialist",
                        "model",
                        ConfigJson.model(model.config()).toString(),
                        "provenance",
                        provenance.toString(),
                        "libraryVersion",
                        Version.get()),
                dtype);
    }

    /** The parameters as float arrays, by tensor name, in model order. */
    private static Map<String, Safetensors.Tensor> tensorsByName(GptModel model) {
        Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>();
        for (SoupTensor t : model.soupTensors()) {
            tensors.put(
                    t.name(),
                    new Safetensors.Tensor(
                            t.shape().getShape(), t.shared().getArray().toFloatArray()));
        }
        return tensors;
    }

    private static String modelCard(GptModel model, JsonObject provenance, Labels labels, Dtype dtype) {
        StringBuilder b = new StringBuilder();
        // The Hub reads these keys from the card's YAML front matter.
        b.append("---\nlibrary_name: transformers\npipeline_tag: text-generation\ntags:\n- gpt2\n"
                + "- soup-of-experts\n- specialist\n---\n\n");
        b.append("# A specialist of a Soup-of-Experts\n\n");
        b.append("A GPT-2-style language model (")
                .append(model.config().layers())
                .append(" layers, width ")
                .append(model.config().dModel())
                .append(", context ")
                .append(model.config().contextLength())
                .append(", vocabulary ")
                .append(model.config().vocabSize())
                .append(", ")
                .append(model.config().parameterCount())
                .append(" parameters, ")
                .append(dtype)
                .append(") instantiated from a soup by the soup library")
                .append(" (Ablin et al., ICML 2025, arXiv 2502.01804).\n\n");
        if (provenance.has("h")) {
            double[] h = doubles(provenance, "h");
            b.append("Domain weights h: ").append(labels.format(h)).append("\n\n");
            boolean layered = provenance.has("layerAlpha");
            b.append(
                            layered
                                    ? "Expert coefficients alpha, one row per layer group (their mean: "
                                    : "Expert coefficients alpha: ")
                    .append(Arrays.toString(doubles(provenance, "alpha")))
                    .append(layered ? "): " + provenance.get("layerAlpha") : "")
                    .append("\n\n");
        }
        if (labels.tokenizer() != null) {
            boolean included = tokenizerJson(labels) != null;
            b.append("Tokenizer: ")
                    .append(labels.tokenizer())
                    .append(" (")
                    .append(labels.tokenizerVocabSize())
                    .append(" tokens)")
                    .append(labels.tokenizer().startsWith("bytes") ? "; token ids are the text's UTF-8 bytes" : "")
                    .append(
                            included
                                    ? ". Its tokenizer.json is included.\n\n"
                                    : ". No tokenizer file is included.\n\n");
        }
        b.append("Load with `GPT2LMHeadModel.from_pretrained(folder)` (architecture as GPT-2, exact GELU).\n\n");
        b.append("## Provenance\n\n```json\n")
                .append(new GsonBuilder()
                        .setPrettyPrinting()
                        .disableHtmlEscaping()
                        .create()
                        .toJson(provenance))
                .append("\n```\n");
        return b.toString();
    }

    private static double[] doubles(JsonObject o, String key) {
        var a = o.getAsJsonArray(key);
        double[] v = new double[a == null ? 0 : a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).getAsDouble();
        }
        return v;
    }
}
