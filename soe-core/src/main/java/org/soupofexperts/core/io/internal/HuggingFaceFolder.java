package org.soupofexperts.core.io.internal;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.io.Dtype;
import org.soupofexperts.core.io.NewFolder;

/**
 * A model in the layout of a Hugging Face GPT-2 checkpoint: {@code config.json} (GPT-2's keys),
 * {@code model.safetensors} with GPT-2's tensor names, and a model card {@code README.md}. The
 * architecture is GPT-2's (pre-LayerNorm blocks, learned positions, tied output head) with the
 * exact GELU ({@code activation_function: "gelu"}); GPT-2 stores its linear layers as
 * {@code Conv1D}, weight shape (in, out), which is our layout too, and a model without biases gets
 * zero biases. Token ids are whatever the model was trained on: a model of the byte tokenizer
 * gets a {@code tokenizer.json} that maps a text's UTF-8 bytes to ids 0-255 ({@link
 * #byteLevelTokenizer}), a model trained with a Hugging Face tokenizer gets its own. The folder
 * also holds {@code generation_config.json}; both configs name no BOS or EOS token when the
 * tokenizer has none (transformers would otherwise assume GPT-2's 50256). Stateless.
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
            Dtype dtype,
            String card,
            String tokenizerJson)
            throws IOException {
        Gson gson = new GsonBuilder()
                .setPrettyPrinting()
                .serializeNulls()
                .disableHtmlEscaping()
                .create();
        NewFolder.write(dir, "export", tmp -> {
            Safetensors.write(
                    tmp.resolve("model.safetensors"), gpt2Tensors(config, tensors), Map.of("format", "pt"), dtype);
            Files.writeString(tmp.resolve("config.json"), gson.toJson(config(config, dtype)), StandardCharsets.UTF_8);
            Files.writeString(
                    tmp.resolve("generation_config.json"),
                    gson.toJson(generationConfig(config)),
                    StandardCharsets.UTF_8);
            Files.writeString(tmp.resolve("README.md"), card, StandardCharsets.UTF_8);
            if (tokenizerJson != null) {
                Files.writeString(tmp.resolve("tokenizer.json"), tokenizerJson, StandardCharsets.UTF_8);
            }
        });
    }

    /** GPT-2's config keys for this model. */
    static JsonObject config(ModelConfig c, Dtype dtype) {
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
        // Explicitly none: GPT2Config's defaults are GPT-2's own <|endoftext|> id, 50256.
        o.add("bos_token_id", JsonNull.INSTANCE);
        o.add("eos_token_id", JsonNull.INSTANCE);
        o.addProperty(
                "torch_dtype",
                switch (dtype) {
                    case F32 -> "float32";
                    case F16 -> "float16";
                    case BF16 -> "bfloat16";
                });
        return o;
    }

    /** transformers' generation defaults: no BOS, EOS or padding token, at most a context of positions. */
    static JsonObject generationConfig(ModelConfig c) {
        JsonObject o = new JsonObject();
        o.add("bos_token_id", JsonNull.INSTANCE);
        o.add("eos_token_id", JsonNull.INSTANCE);
        o.add("pad_token_id", JsonNull.INSTANCE);
        o.addProperty("max_length", c.contextLength());
        return o;
    }

    /**
     * A Hugging Face {@code tokenizer.json} whose ids are a text's UTF-8 bytes, the library's byte
     * tokenizer: GPT-2's byte-level pre-tokenizer and decoder (each byte shown as one printable
     * character, GPT-2's byte-to-unicode table) over a BPE model with the 256 byte characters as
     * its vocabulary, id = byte value, and no merges. Without it transformers' {@code
     * AutoTokenizer} builds an empty tokenizer from the folder without a word.
     */
    public static String byteLevelTokenizer() {
        JsonObject vocab = new JsonObject();
        int[] shown = byteToUnicode();
        for (int b = 0; b < 256; b++) {
            vocab.addProperty(new String(Character.toChars(shown[b])), b);
        }
        JsonObject model = new JsonObject();
        model.addProperty("type", "BPE");
        model.add("dropout", JsonNull.INSTANCE);
        model.add("unk_token", JsonNull.INSTANCE);
        model.add("continuing_subword_prefix", JsonNull.INSTANCE);
        model.add("end_of_word_suffix", JsonNull.INSTANCE);
        model.addProperty("fuse_unk", false);
        model.addProperty("byte_fallback", false);
        model.add("vocab", vocab);
        model.add("merges", new JsonArray());
        JsonObject byteLevel = new JsonObject();
        byteLevel.addProperty("type", "ByteLevel");
        byteLevel.addProperty("add_prefix_space", false);
        byteLevel.addProperty("trim_offsets", false);
        byteLevel.addProperty("use_regex", false);
        JsonObject t = new JsonObject();
        t.addProperty("version", "1.0");
        t.add("truncation", JsonNull.INSTANCE);
        t.add("padding", JsonNull.INSTANCE);
        t.add("added_tokens", new JsonArray());
        t.add("normalizer", JsonNull.INSTANCE);
        t.add("pre_tokenizer", byteLevel);
        t.add("post_processor", JsonNull.INSTANCE);
        t.add("decoder", byteLevel.deepCopy());
        t.add("model", model);
        return new GsonBuilder()
                .serializeNulls()
                .disableHtmlEscaping()
                .setPrettyPrinting()
                .create()
                .toJson(t);
    }

    /** GPT-2's table: printable bytes stand for themselves, the others for code points from 256 up. */
    private static int[] byteToUnicode() {
        int[] shown = new int[256];
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            shown[b] = printable ? b : next++;
        }
        return shown;
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
