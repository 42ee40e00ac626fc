package org.soupofexperts.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.soupofexperts.core.train.CheckpointFolder;
import org.soupofexperts.data.eval.UnseenDomains;
import org.soupofexperts.data.store.TokenStore;
import org.soupofexperts.data.synth.SyntheticCorpus;
import org.soupofexperts.examples.experiment.Commands;
import org.soupofexperts.examples.experiment.Parts;

/**
 * Every experiment program whose results docs/results.md reports runs end to end on the built-in
 * synthetic corpus with a tiny model and a few steps, and writes its report: a change that breaks
 * a program fails here, not months later when someone reruns it.
 */
class ExperimentsSmokeTest {

    @TempDir
    Path dir;

    /** The tiny base and budget every program gets: one layer, width 32, context 32, batches of 4. */
    private static final String TINY = "--layers 1 --width 32 --context 32 --batch 4 --seed 1";

    static Stream<Arguments> programs() {
        return Stream.of(
                program(
                        EqualTimeRace::new,
                        "results.md",
                        "--steps 4 --experts 2 --blocks 2 --eval-every 1 --eval-windows 2 --max-ratio 100"),
                program(
                        UnseenDomainsExperiment::new,
                        "results.md",
                        "--steps 2 --experts 2 --folds 2 --fine-tune-steps 2 --eval-windows 2 --generic-lrs 3e-3"
                                + " --probe-every 1 --equal-time --rank 2 --router softmax:16x2 --fit 4x5x5x2"),
                program(
                        SpecializationAblations::new,
                        "ablations.md",
                        "--steps 2 --experts 2 --eval-windows 2 --generic-lrs 3e-3 --groups 1,4"),
                program(
                        ClusterSoupExperiment::new,
                        "results.md",
                        "--steps 2 --experts 2 --clusters 3 --embedder hashed --eval-windows 2 --generic-lr 3e-3"),
                program(
                        LowRankExperiment::new,
                        "low-rank.md",
                        "--steps 2 --experts 2 --ranks 0,2 --eval-windows 2 --support 2 --beta 1"),
                program(Ablations::new, "ablations.md", "--steps 2 --experts 2 --base-experts 2 --eval-windows 2"),
                program(
                        PaperExperiment::new,
                        "results.md",
                        "--steps 2 --experts 2 --crisp-domains 1 --finetune-domains 1 --finetune-steps 2"
                                + " --eval-windows 2 --generic-lrs 3e-3 --support 2 --natural-share 0.5"));
    }

    /**
     * A race stopped after its first block, then killed after its second (its results still at the
     * first, the second's checkpoints left behind), and run again, ends at the same losses to the
     * last digit as a race run in one go, and as a race of one block that never resumes (a fixed
     * ratio, so all three make the same steps). Training seconds add up over the blocks.
     */
    @Test
    void aRaceStoppedOrKilledBetweenBlocksEndsWhereAnUnbrokenRunEnds() throws Exception {
        // 30 steps: a warm-up of 3, across the first turn's end.
        String args = "--steps 30 --experts 2 --eval-every 1 --eval-windows 2 --ratio 1.5 " + TINY;
        Path whole = dir.resolve("whole");
        Path once = dir.resolve("once");
        Path split = dir.resolve("split");
        race(args + " --blocks 3 --out " + whole);
        race(args + " --blocks 1 --out " + once);
        race(args + " --blocks 3 --stop-after 1 --out " + split);
        RaceResults stopped = results(split);
        assertEquals(1, stopped.blocksDone());
        assertEquals(15, stopped.genericStep(), "the generic model's turn is the soup's steps times the ratio");
        assertTrue(Files.readString(split.resolve("results.md")).contains("Stopped after block 1 of 3"));
        String afterOne = Files.readString(split.resolve("results.json"));
        race(args + " --blocks 3 --stop-after 1 --out " + split);
        Files.writeString(split.resolve("results.json"), afterOne);
        race(args + " --blocks 3 --out " + split);
        RaceResults a = results(whole);
        RaceResults b = results(split);
        assertEquals(3, b.points().size());
        for (int i = 0; i < 3; i++) {
            RaceResults.Point p = a.points().get(i);
            RaceResults.Point q = b.points().get(i);
            assertEquals(p.genericStep(), q.genericStep());
            assertArrayEquals(p.generic(), q.generic(), "point " + i);
            assertArrayEquals(p.specialists(), q.specialists(), "point " + i);
            assertArrayEquals(p.soupNatural(), q.soupNatural(), "point " + i);
            if (i > 0) {
                assertTrue(q.soupSeconds() > b.points().get(i - 1).soupSeconds(), "soup seconds add up");
                assertTrue(q.genericSeconds() > b.points().get(i - 1).genericSeconds(), "generic seconds add up");
            }
        }
        RaceResults.Point unbroken = results(once).last();
        assertArrayEquals(unbroken.generic(), b.last().generic(), "the generic model never resumed");
        assertArrayEquals(unbroken.specialists(), b.last().specialists(), "the soup never resumed");
        for (String name : List.of("soup-checkpoints", "generic-checkpoints")) {
            assertTrue(CheckpointFolder.list(split.resolve(name)).isEmpty(), "a finished race removes " + name);
        }
    }

    /** Without a fixed ratio, each generic turn lasts until its training time reaches the soup's. */
    @Test
    void aRaceOfEqualTimeGivesTheGenericModelTheSoupsTime() throws Exception {
        Path out = dir.resolve("timed");
        race("--steps 30 --experts 2 --blocks 3 --eval-every 1 --eval-windows 2 --max-ratio 100 " + TINY + " --out "
                + out);
        for (RaceResults.Point p : results(out).points()) {
            assertTrue(p.genericSeconds() >= p.soupSeconds(), "block " + p.block() + ": " + p.timeRatio());
            assertEquals(results(out).soupStepAt(p.block()), p.soupStep());
        }
    }

    /**
     * A fold kept from before the equal-time column was paced (its part has no equalTime, and the
     * old column's figures) is left as it is when the program runs again, and gets the column
     * paced with --pace-kept-folds: its soup trained again to the same losses, everything else kept.
     */
    @Test
    void aFoldKeptWithoutPacingIsPacedWhenRunAgainAndKeepsItsOtherFigures() throws Exception {
        String args = "--steps 6 --experts 2 --folds 2 --fold 0 --fine-tune-steps 2 --eval-windows 2"
                + " --generic-lrs 3e-3 --equal-time --fit 4x5 " + TINY + " --out " + dir.resolve("unseen");
        Path part = dir.resolve("unseen/parts/fold-0.json");
        assertEquals(0, Commands.run(new UnseenDomainsExperiment(), args.split(" ")), args);
        JsonObject old = JsonParser.parseString(Files.readString(part)).getAsJsonObject();
        old.getAsJsonObject("fold").remove("equalTime");
        old.getAsJsonObject("fold").addProperty("stepCostRatio", 9.0);
        old.getAsJsonArray("domains").forEach(d -> d.getAsJsonObject().addProperty("genericEqualTime", 99.0));
        Files.writeString(part, old.toString());
        UnseenDomains.FoldResult kept = Parts.fromJson(old.toString(), UnseenDomains.FoldResult.class);

        assertEquals(0, Commands.run(new UnseenDomainsExperiment(), args.split(" ")), args);
        assertEquals(old.toString(), Files.readString(part), "kept folds are paced only when asked");
        String again = args + " --pace-kept-folds";
        assertEquals(0, Commands.run(new UnseenDomainsExperiment(), again.split(" ")), again);
        UnseenDomains.FoldResult paced = Parts.fromJson(Files.readString(part), UnseenDomains.FoldResult.class);
        UnseenDomains.EqualTime e = paced.fold().equalTime();
        assertNotNull(e, "the kept fold was paced");
        assertEquals(6, e.turns(), "one turn per step below 20 steps");
        assertEquals(e.stepCostRatio(), paced.fold().stepCostRatio());
        for (int i = 0; i < kept.domains().size(); i++) {
            UnseenDomains.Domain before = kept.domains().get(i);
            UnseenDomains.Domain after = paced.domains().get(i);
            assertEquals(e.generic()[i], after.genericEqualTime());
            assertEquals(before.soupNatural(), e.soupNatural()[i], "the soup trained again is the kept one");
            assertEquals(before.soupHistogram(), after.soupHistogram());
            assertEquals(before.soupFitted(), after.soupFitted());
        }
        assertEquals(kept.fold().soupSeconds(), paced.fold().soupSeconds());
    }

    private static void race(String args) {
        assertEquals(0, Commands.run(new EqualTimeRace(), args.split(" ")), args);
    }

    private static RaceResults results(Path out) throws Exception {
        return Parts.fromJson(Files.readString(out.resolve("results.json")), RaceResults.class);
    }

    /** The serving load program trains its own small soup on synthetic data; no corpus or base options. */
    @Test
    void theServingLoadProgramServesUnderAttackAndWritesItsReport() throws Exception {
        Path out = dir.resolve("serve");
        String[] args = ("--steps 2 --requests 8 --clients 2 --hostile --idle-connections 2 --slowloris 1 --burst 2"
                        + " --generate-tokens 4 --out " + out)
                .split(" ");
        assertEquals(0, Commands.run(new ServeSpecialists(), args), String.join(" ", args));
        assertTrue(Files.size(out.resolve("serve.md")) > 100, "a report, not an empty file");
    }

    /** The programs that take a Pile-style file: a store of every domain, a clustering table for both embedders. */
    @Test
    void theStoreAndClusteringProgramsRunOnASmallJsonlCorpus() throws Exception {
        Path train = jsonl("train.jsonl", 0, 30);
        Path valid = jsonl("valid.jsonl", 1_000_000, 4);
        Path store = dir.resolve("store");
        String built = printed(() -> BuildTokenStore.main(new String[] {train.toString(), store.toString()}));
        assertEquals(
                List.of("synth-0", "synth-1", "synth-2"),
                TokenStore.open(store).domains().names());
        assertTrue(built.contains("token store " + store + " ready"), built);
        String clusters = printed(() -> ClusterCorpus.main(new String[] {train.toString(), valid.toString(), "128"}));
        assertTrue(clusters.contains("90 training documents, 3 labels, 12 held-out documents"), clusters);
        assertTrue(clusters.contains("| hashed n-gram TF-IDF |") && clusters.contains("| MiniLM-L6-v2"), clusters);
    }

    /** The README's main job, a few steps: it trains, instantiates, and prints its table and h. */
    @Test
    void theQuickStartTrainsInstantiatesAndPrintsItsTable() throws Exception {
        String printed = printed(() -> QuickStart.main(new String[] {"3"}));
        assertTrue(printed.contains("Validation loss, bits per byte"), printed);
        assertTrue(printed.contains("generic (uniform h)") && printed.contains("specialist synth-1"), printed);
        assertTrue(printed.contains("its h from the histogram: ["), printed);
    }

    /** Documents of three synthetic domains as Pile-style JSONL, {@code perDomain} each from {@code offset}. */
    private Path jsonl(String name, long offset, int perDomain) throws Exception {
        SyntheticCorpus corpus = new SyntheticCorpus(3, 400, 2025);
        StringBuilder lines = new StringBuilder();
        for (int d = 0; d < 3; d++) {
            for (String text : corpus.documents(d, offset, perDomain, 120)) {
                JsonObject meta = new JsonObject();
                meta.addProperty("pile_set_name", corpus.domainNames().get(d));
                JsonObject line = new JsonObject();
                line.addProperty("text", text);
                line.add("meta", meta);
                lines.append(line).append('\n');
            }
        }
        return Files.writeString(dir.resolve(name), lines);
    }

    /** What {@code program} prints (the two programs write their tables to standard output). */
    private static String printed(Program program) throws Exception {
        PrintStream before = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            program.run();
        } finally {
            System.setOut(before);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private interface Program {
        void run() throws Exception;
    }

    private static Arguments program(Supplier<Object> command, String report, String args) {
        return Arguments.of(command.get().getClass().getSimpleName(), command, report, args);
    }

    /**
     * Each program runs, writes its report, and run again into the same folder writes the same
     * report: every finished part is read back (as the typed record it was written from) instead of
     * trained again, since a retrained model would report other training times.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("programs")
    void runsOnTheSyntheticCorpusAndARerunReusesEveryPart(
            String name, Supplier<Object> command, String report, String args) throws Exception {
        Path out = dir.resolve(name);
        String[] all = (args + " " + TINY + " --out " + out).split(" ");
        assertEquals(0, Commands.run(command.get(), all), name + " " + String.join(" ", all));
        assertTrue(Files.isRegularFile(out.resolve(report)), report + " in " + out);
        assertTrue(Files.size(out.resolve(report)) > 100, "a report, not an empty file");
        // The JSON holds every training time to the last digit, so a part trained again would show.
        Path json = out.resolve(report.replace(".md", ".json"));
        String first = Files.readString(json);
        assertEquals(0, Commands.run(command.get(), all), "rerun: " + name + " " + String.join(" ", all));
        assertEquals(first, Files.readString(json), "the rerun's results, from the kept parts");
    }
}
