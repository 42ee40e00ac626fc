package org.soupofexperts.core.io;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.soupofexperts.core.config.ModelConfig;

/**
 * A model in the layout of a Hugging Face GPT-2 checkpoint: {@code config.json} (GPT-2's keys),
 * {@code model.safetensors} with GPT-2's tensor names, and a model card {@code README.md}. The
 * architecture is GPT-2's (pre-LayerNorm blocks, learned positions, tied output head) with the
 * exact GELU ({@code activation_function: "gelu"}); GPT-2 stores its linear layers as
 * {@code Conv1D}, weight shape (in, out), which is our layout too, and a model without biases gets
 * zero biases. Token ids are whatever the model was trained on (for
 * the byte tokenizer, a text's UTF-8 bytes); a model trained with a Hugging Face tokenizer gets
 * its {@code tokenizer.json}. Stateless.
 */
public final class HuggingFaceFolder {

    private HuggingFaceFolder() {}

    /**
     * Writes the folder, atomically (a folder beside it, renamed).
     *
     * @param tensors the model's tensors by this library's names ({@code GptModel.soupTensors()})
     * @param card the model card's Markdown
     * @param tokenizerJson the model's Hugging Face tokenizer.json, or null when it has none
     * @throws FileAlreadyExistsException if {@code dir} exists
     */
    public static void write(
            Path dir,
            ModelConfig config,
            Map<String, Safetensors.Tensor> tensors,
            Safetensors.Dtype dtype,
            String card,
            String tokenizerJson)
            throws IOException {
        NewFolder.write(dir, "export", tmp -> {
            Safetensors.write(
                    tmp.resolve("model.safetensors"), gpt2Tensors(config, tensors), Map.of("format", "pt"), dtype);
            Files.writeString(
                    tmp.resolve("config.json"),
                    new GsonBuilder().setPrettyPrinting().create().toJson(config(config, dtype)),
                    StandardCharsets.UTF_8);
            Files.writeString(tmp.resolve("README.md"), card, StandardCharsets.UTF_8);
            if (tokenizerJson != null) {
                Files.writeString(tmp.resolve("tokenizer.json"), tokenizerJson, StandardCharsets.UTF_8);
            }
        });
    }

    /** GPT-2's config keys for this model. */
    static JsonObject config(ModelConfig c, Safetensors.Dtype dtype) {
        JsonObject o = new JsonObject();
        JsonArray arch = new JsonArray();
        arch.add("GPT2LMHeadModel");
        o.add("architectures", arch);
        o.addProperty("model_type", "gpt2");
        o.addProperty("vocab_size", c.vocabSize());
        o.addProperty("n_positions", c.contextLength());
        o.addProperty("n_ctx", c.contextLength());
        o.addProperty("n_embd", c.dModel());
        o.addProperty("n_layer", c.layers());
        o.addProperty("n_head", c.heads());
        o.addProperty("n_inner", c.mlpRatio() * c.dModel());
        o.addProperty("activation_function", "gelu");
        o.addProperty("layer_norm_epsilon", 1e-5);
        o.addProperty("resid_pdrop", 0.0);
        o.addProperty("embd_pdrop", 0.0);
        o.addProperty("attn_pdrop", 0.0);
        o.addProperty("scale_attn_weights", true);
        o.addProperty("tie_word_embeddings", true);
        o.addProperty(
                "torch_dtype",
                switch (dtype) {
                    case F32 -> "float32";
                    case F16 -> "float16";
                    case BF16 -> "bfloat16";
                });
        return o;
    }

    /** Our tensors under GPT-2's names (linear weights are (in, out) in both), missing biases as zeros. */
    static Map<String, Safetensors.Tensor> gpt2Tensors(ModelConfig c, Map<String, Safetensors.Tensor> ours) {
        Map<String, Safetensors.Tensor> out = new LinkedHashMap<>();
        int d = c.dModel();
        out.put("transformer.wte.weight", need(ours, "wte.weight"));
        out.put("transformer.wpe.weight", need(ours, "wpe.weight"));
        for (int i = 0; i < c.layers(); i++) {
            String h = "h" + i;
            String to = "transformer.h." + i + ".";
            norm(out, ours, h + ".ln_1", to + "ln_1", d);
            linear(out, ours, h + ".attn.qkv", to + "attn.c_attn");
            linear(out, ours, h + ".attn.proj", to + "attn.c_proj");
            norm(out, ours, h + ".ln_2", to + "ln_2", d);
            linear(out, ours, h + ".mlp.fc", to + "mlp.c_fc");
            linear(out, ours, h + ".mlp.proj", to + "mlp.c_proj");
        }
        norm(out, ours, "ln_f", "transformer.ln_f", d);
        return out;
    }

    private static void norm(
            Map<String, Safetensors.Tensor> out, Map<String, Safetensors.Tensor> ours, String from, String to, int d) {
        out.put(to + ".weight", need(ours, from + ".gain"));
        Safetensors.Tensor b = ours.get(from + ".bias");
        out.put(to + ".bias", b != null ? b : new Safetensors.Tensor(new long[] {d}, new float[d]));
    }

    private static void linear(
            Map<String, Safetensors.Tensor> out, Map<String, Safetensors.Tensor> ours, String from, String to) {
        // Ours are (in, out) like GPT-2's Conv1D: copied as they are.
        Safetensors.Tensor w = need(ours, from + ".weight");
        int cols = (int) w.shape()[1];
        out.put(to + ".weight", w);
        Safetensors.Tensor b = ours.get(from + ".bias");
        out.put(to + ".bias", b != null ? b : new Safetensors.Tensor(new long[] {cols}, new float[cols]));
    }

    private static Safetensors.Tensor need(Map<String, Safetensors.Tensor> ours, String name) {
        Safetensors.Tensor t = ours.get(name);
        if (t == null) {
            throw new IllegalArgumentException(
                    "the model has no tensor '" + name + "': not a GPT model of this library");
        }
        return t;
    }
}
