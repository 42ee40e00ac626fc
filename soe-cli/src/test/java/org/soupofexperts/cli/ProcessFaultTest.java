package org.soupofexperts.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.soupofexperts.cli.Cli.concat;
import static org.soupofexperts.cli.Cli.soe;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.soupofexperts.cli.Cli.Result;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.Specialist;
import org.soupofexperts.core.io.internal.ArtifactDirectory;
import org.soupofexperts.core.train.CheckpointFolder;
import org.soupofexperts.data.store.TokenStore;
import org.soupofexperts.data.synth.SyntheticCorpus;

/**
 * kill -9 and SIGTERM of {@code soe} child processes at seeded points of their progress. Each
 * test acts when the child has reached an observed point (a checkpoint, a progress line, a save's
 * temporary file), then after a seeded number of further steps or bytes, so that the same seed
 * gives the same test on a quiet or a busy machine (docs/reliability.md, "Tests under load").
 */
@Tag("fault")
class ProcessFaultTest {

    private static final Pattern STEP = Pattern.compile("step-(\\d+)");

    @TempDir
    Path dir;

    /**
     * kill -9 of a training process a seeded 1-3 checkpoints into each launch (of a 400-step run): every time, the
     * checkpoints on disk must be complete artefacts (checksums verified), and `--resume` must
     * carry the run to a soup that loads.
     */
    @Test
    void aTrainingProcessKilledAtRandomMomentsResumesFromItsLastGoodCheckpoint() throws Exception {
        long seed = 7;
        SplittableRandom rng = new SplittableRandom(seed);
        Path corpus = Cli.corpus(dir, new SyntheticCorpus(2, 200, 7), 30);
        Path out = dir.resolve("killed");
        Path checkpoints = out.resolve("checkpoints");
        String[] args = {
            "train",
            "--corpus",
            corpus.toString(),
            "--out",
            out.toString(),
            "--steps",
            "400",
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
            "--checkpoint-every",
            "20",
            "--progress-every",
            "1"
        };
        int kills = 0;
        for (int attempt = 0; attempt < 3; attempt++) {
            int target = newestStep(checkpoints) + 20 * (1 + rng.nextInt(3));
            int moreSteps = rng.nextInt(20);
            boolean resume = newestStep(checkpoints) > 0;
            Child c = Child.start(dir.resolve("child-" + attempt + ".log"), resume ? concat(args, "--resume") : args);
            // The checkpoint of the target step on disk, then a seeded number of steps more (the
            // kill then falls inside a step, a checkpoint's write or between the two).
            if (c.await(() -> newestStep(checkpoints) >= target, "checkpoint at step " + target)) {
                int at = target + moreSteps;
                c.await(() -> c.log().contains("step " + at + "/"), "step " + at);
            }
            kills += c.kill() ? 1 : 0;
            for (Path ck : CheckpointFolder.list(checkpoints)) {
                ArtifactDirectory.open(ck, CheckpointFolder.KIND); // complete: sizes and SHA-256 verified
            }
        }
        // Each launch ends at most 3 checkpoints (60 steps) and 19 steps after the last: 3 x 79 < 400.
        assertEquals(3, kills, "every launch is killed before its 400 steps (seed " + seed + ")");
        assertTrue(newestStep(checkpoints) >= 60, "three launches of at least one checkpoint each");
        Result last = soe(concat(args, "--resume"));
        assertEquals(0, last.code(), "after " + kills + " kills (seed " + seed + "): " + last.err());
        try (SoupOfExperts soup = SoupOfExperts.load(out.resolve("soup"))) {
            assertEquals(2, soup.config().experts());
        }
        assertFalse(Files.exists(checkpoints), "a finished run's checkpoints must be gone");
    }

    /**
     * SIGTERM (what Ctrl-C, systemd and Kubernetes send) during a seeded training step: the JVM
     * must exit with 128 + 15 and leave no crash log. Before {@code NativeExit} the exit ran
     * LibTorch's static destructors under the training thread's backward pass, and at this size
     * (3.3M base, 16 experts, one h per step: long backward passes) 3 of 6 such runs died with
     * SIGSEGV in {@code at::accelerator::getAccelerator}; four clean exits in a row had odds of
     * about 1 in 16 then. The signal follows the progress line of a seeded step, so it lands in
     * the next step's forward or backward pass on any machine.
     */
    @Test
    void aTrainingRunStoppedBySigtermExitsCleanlyInsteadOfCrashingInLibTorch() throws Exception {
        long seed = 13;
        SplittableRandom rng = new SplittableRandom(seed);
        Path corpus = Cli.corpus(dir, new SyntheticCorpus(2, 200, 7), 60);
        Path crashLogs = Files.createDirectories(dir.resolve("crash-logs"));
        for (int trial = 0; trial < 4; trial++) {
            int step = 2 + rng.nextInt(10);
            Child c = Child.start(
                    dir.resolve("term-" + trial + ".log"),
                    List.of("-XX:ErrorFile=" + crashLogs.resolve("hs_err_%p.log")),
                    "train",
                    "--corpus",
                    corpus.toString(),
                    "--out",
                    dir.resolve("term-" + trial).toString(),
                    "--steps",
                    "100000",
                    "--layers",
                    "4",
                    "--width",
                    "256",
                    "--context",
                    "256",
                    "--experts",
                    "16",
                    "--h-per-step",
                    "1",
                    "--checkpoint-minutes",
                    "0",
                    "--progress-every",
                    "1");
            assertTrue(c.awaitLog("step " + step + "/"), "the run ended before step " + step);
            Process p = c.process();
            p.destroy(); // SIGTERM
            assertTrue(p.waitFor(Child.HANG_GUARD_NANOS, TimeUnit.NANOSECONDS), "no exit after SIGTERM");
            String where = "trial " + trial + ", SIGTERM after step " + step + " (seed " + seed + ")";
            try (Stream<Path> crashes = Files.list(crashLogs)) {
                List<Path> found = crashes.toList();
                assertTrue(
                        found.isEmpty(), where + ": the JVM crashed: " + (found.isEmpty() ? "" : signal(found.get(0))));
            }
            assertEquals(128 + 15, p.exitValue(), where + ": " + c.log());
        }
    }

    /**
     * `soe instantiate --out` over an existing specialist, killed with SIGKILL at seeded points:
     * at once (the JVM's start), when the save has begun (its temporary parameter file exists),
     * or when the new parameter file is in place and the manifest not yet. After every kill the
     * folder must load as a complete specialist, the old one or the new one, and the next save
     * must leave no temporary files behind.
     */
    @Test
    void anInstantiationKilledAtRandomMomentsLeavesTheOldOrTheNewSpecialist() throws Exception {
        long seed = 11;
        SplittableRandom rng = new SplittableRandom(seed);
        Path corpus = Cli.corpus(dir, new SyntheticCorpus(2, 200, 7), 30);
        Result train = soe(
                "train",
                "--corpus",
                corpus.toString(),
                "--out",
                dir.resolve("run").toString(),
                "--steps",
                "5",
                "--layers",
                "2",
                "--width",
                "64",
                "--context",
                "32",
                "--experts",
                "4");
        assertEquals(0, train.code(), train.err());
        String soup = dir.resolve("run/soup").toString();
        Path spec = dir.resolve("spec");
        assertEquals(
                0,
                soe("instantiate", "--soup", soup, "--h", "1,0", "--out", spec.toString())
                        .code());
        List<double[]> saved = new ArrayList<>(List.of(new double[] {1, 0}));
        int kills = 0;
        for (int attempt = 0; attempt < 8; attempt++) {
            double a = (attempt + 1) / 10.0;
            saved.add(new double[] {a, 1 - a});
            List<String> before = Child.names(spec);
            Child c = Child.start(
                    dir.resolve("inst-" + attempt + ".log"),
                    "instantiate",
                    "--soup",
                    soup,
                    "--h",
                    a + "," + (1 - a),
                    "--out",
                    spec.toString(),
                    "--force");
            int point = attempt < 3 ? attempt : rng.nextInt(3);
            if (point == 1) {
                c.await(() -> Child.names(spec).stream().anyMatch(n -> n.startsWith(".params-")), "a save begun");
            } else if (point == 2) {
                c.await(
                        () -> Child.names(spec).stream().anyMatch(n -> n.startsWith("params-") && !before.contains(n)),
                        "new parameters in place");
            }
            kills += c.kill() ? 1 : 0;
            try (Specialist back = Specialist.load(spec)) {
                double[] h = back.domainWeights();
                assertTrue(
                        saved.stream().anyMatch(x -> Arrays.equals(x, h)),
                        "after attempt " + attempt + " (kill point " + point + ", seed " + seed
                                + ") the folder holds a specialist for h = " + Arrays.toString(h) + ", never saved");
            }
        }
        assertTrue(kills >= 1, "the kills at the JVM's start always land (seed " + seed + ")");
        Result again = soe("instantiate", "--soup", soup, "--h", "0.5,0.5", "--out", spec.toString());
        assertEquals(1, again.code(), "an existing specialist is replaced only with --force");
        assertTrue(again.err().contains("--force"), again.err());
        assertEquals(
                0,
                soe("instantiate", "--soup", soup, "--h", "0.5,0.5", "--out", spec.toString(), "--force")
                        .code());
        List<String> names = Child.names(spec).stream().sorted().toList();
        assertEquals(
                2, names.size(), "after a completed save only the manifest and one parameter file remain: " + names);
    }

    /**
     * `soe train` killed with SIGKILL while it builds its token store from a corpus of 4,000
     * documents, at seeded points: at once, when the build folder appears, or when it holds a
     * seeded number of bytes. After every kill, a token store on disk must open complete (sizes
     * and checksums verified), and a final run must build or reuse it and finish.
     */
    @Test
    void aTokenStoreBuildKilledAtRandomMomentsLeavesNoHalfStore() throws Exception {
        long seed = 13;
        SplittableRandom rng = new SplittableRandom(seed);
        Path corpus = Cli.corpus(dir, new SyntheticCorpus(2, 200, 7), 2000);
        Path out = dir.resolve("store-kill");
        String[] args = Cli.concat(
                Cli.tiny("train", corpus, out),
                "--experts",
                "2",
                "--batch",
                "4",
                "--checkpoint-minutes",
                "0",
                "--force");
        int kills = 0;
        for (int attempt = 0; attempt < 5; attempt++) {
            Child c = Child.start(dir.resolve("build-" + attempt + ".log"), args);
            int point = attempt < 3 ? attempt : rng.nextInt(3);
            long bytes = 1 + rng.nextInt(400_000);
            if (point >= 1) {
                c.await(
                        () -> buildFolder(out) != null && (point == 1 || Child.bytesUnder(buildFolder(out)) >= bytes),
                        "a store build folder");
            }
            kills += c.kill() ? 1 : 0;
            if (Files.exists(out.resolve("token-store"))) {
                TokenStore.open(out.resolve("token-store"));
            }
        }
        assertTrue(kills >= 1, "the kill at the JVM's start always lands (seed " + seed + ")");
        Result last = soe(args);
        assertEquals(0, last.code(), "after " + kills + " kills (seed " + seed + "): " + last.err());
        TokenStore store = TokenStore.open(out.resolve("token-store"));
        assertEquals(
                4000,
                store.trainDocuments(0) + store.validDocuments(0) + store.trainDocuments(1) + store.validDocuments(1));
    }

    /** The newest checkpoint's step in {@code dir}, 0 for none. */
    private static int newestStep(Path dir) throws IOException {
        int newest = 0;
        for (Path c : CheckpointFolder.list(dir)) {
            Matcher m = STEP.matcher(c.getFileName().toString());
            if (m.matches()) {
                newest = Math.max(newest, Integer.parseInt(m.group(1)));
            }
        }
        return newest;
    }

    /** A build of the token store in progress ({@code token-store.tmp-<uuid>}), or null. */
    private static Path buildFolder(Path out) throws IOException {
        return Child.names(out).stream()
                .filter(n -> n.startsWith("token-store.tmp-"))
                .findFirst()
                .map(out::resolve)
                .orElse(null);
    }

    private static List<String> signal(Path crashLog) throws IOException {
        return Files.readString(crashLog)
                .lines()
                .filter(l -> l.startsWith("#  SIG") || l.startsWith("# C  ["))
                .toList();
    }
}
