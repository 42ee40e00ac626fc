package org.soupofexperts.core.io.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.Specialist;
import org.soupofexperts.core.config.ExpertInit;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.internal.Djl;
import org.soupofexperts.core.io.Dtype;

/**
 * The Hugging Face export read back by an independent GPT-2 forward pass written from GPT-2's
 * conventions (Conv1D weights of shape (in, out), c_attn holding q, k, v in that order, tied
 * head), not from this library's model code: it must give the specialist's own logits.
 */
class HuggingFaceFolderTest {

    @TempDir
    Path dir;

    private static final ModelConfig TINY = ModelConfig.builder()
            .vocabSize(50)
            .layers(2)
            .dModel(16)
            .heads(2)
            .contextLength(10)
            .build();

    @Test
    void aGpt2ForwardPassOverTheExportGivesTheSpecialistsLogits() throws Exception {
        int[] tokens = {7, 3, 41, 0, 12, 9};
        Path folder = dir.resolve("hf");
        float[] expected;
        try (SoupOfExperts soup = SoupOfExperts.builder()
                        .model(TINY)
                        .domains(2)
                        .experts(2)
                        .expertInit(ExpertInit.SCALED_NOISE)
                        .seed(4)
                        .build();
                Specialist s = soup.instantiate(new double[] {0.2, 0.8});
                NDManager m = Djl.engine().newBaseManager()) {
            expected = s.logits(m.create(tokens, new Shape(1, tokens.length)))
                    .get(new NDIndex("0, -1"))
                    .toFloatArray();
            s.exportHuggingFace(folder, Dtype.F32);
            assertThrows(FileAlreadyExistsException.class, () -> s.exportHuggingFace(folder, Dtype.F32));
            s.exportHuggingFace(dir.resolve("hf16"), Dtype.F16);
            s.exportHuggingFace(dir.resolve("hfbf16"), Dtype.BF16);
        }
        JsonObject cfg = StrictJson.readObject(folder.resolve("config.json"));
        assertEquals("gpt2", cfg.get("model_type").getAsString());
        assertEquals("gelu", cfg.get("activation_function").getAsString());
        Map<String, Safetensors.Tensor> w =
                Safetensors.read(folder.resolve("model.safetensors")).tensors();
        assertEquals(2 + 2 * 12 + 2, w.size(), "GPT-2's tensors, lm_head tied to wte: " + w.keySet());
        float[] got = gpt2Logits(w, cfg, tokens);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], got[i], 1e-4, "logit " + i);
        }
        assertTrue(Files.readString(folder.resolve("README.md")).contains("Domain weights h"));

        // Half precisions: the same tensors to within their rounding.
        Map<String, Safetensors.Tensor> f16 =
                Safetensors.read(dir.resolve("hf16/model.safetensors")).tensors();
        Map<String, Safetensors.Tensor> bf16 =
                Safetensors.read(dir.resolve("hfbf16/model.safetensors")).tensors();
        for (String name : w.keySet()) {
            float[] a = w.get(name).values();
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i], f16.get(name).values()[i], Math.abs(a[i]) * 0x1p-11 + 0x1p-24, name);
                assertEquals(a[i], bf16.get(name).values()[i], Math.abs(a[i]) * 0x1p-8, name);
            }
        }
        assertTrue(Files.size(dir.resolve("hf16/model.safetensors"))
                < Files.size(folder.resolve("model.safetensors")) * 0.6);
    }

    @Test
    void halfPrecisionConversionsRoundToNearestEven() {
        for (int bits = 0; bits < 1 << 16; bits++) {
            short h = (short) bits;
            float f = Dtype.fromHalf(h);
            if (!Float.isNaN(f)) {
                assertEquals(h, Dtype.toHalf(f), "half " + Integer.toHexString(bits) + " round-trips");
            }
            float b = Dtype.fromBfloat16(h);
            if (!Float.isNaN(b)) {
                assertEquals(h, Dtype.toBfloat16(b), "bfloat16 " + Integer.toHexString(bits) + " round-trips");
            }
        }
        SplittableRandom rng = new SplittableRandom(9);
        for (int i = 0; i < 100_000; i++) {
            float f = (float) (rng.nextGaussian() * Math.pow(2, rng.nextInt(-20, 15)));
            // Magnitudes: the code's neighbours above and (unless it is zero) below.
            float a = Math.abs(f);
            int code = Dtype.toHalf(a);
            float h = Dtype.fromHalf((short) code);
            float up = Dtype.fromHalf((short) (code + 1));
            float down = code == 0 ? 0f : Dtype.fromHalf((short) (code - 1));
            assertTrue(
                    Math.abs(h - a) <= Math.abs(up - a) && Math.abs(h - a) <= Math.abs(down - a),
                    "the nearest half of " + a + " is not " + h);
            assertEquals(-h, Dtype.fromHalf(Dtype.toHalf(-a)), "the sign is kept");
        }
        assertEquals(Float.POSITIVE_INFINITY, Dtype.fromHalf(Dtype.toHalf(70000f)));
        assertEquals(1.0f, Dtype.fromHalf(Dtype.toHalf(1.0f + 0x1p-11f)), "a tie goes to the even neighbour");
        assertEquals(1.0f, Dtype.fromBfloat16(Dtype.toBfloat16(1.0f + 0x1p-8f)), "a tie goes to the even neighbour");
    }

    /** GPT-2's forward pass in plain Java (doubles), next-token logits of the last position. */
    private static float[] gpt2Logits(Map<String, Safetensors.Tensor> w, JsonObject cfg, int[] tokens) {
        int d = cfg.get("n_embd").getAsInt();
        int layers = cfg.get("n_layer").getAsInt();
        int heads = cfg.get("n_head").getAsInt();
        int vocab = cfg.get("vocab_size").getAsInt();
        double eps = cfg.get("layer_norm_epsilon").getAsDouble();
        int t = tokens.length;
        int hd = d / heads;
        double[][] x = new double[t][d];
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < d; j++) {
                x[i][j] = v(w, "transformer.wte.weight")[tokens[i] * d + j] + v(w, "transformer.wpe.weight")[i * d + j];
            }
        }
        for (int l = 0; l < layers; l++) {
            String p = "transformer.h." + l + ".";
            double[][] a = norm(x, v(w, p + "ln_1.weight"), v(w, p + "ln_1.bias"), eps);
            double[][] qkv = conv1d(a, w.get(p + "attn.c_attn.weight"), v(w, p + "attn.c_attn.bias"));
            double[][] y = new double[t][d];
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < t; i++) {
                    double[] s = new double[i + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= i; j++) {
                        double dot = 0;
                        for (int c = 0; c < hd; c++) {
                            dot += qkv[i][h * hd + c] * qkv[j][d + h * hd + c];
                        }
                        s[j] = dot / Math.sqrt(hd);
                        max = Math.max(max, s[j]);
                    }
                    double z = 0;
                    for (int j = 0; j <= i; j++) {
                        s[j] = Math.exp(s[j] - max);
                        z += s[j];
                    }
                    for (int j = 0; j <= i; j++) {
                        for (int c = 0; c < hd; c++) {
                            y[i][h * hd + c] += s[j] / z * qkv[j][2 * d + h * hd + c];
                        }
                    }
                }
            }
            add(x, conv1d(y, w.get(p + "attn.c_proj.weight"), v(w, p + "attn.c_proj.bias")));
            double[][] f = conv1d(
                    norm(x, v(w, p + "ln_2.weight"), v(w, p + "ln_2.bias"), eps),
                    w.get(p + "mlp.c_fc.weight"),
                    v(w, p + "mlp.c_fc.bias"));
            for (double[] row : f) {
                for (int c = 0; c < row.length; c++) {
                    row[c] = 0.5 * row[c] * (1 + erf(row[c] / Math.sqrt(2)));
                }
            }
            add(x, conv1d(f, w.get(p + "mlp.c_proj.weight"), v(w, p + "mlp.c_proj.bias")));
        }
        double[] last = norm(x, v(w, "transformer.ln_f.weight"), v(w, "transformer.ln_f.bias"), eps)[t - 1];
        float[] logits = new float[vocab];
        for (int k = 0; k < vocab; k++) {
            double dot = 0;
            for (int c = 0; c < d; c++) {
                dot += last[c] * v(w, "transformer.wte.weight")[k * d + c];
            }
            logits[k] = (float) dot;
        }
        return logits;
    }

    private static float[] v(Map<String, Safetensors.Tensor> w, String name) {
        Safetensors.Tensor t = w.get(name);
        if (t == null) {
            throw new AssertionError("no tensor " + name + " in " + w.keySet());
        }
        return t.values();
    }

    /** GPT-2's Conv1D: y = x W + b with W of shape (in, out). */
    private static double[][] conv1d(double[][] x, Safetensors.Tensor weight, float[] bias) {
        int in = (int) weight.shape()[0];
        int out = (int) weight.shape()[1];
        double[][] y = new double[x.length][out];
        for (int i = 0; i < x.length; i++) {
            for (int o = 0; o < out; o++) {
                double s = bias[o];
                for (int k = 0; k < in; k++) {
                    s += x[i][k] * weight.values()[k * out + o];
                }
                y[i][o] = s;
            }
        }
        return y;
    }

    private static double[][] norm(double[][] x, float[] gain, float[] bias, double eps) {
        double[][] y = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            double mean = 0;
            for (double e : x[i]) {
                mean += e / x[i].length;
            }
            double var = 0;
            for (double e : x[i]) {
                var += (e - mean) * (e - mean) / x[i].length;
            }
            y[i] = new double[x[i].length];
            for (int c = 0; c < x[i].length; c++) {
                y[i][c] = (x[i][c] - mean) / Math.sqrt(var + eps) * gain[c] + bias[c];
            }
        }
        return y;
    }

    private static void add(double[][] x, double[][] y) {
        for (int i = 0; i < x.length; i++) {
            for (int c = 0; c < x[i].length; c++) {
                x[i][c] += y[i][c];
            }
        }
    }

    /** erf by Abramowitz and Stegun 7.1.26 (error below 1.5e-7). */
    private static double erf(double z) {
        double t = 1 / (1 + 0.3275911 * Math.abs(z));
        double y = 1
                - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592)
                        * t
                        * Math.exp(-z * z);
        return z >= 0 ? y : -y;
    }
}
