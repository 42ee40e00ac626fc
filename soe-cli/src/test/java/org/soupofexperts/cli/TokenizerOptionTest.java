package org.soupofexperts.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.soupofexperts.cli.Cli.concat;
import static org.soupofexperts.cli.Cli.soe;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.soupofexperts.cli.Cli.Result;
import org.soupofexperts.core.DenseModel;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.data.store.TokenStore;
import org.soupofexperts.data.synth.SyntheticCorpus;
import org.soupofexperts.data.tokenize.HuggingFaceTokenizer;
import org.soupofexperts.data.tokenize.Tokenizer;

/**
 * {@code --tokenizer tokenizer.json}: train and baseline tokenize with it and record it, and every
 * tool that reads text afterwards (eval, generate, finetune, compare) uses the recorded one.
 */
class TokenizerOptionTest {

    @TempDir
    Path dir;

    /** A word-level tokenizer.json whose vocabulary holds every word of {@code docs}, id 0 unknown. */
    private Path wordTokenizer(List<String> docs) throws Exception {
        Set<String> words = new TreeSet<>();
        Matcher m = Pattern.compile("\\w+|[^\\w\\s]+").matcher(String.join(" ", docs));
        while (m.find()) {
            words.add(m.group());
        }
        JsonObject vocab = new JsonObject();
        vocab.addProperty("[UNK]", 0);
        int id = 1;
        for (String w : words) {
            vocab.addProperty(w, id++);
        }
        JsonObject model = new JsonObject();
        model.addProperty("type", "WordLevel");
        model.add("vocab", vocab);
        model.addProperty("unk_token", "[UNK]");
        JsonObject pre = new JsonObject();
        pre.addProperty("type", "Whitespace");
        JsonObject t = new JsonObject();
        t.addProperty("version", "1.0");
        t.add("added_tokens", new JsonArray());
        t.add("pre_tokenizer", pre);
        t.add("model", model);
        return Files.writeString(dir.resolve("tokenizer.json"), t.toString());
    }

    @Test
    void aTokenizerJsonTrainsTheModelsAndEveryToolReadsTextWithIt() throws Exception {
        SyntheticCorpus synth = new SyntheticCorpus(2, 200, 7);
        Path corpus = Cli.corpus(dir, synth, 30);
        Path tokenizer = wordTokenizer(
                Stream.concat(synth.documents(0, 0, 60, 80).stream(), synth.documents(1, 0, 60, 80).stream())
                        .toList());
        Path run = dir.resolve("run");
        String[] tok = {"--tokenizer", tokenizer.toString(), "--quiet", "--valid-fraction", "0.2"};
        Result train = soe(concat(concat(Cli.tiny("train", corpus, run), "--experts", "2"), tok));
        assertEquals(0, train.code(), train.err());
        Result baseline = soe(concat(Cli.tiny("baseline", corpus, run), tok));
        assertEquals(0, baseline.code(), baseline.err());

        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.load(tokenizer);
                SoupOfExperts soup = SoupOfExperts.load(run.resolve("soup"));
                DenseModel generic = DenseModel.load(run.resolve("baseline"))) {
            assertEquals(hf.id(), TokenStore.open(run.resolve("token-store")).tokenizerId());
            assertEquals(hf.id(), soup.labels().tokenizer());
            assertEquals(hf.id(), generic.labels().tokenizer());
            assertEquals(hf.vocabSize(), soup.config().model().vocabSize(), "the model's vocabulary is the file's");

            String text = String.join("\n", synth.documents(1, 500, 2, 80));
            Path doc = Files.writeString(dir.resolve("doc.txt"), text);
            Result eval = soe("eval", "--model", run.resolve("baseline").toString(), doc.toString(), "--json");
            assertEquals(0, eval.code(), eval.err());
            JsonObject e = JsonParser.parseString(eval.out().strip()).getAsJsonObject();
            // A window of context+1 tokens at a time: the count is the word tokenizer's, not the bytes'.
            long words = hf.encode(text).length;
            assertTrue(e.get("tokens").getAsLong() <= words, eval.out());
            assertTrue(e.get("tokens").getAsLong() < text.length() / 2, "scored in words, not bytes: " + eval.out());

            Result gen =
                    soe("generate", "--model", run.resolve("baseline").toString(), "--prompt", "the", "--tokens", "4");
            assertEquals(0, gen.code(), gen.err());
            // Ids past 255 would not decode as bytes: the text comes through the word tokenizer.
            assertTrue(gen.out().startsWith("the"), gen.out());
        }

        Result ft = soe(
                "finetune",
                "--model",
                run.resolve("baseline").toString(),
                "--train",
                dir.resolve("doc.txt") + ","
                        + Files.writeString(
                                dir.resolve("doc2.txt"),
                                synth.documents(1, 600, 1, 80).get(0)),
                "--steps",
                "2",
                "--out",
                dir.resolve("tuned").toString(),
                "--quiet");
        assertEquals(0, ft.code(), ft.err());
        try (DenseModel tuned = DenseModel.load(dir.resolve("tuned"))) {
            assertEquals(Files.readString(tokenizer), tuned.labels().tokenizerDefinition(), "the tokenizer travels on");
        }

        Result compare = soe("compare", "--out", run.toString(), "--windows", "2", "--documents", "2");
        assertEquals(0, compare.code(), compare.err());
        assertTrue(compare.out().contains("dom0") && compare.out().contains("dom1"), compare.out());
    }

    /** A baseline without the soup's --tokenizer would rebuild the store the soup trained on: refused. */
    @Test
    void aBaselineWithAnotherTokenizerThanItsSoupIsRefused() throws Exception {
        SyntheticCorpus synth = new SyntheticCorpus(2, 200, 7);
        Path corpus = Cli.corpus(dir, synth, 30);
        Path tokenizer = wordTokenizer(synth.documents(0, 0, 60, 80));
        Path run = dir.resolve("run");
        Result train = soe(concat(
                concat(Cli.tiny("train", corpus, run), "--experts", "2"),
                "--tokenizer",
                tokenizer.toString(),
                "--quiet"));
        assertEquals(0, train.code(), train.err());
        byte[] manifest = Files.readAllBytes(run.resolve("token-store/manifest.json"));
        Result bytes = soe(concat(Cli.tiny("baseline", corpus, run), "--quiet"));
        assertEquals(1, bytes.code(), bytes.err());
        assertTrue(bytes.err().contains("--tokenizer"), bytes.err());
        assertArrayEquals(manifest, Files.readAllBytes(run.resolve("token-store/manifest.json")));

        Result store = soe(
                "baseline",
                "--store",
                run.resolve("token-store").toString(),
                "--out",
                dir.resolve("other").toString(),
                "--steps",
                "1",
                "--quiet");
        assertEquals(1, store.code(), store.err());
        assertTrue(store.err().contains("give the --tokenizer it was written with"), store.err());

        Result missing = soe(concat(
                Cli.tiny("baseline", corpus, dir.resolve("x")),
                "--tokenizer",
                dir.resolve("nope.json").toString()));
        assertEquals(1, missing.code(), missing.err());
        assertTrue(missing.err().contains("no tokenizer.json at"), missing.err());
    }

    @Test
    void aCommandsTokenizerIsLoadedOnceFreedAtTheEndAndNeverHandedOutClosed() throws Exception {
        BudgetOptions budget = new BudgetOptions();
        budget.tokenizer = wordTokenizer(List.of("a b c")).toString();
        Tokenizer first = budget.tokenizer();
        assertSame(first, budget.tokenizer(), "loaded once");
        budget.closeTokenizer();
        Tokenizer second = budget.tokenizer();
        assertNotSame(first, second, "a closed tokenizer is not handed out again");
        assertArrayEquals(new int[] {1, 2, 3}, second.encode("a b c"));
        budget.closeTokenizer();
        budget.closeTokenizer(); // closing twice is harmless
    }
}
