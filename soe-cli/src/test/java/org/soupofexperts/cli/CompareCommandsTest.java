package org.soupofexperts.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.soupofexperts.cli.Cli.concat;
import static org.soupofexperts.cli.Cli.soe;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.soupofexperts.cli.Cli.Result;
import org.soupofexperts.core.DenseModel;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.Specialist;
import org.soupofexperts.core.djl.NextTokenTranslatorFactory;
import org.soupofexperts.core.internal.Djl;
import org.soupofexperts.core.io.internal.Safetensors;
import org.soupofexperts.data.eval.Evaluation;
import org.soupofexperts.data.store.ShardWriter;
import org.soupofexperts.data.store.ShardedStore;
import org.soupofexperts.data.store.TokenShard;
import org.soupofexperts.data.store.TokenStore;
import org.soupofexperts.data.synth.SyntheticCorpus;
import org.soupofexperts.data.tokenize.ByteTokenizer;
import org.soupofexperts.data.tokenize.Tokenizer;

/** {@code soe baseline}, {@code soe compare} and {@code soe finetune} end to end on a tiny corpus. */
class CompareCommandsTest {

    @TempDir
    Path dir;

    private Path corpus(SyntheticCorpus synth) throws IOException {
        return Cli.corpus(dir, synth, 150);
    }

    /** A store in shards (as the Spark job writes it): 2 shards per domain, listed by a manifest. */
    private Path shardedStore(SyntheticCorpus synth, Tokenizer tok) throws IOException {
        return shardedStore(synth, tok, -1);
    }

    /** As above; domain {@code tinyValid} (if any) holds out one 3-byte document only. */
    private Path shardedStore(SyntheticCorpus synth, Tokenizer tok, int tinyValid) throws IOException {
        Path store = Files.createDirectories(dir.resolve("sharded"));
        ShardedStore.Builder b = ShardedStore.builder(tok).validation(0.1, 0);
        for (int d = 0; d < synth.numDomains(); d++) {
            List<TokenShard> train = new ArrayList<>();
            List<TokenShard> valid = new ArrayList<>();
            for (int part = 0; part < 2; part++) {
                String name = "c" + d + "-p" + part;
                try (ShardWriter t = ShardWriter.inFolder(store, "train-" + name, tok);
                        ShardWriter v = ShardWriter.inFolder(store, "valid-" + name, tok)) {
                    for (String doc : synth.documents(d, 100L * part, 100, 60)) {
                        if (d == tinyValid) {
                            t.add(doc);
                        } else {
                            (TokenStore.heldOut(doc, 0.1, 0) ? v : t).add(doc);
                        }
                    }
                    if (d == tinyValid && part == 0) {
                        v.add("abc");
                    }
                    train.add(t.finish());
                    valid.add(v.finish());
                }
            }
            b.domain(synth.domainNames().get(d), train, valid);
        }
        b.write(store);
        return store;
    }

    @Test
    void trainBaselineAndCompareReadAShardedTokenStoreGivenByStore() throws Exception {
        SyntheticCorpus synth = new SyntheticCorpus(2, 200, 7);
        Path store = shardedStore(synth, new ByteTokenizer());
        String out = dir.resolve("run").toString();
        String[] budget = {
            "--store",
            store.toString(),
            "--out",
            out,
            "--steps",
            "10",
            "--layers",
            "1",
            "--width",
            "32",
            "--context",
            "32",
            "--batch",
            "8",
            "--quiet"
        };
        Result train = soe(concat(new String[] {"train", "--experts", "2"}, budget));
        assertEquals(0, train.code(), train.err());
        assertTrue(train.out().contains(synth.domainNames().toString()), train.out());
        assertTrue(Files.notExists(Path.of(out, "token-store")), "nothing rebuilt from a corpus");
        assertEquals(0, soe(concat(new String[] {"baseline"}, budget)).code());
        Result compare =
                soe("compare", "--out", out, "--store", store.toString(), "--windows", "2", "--documents", "5");
        assertEquals(0, compare.code(), compare.err());
        assertTrue(compare.out().contains(synth.domainNames().get(1)), compare.out());

        Path corpus = corpus(synth);
        Result both = soe("train", "--corpus", corpus.toString(), "--store", store.toString(), "--out", out + "2");
        assertEquals(1, both.code());
        assertTrue(both.err().contains("either --corpus") && both.err().contains("or --store"), both.err());
        Result neither = soe("train", "--out", out + "3");
        assertEquals(1, neither.code());
        assertTrue(neither.err().contains("either --corpus"), neither.err());
    }

    @Test
    void compareLeavesOutADomainThatHoldsOutLessThanOneWindowAndSaysSo() throws Exception {
        // As small k-means clusters do: domain 1 of 3 holds out 3 tokens, fewer than a window of 33.
        SyntheticCorpus synth = new SyntheticCorpus(3, 200, 7);
        Path store = shardedStore(synth, new ByteTokenizer(), 1);
        assertEquals(3, TokenStore.open(store).validTokens(1));
        String out = dir.resolve("run").toString();
        String[] budget = {
            "--store",
            store.toString(),
            "--out",
            out,
            "--steps",
            "5",
            "--layers",
            "1",
            "--width",
            "32",
            "--context",
            "32",
            "--batch",
            "6",
            "--quiet"
        };
        assertEquals(
                0, soe(concat(new String[] {"train", "--experts", "2"}, budget)).code());
        assertEquals(0, soe(concat(new String[] {"baseline"}, budget)).code());
        String[] compare = {"compare", "--out", out, "--store", store.toString(), "--windows", "2", "--documents", "5"};
        Result text = soe(compare);
        assertEquals(0, text.code(), text.err());
        String small = synth.domainNames().get(1);
        assertTrue(
                text.out().contains("not compared, fewer validation tokens than one window: " + small + " (3)"),
                text.out());
        assertTrue(text.out().contains(" of 2 domains"), text.out());
        JsonObject json =
                JsonParser.parseString(soe(concat(compare, "--json")).out()).getAsJsonObject();
        assertEquals(2, json.getAsJsonArray("domains").size());
        assertEquals(
                small,
                json.getAsJsonArray("skipped")
                        .get(0)
                        .getAsJsonObject()
                        .get("domain")
                        .getAsString());
        for (var d : json.getAsJsonArray("domains")) {
            assertNotEquals(small, d.getAsJsonObject().get("domain").getAsString(), json.toString());
        }
    }

    @Test
    void aTokenStoreOfAnotherTokenizerIsRefusedByName() throws Exception {
        Tokenizer wide = new Tokenizer() {
            @Override
            public int vocabSize() {
                return 300;
            }

            @Override
            public int[] encode(String text) {
                return new ByteTokenizer().encode(text);
            }

            @Override
            public String decode(int[] ids) {
                return new ByteTokenizer().decode(ids);
            }

            @Override
            public String id() {
                return "wide-test";
            }
        };
        Path store = shardedStore(new SyntheticCorpus(2, 200, 7), wide);
        Result r = soe(
                "train",
                "--store",
                store.toString(),
                "--out",
                dir.resolve("run").toString(),
                "--steps",
                "2");
        assertEquals(1, r.code());
        assertTrue(
                r.err().contains("wide-test")
                        && r.err().contains("not of bytes-utf8")
                        && r.err().contains("--tokenizer"),
                r.err());
    }

    @Test
    void baselineAndCompareReportTheLibrarysLossesPerDomain() throws Exception {
        Path corpus = corpus(new SyntheticCorpus(2, 200, 7));
        String out = dir.resolve("run").toString();
        String[] budget = {
            "--corpus",
            corpus.toString(),
            "--out",
            out,
            "--steps",
            "30",
            "--layers",
            "1",
            "--width",
            "32",
            "--context",
            "32",
            "--batch",
            "8",
            "--quiet"
        };
        Result none = soe("compare", "--out", out);
        assertEquals(1, none.code());
        assertTrue(none.err().contains("soe baseline"), "names the command that makes what is missing: " + none.err());

        Result train = soe(concat(new String[] {"train", "--experts", "2"}, budget));
        assertEquals(0, train.code(), train.err());
        Result base = soe(concat(new String[] {"baseline"}, budget));
        assertEquals(0, base.code(), base.err());
        assertTrue(base.out().contains("saved") && base.out().contains("baseline"), base.out());
        Result again = soe(concat(new String[] {"baseline"}, budget));
        assertEquals(1, again.code());
        assertTrue(
                again.err().contains("already holds a baseline") && again.err().contains("--force"), again.err());

        Path png = dir.resolve("compare.png");
        Result table = soe("compare", "--out", out, "--windows", "4", "--documents", "10", "--png", png.toString());
        assertEquals(0, table.code(), table.err());
        assertTrue(
                table.out().contains("dom0")
                        && table.out().contains("dom1")
                        && table.out().contains("of 2 domains"),
                table.out());
        byte[] head = Arrays.copyOf(Files.readAllBytes(png), 4);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, head, "--png writes a PNG");

        Result json = soe("compare", "--out", out, "--windows", "4", "--documents", "10", "--json");
        assertEquals(0, json.code(), json.err());
        JsonObject all = JsonParser.parseString(json.out()).getAsJsonObject();
        JsonArray domains = all.getAsJsonArray("domains");
        assertEquals(2, domains.size());
        try (DenseModel baseline = DenseModel.load(Path.of(out, "baseline"))) {
            TokenStore store = TokenStore.open(Path.of(out, "token-store"));
            double mean = 0;
            for (int d = 0; d < 2; d++) {
                JsonObject row = domains.get(d).getAsJsonObject();
                assertEquals("dom" + d, row.get("domain").getAsString());
                double expected =
                        Evaluation.onValidation(baseline::loss, store, d, 32, 4).bitsPerByte();
                assertEquals(
                        expected,
                        row.get("baselineBitsPerByte").getAsDouble(),
                        1e-9,
                        "the baseline column is the library's validation loss");
                assertEquals(
                        row.get("soupNaturalBitsPerByte").getAsDouble()
                                - row.get("specialistBitsPerByte").getAsDouble(),
                        row.get("hMatters").getAsDouble(),
                        1e-12);
                assertTrue(
                        row.getAsJsonArray("h").get(d).getAsDouble() > 0.5,
                        "a domain's own documents give an h that favours it: " + row);
                mean += expected / 2;
            }
            assertEquals(mean, all.get("baselineBitsPerByte").getAsDouble(), 1e-9);
            assertEquals(
                    "bytes-utf8",
                    baseline.labels().tokenizer(),
                    "the baseline records its tokenizer: " + baseline.labels());
        }
        Result folder = soe("compare", "--out", out, "--png", dir.toString());
        assertEquals(1, folder.code(), folder.err());
        assertTrue(folder.err().contains("is a folder: name the PNG file"), folder.err());
        // A soup over 2 clusters of this 2-label store: the same count, other domains. Its natural h
        // would be the labels' token shares put on its clusters, so compare refuses it by name.
        Result clusters =
                soe(concat(new String[] {"train", "--experts", "2", "--domains", "clusters:2", "--force"}, budget));
        assertEquals(0, clusters.code(), clusters.err());
        Result refused = soe("compare", "--out", out, "--windows", "4", "--documents", "10");
        assertEquals(1, refused.code(), refused.err());
        assertTrue(
                refused.err().contains("[cluster-0, cluster-1]")
                        && refused.err().contains("[dom0, dom1]"),
                refused.err());
    }

    @Test
    void finetuneLowersTheHeldOutLossAndRefusesItsOwnFolder() throws Exception {
        SyntheticCorpus synth = new SyntheticCorpus(2, 200, 7);
        Path corpus = corpus(synth);
        String out = dir.resolve("run").toString();
        Result base = soe(
                "baseline",
                "--corpus",
                corpus.toString(),
                "--out",
                out,
                "--steps",
                "20",
                "--layers",
                "1",
                "--width",
                "32",
                "--context",
                "32",
                "--batch",
                "8",
                "--quiet");
        assertEquals(0, base.code(), base.err());
        List<String> files = new ArrayList<>();
        int i = 0;
        for (String text : synth.documents(1, 300, 20, 200)) {
            files.add(Files.writeString(dir.resolve("doc" + i++ + ".txt"), text).toString());
        }
        String model = Path.of(out, "baseline").toString();
        Path tuned = dir.resolve("tuned");
        Result ft = soe(
                "finetune",
                "--model",
                model,
                "--train",
                String.join(",", files),
                "--out",
                tuned.toString(),
                "--steps",
                "60",
                "--lr",
                "3e-3",
                "--quiet");
        assertEquals(0, ft.code(), ft.err());
        String[] nums = ft.out()
                .replaceAll("^held-out ([0-9.]+) -> ([0-9.]+) bits/byte.*\\s*$", "$1 $2")
                .split(" ");
        assertEquals(2, nums.length, ft.out());
        double before = Double.parseDouble(nums[0]);
        double after = Double.parseDouble(nums[1]);
        assertTrue(after < before, "fine-tuning on the domain lowers its held-out loss: " + ft.out());
        try (DenseModel s = DenseModel.load(tuned)) {
            // The last tenth (2 of 20 documents) was held out and scored.
            List<String> held = synth.documents(1, 318, 2, 200);
            double measured = Evaluation.onDocuments(s::loss, new ByteTokenizer(), held, 32)
                    .bitsPerByte();
            assertEquals(String.format(Locale.ROOT, "%.4f", measured), nums[1], ft.out());
        }
        Result self = soe(
                "finetune",
                "--model",
                model,
                "--train",
                files.get(0),
                "--validation",
                files.get(1),
                "--out",
                model,
                "--force");
        assertEquals(1, self.code());
        assertTrue(self.err().contains("the model's own folder"), self.err());
        Result oneDoc = soe(
                "finetune",
                "--model",
                model,
                "--train",
                files.get(0),
                "--out",
                dir.resolve("x").toString());
        assertEquals(1, oneDoc.code());
        assertTrue(oneDoc.err().contains("give validation documents"), oneDoc.err());
        Result exists =
                soe("finetune", "--model", model, "--train", String.join(",", files), "--out", tuned.toString());
        assertEquals(1, exists.code());
        assertTrue(exists.err().contains("--force"), exists.err());
        Result missing = soe(
                "finetune",
                "--model",
                dir.resolve("nothing").toString(),
                "--train",
                files.get(0),
                "--validation",
                files.get(1),
                "--out",
                dir.resolve("y").toString());
        assertEquals(1, missing.code(), "a wrong model path is bad input: " + missing.err());
        try (DenseModel s = DenseModel.load(Path.of(model))) {
            s.label(s.labels().withTokenizer("hf:other", 100));
            s.save(dir.resolve("other-tokenizer"));
        }
        Result wrongTok = soe(
                "finetune",
                "--model",
                dir.resolve("other-tokenizer").toString(),
                "--train",
                String.join(",", files),
                "--out",
                dir.resolve("z").toString());
        assertEquals(1, wrongTok.code());
        assertTrue(wrongTok.err().contains("trained with tokenizer hf:other"), wrongTok.err());
    }

    @Test
    void exportWritesAFolderThatDjlLoadsAndNeverReplacesOne() throws Exception {
        Path corpus = corpus(new SyntheticCorpus(2, 200, 7));
        String out = dir.resolve("run").toString();
        Result base = soe(
                "baseline",
                "--corpus",
                corpus.toString(),
                "--out",
                out,
                "--steps",
                "5",
                "--layers",
                "1",
                "--width",
                "32",
                "--context",
                "32",
                "--batch",
                "4",
                "--quiet");
        assertEquals(0, base.code(), base.err());
        String model = Path.of(out, "baseline").toString();
        Path folder = dir.resolve("for-djl");
        Result djl = soe("export", "--model", model, "--out", folder.toString());
        assertEquals(0, djl.code(), djl.err());
        assertTrue(
                Files.isRegularFile(folder.resolve("for-djl-0000.params")),
                "DJL's parameter file, named after the folder");
        int[] tokens = {104, 101, 108, 108, 111};
        float[] expected;
        try (DenseModel s = DenseModel.load(Path.of(model));
                NDManager m = Djl.engine().newBaseManager()) {
            expected = s.logits(m.create(tokens, new Shape(1, tokens.length)))
                    .get(new NDIndex("0, -1"))
                    .toFloatArray();
        }
        Criteria<int[], float[]> criteria = Criteria.builder()
                .setTypes(int[].class, float[].class)
                .optModelPath(folder)
                .optTranslatorFactory(new NextTokenTranslatorFactory())
                .build();
        try (ZooModel<int[], float[]> zoo = criteria.loadModel();
                Predictor<int[], float[]> p = zoo.newPredictor()) {
            Assertions.assertArrayEquals(expected, p.predict(tokens), 1e-6f);
        }
        Result again = soe("export", "--model", model, "--out", folder.toString(), "--force");
        assertEquals(1, again.code());
        assertTrue(again.err().contains("choose a new folder"), again.err());

        Path st = dir.resolve("model.safetensors");
        assertEquals(
                0,
                soe("export", "--model", model, "--format", "safetensors", "--out", st.toString())
                        .code());
        assertTrue(Safetensors.read(st).tensors().size() > 0);
        Result exists = soe("export", "--model", model, "--format", "safetensors", "--out", st.toString());
        assertEquals(1, exists.code());
        assertTrue(exists.err().contains("--force"), exists.err());
        assertEquals(
                0,
                soe("export", "--model", model, "--format", "safetensors", "--out", st.toString(), "--force")
                        .code());
        Path hf = dir.resolve("hf");
        Result hfOut = soe("export", "--model", model, "--format", "hf", "--dtype", "BF16", "--out", hf.toString());
        assertEquals(0, hfOut.code(), hfOut.err());
        assertTrue(Files.readString(hf.resolve("config.json")).contains("\"torch_dtype\": \"bfloat16\""));
        assertTrue(Safetensors.read(hf.resolve("model.safetensors"))
                .tensors()
                .containsKey("transformer.h.0.attn.c_attn.weight"));
        Result djlDtype = soe(
                "export",
                "--model",
                model,
                "--dtype",
                "F16",
                "--out",
                dir.resolve("y").toString());
        assertEquals(1, djlDtype.code());
        assertTrue(djlDtype.err().contains("a DJL folder is float32"), djlDtype.err());
        Result badFormat = soe(
                "export",
                "--model",
                model,
                "--format",
                "onnx",
                "--out",
                dir.resolve("x").toString());
        assertEquals(2, badFormat.code(), "picocli's usage error: " + badFormat.err());
        assertTrue(badFormat.err().contains("onnx"), badFormat.err());
    }

    @Test
    void evalReadsJsonlDocumentsAndTheScriptedCommandsPrintJson() throws Exception {
        SyntheticCorpus synth = new SyntheticCorpus(2, 200, 7);
        Path corpus = corpus(synth);
        String out = dir.resolve("run").toString();
        assertEquals(
                0,
                soe(
                                "train",
                                "--corpus",
                                corpus.toString(),
                                "--out",
                                out,
                                "--steps",
                                "5",
                                "--layers",
                                "1",
                                "--width",
                                "32",
                                "--context",
                                "32",
                                "--experts",
                                "2",
                                "--batch",
                                "4",
                                "--quiet")
                        .code());
        String soup = Path.of(out, "soup").toString();
        Path doc = Files.writeString(dir.resolve("doc.txt"), String.join("\n", synth.documents(1, 500, 3, 80)));

        Result hist = soe("histogram", "--soup", soup, "--json", doc.toString());
        assertEquals(0, hist.code(), hist.err());
        JsonObject h = JsonParser.parseString(hist.out()).getAsJsonObject();
        assertEquals("dom1", h.getAsJsonArray("domains").get(1).getAsString());
        assertEquals(
                1.0,
                h.getAsJsonArray("h").get(0).getAsDouble()
                        + h.getAsJsonArray("h").get(1).getAsDouble(),
                1e-9);

        Path spec = dir.resolve("spec");
        Result inst = soe("instantiate", "--soup", soup, "--h", "dom0=1", "--out", spec.toString(), "--json");
        assertEquals(0, inst.code(), inst.err());
        JsonObject i = JsonParser.parseString(inst.out()).getAsJsonObject();
        assertEquals(1.0, i.getAsJsonArray("h").get(0).getAsDouble());
        assertEquals(spec.toString(), i.get("saved").getAsString());

        // A JSONL file is read as documents (its "text" fields), not as raw JSON text.
        Result eval = soe("eval", "--model", spec.toString(), "--json", "--max-documents", "20", corpus.toString());
        assertEquals(0, eval.code(), eval.err());
        JsonObject e = JsonParser.parseString(eval.out()).getAsJsonObject();
        assertEquals(20, e.get("documents").getAsInt());
        try (Specialist s = Specialist.load(spec)) {
            double expected = Evaluation.onDocuments(s::loss, new ByteTokenizer(), synth.documents(0, 0, 20, 80), 32)
                    .bitsPerByte();
            assertEquals(
                    expected,
                    e.get("bitsPerByte").getAsDouble(),
                    1e-12,
                    "the first 20 documents' text, scored by the library");
        }
        // info names a stored tokenizer definition by its size instead of printing it.
        String definition = "{\"model\": {\"type\": \"WordLevel\"}}".repeat(100);
        try (SoupOfExperts s = SoupOfExperts.load(Path.of(soup))) {
            s.label(s.labels().withTokenizer("hf:0123456789abcdef", 200, definition));
            s.save(dir.resolve("hf-soup"));
        }
        Result info = soe("info", "--json", dir.resolve("hf-soup").toString());
        assertEquals(0, info.code(), info.err());
        JsonObject labels = JsonParser.parseString(info.out()).getAsJsonObject().getAsJsonObject("labels");
        assertEquals(definition.length(), labels.get("tokenizerDefinitionChars").getAsInt());
        assertTrue(!labels.has("tokenizerDefinition") && !info.out().contains("WordLevel"), info.out());

        Result field = soe("eval", "--model", spec.toString(), "--text-field", "body", corpus.toString());
        assertEquals(1, field.code(), "a JSONL file without the field is bad input: " + field.err());
        assertTrue(field.err().contains("body"), field.err());
    }
}
