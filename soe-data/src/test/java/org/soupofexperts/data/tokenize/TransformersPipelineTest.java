package org.soupofexperts.data.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.soupofexperts.core.DenseModel;
import org.soupofexperts.core.Generation;
import org.soupofexperts.core.Labels;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.io.Dtype;

/**
 * A byte-level model's Hugging Face folder, loaded by {@code transformers} as a text-generation
 * pipeline, continues a prompt with the tokens the Java model chooses and gives its logits. Runs
 * where {@code python3} can import {@code transformers} and {@code torch}; skipped, saying so,
 * elsewhere (this project's machine and CI have neither: ByteLevelExportTest checks the files'
 * content everywhere).
 */
class TransformersPipelineTest {

    @TempDir
    Path dir;

    private static final String SCRIPT = """
            import json, sys, torch
            from transformers import AutoModelForCausalLM, AutoTokenizer, pipeline
            folder, prompt, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
            tok = AutoTokenizer.from_pretrained(folder)
            model = AutoModelForCausalLM.from_pretrained(folder)
            gen = pipeline("text-generation", model=model, tokenizer=tok)
            text = gen(prompt, max_new_tokens=steps, do_sample=False, return_full_text=False)[0]["generated_text"]
            ids = tok(prompt)["input_ids"]
            with torch.no_grad():
                last = model(torch.tensor([ids])).logits[0, -1].tolist()
                new = model.generate(torch.tensor([ids]), max_new_tokens=steps, do_sample=False)[0, len(ids):].tolist()
            print(json.dumps({"ids": ids, "text": text, "decoded": tok.decode(new), "new": new, "logits": last}))
            """;

    /** Whether python3 imports transformers and torch within a minute. */
    private static boolean transformersAvailable() {
        try {
            Process p = new ProcessBuilder("python3", "-c", "import transformers, torch")
                    .redirectErrorStream(true)
                    .start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void theExportedFolderGeneratesTheJavaModelsTokensInATransformersPipeline() throws Exception {
        assumeTrue(
                transformersAvailable(),
                "python3 cannot import transformers and torch here: the pipeline check runs where they are"
                        + " installed; the folder's files are checked by ByteLevelExportTest");
        ByteTokenizer bytes = new ByteTokenizer();
        String prompt = "soup of ";
        int steps = 6;
        Path folder = dir.resolve("hf");
        int[] expected;
        float[] logits;
        try (DenseModel m = DenseModel.create(
                        ModelConfig.builder()
                                .vocabSize(256)
                                .layers(2)
                                .dModel(32)
                                .heads(2)
                                .contextLength(32)
                                .build(),
                        3);
                NDManager nd = NDManager.newBaseManager()) {
            m.label(new Labels(List.of(), bytes.id(), bytes.vocabSize()));
            m.exportHuggingFace(folder, Dtype.F32);
            expected = m.generate(bytes.encode(prompt), Generation.greedy(steps));
            int[] ids = bytes.encode(prompt);
            long[] row = new long[ids.length];
            for (int i = 0; i < ids.length; i++) {
                row[i] = ids[i];
            }
            NDArray out = m.logits(nd.create(row).reshape(1, ids.length));
            logits = out.get(0).get(ids.length - 1).toFloatArray();
        }
        Path script = Files.writeString(dir.resolve("pipeline.py"), SCRIPT);
        Process p = new ProcessBuilder("python3", script.toString(), folder.toString(), prompt, String.valueOf(steps))
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "the pipeline finished");
        assertEquals(0, p.exitValue(), stdout);
        String[] lines = stdout.strip().split("\n");
        JsonObject r = JsonParser.parseString(lines[lines.length - 1]).getAsJsonObject();
        JsonArray ids = r.getAsJsonArray("ids");
        int[] pythonIds = new int[ids.size()];
        for (int i = 0; i < pythonIds.length; i++) {
            pythonIds[i] = ids.get(i).getAsInt();
        }
        assertArrayEquals(bytes.encode(prompt), pythonIds, "the exported tokenizer gives the prompt's bytes");
        JsonArray l = r.getAsJsonArray("logits");
        assertEquals(logits.length, l.size());
        for (int i = 0; i < logits.length; i++) {
            assertEquals(logits[i], l.get(i).getAsFloat(), 1e-3, "logit " + i);
        }
        JsonArray fresh = r.getAsJsonArray("new");
        int[] pythonNew = new int[fresh.size()];
        for (int i = 0; i < pythonNew.length; i++) {
            pythonNew[i] = fresh.get(i).getAsInt();
        }
        assertArrayEquals(expected, pythonNew, "greedy generation chooses the Java model's tokens");
        assertEquals(r.get("decoded").getAsString(), r.get("text").getAsString(), "the pipeline's text is theirs");
    }
}
