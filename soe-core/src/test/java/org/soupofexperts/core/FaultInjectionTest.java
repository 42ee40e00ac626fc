package org.soupofexperts.core;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.soupofexperts.core.config.ExpertInit;
import org.soupofexperts.core.config.SoupConfig;
import org.soupofexperts.core.io.SoupFormatException;
import org.soupofexperts.core.io.internal.ArtifactDirectory;
import org.soupofexperts.core.train.CheckpointFolder;
import org.soupofexperts.core.train.CheckpointPolicy;
import org.soupofexperts.core.train.TrainingPlan;
import org.soupofexperts.testing.FaultReport;
import org.soupofexperts.testing.JsonMutator;

/**
 * Seeded damage to saved artefacts: truncations and byte flips of the parameter file, both as
 * accidents (checksum left as it was) and as forgeries (checksum recomputed, so the damage reaches
 * the decoder). Every load must either refuse with a {@link SoupFormatException} naming the
 * folder, or (a forged flip inside the values) load finite weights; never any other exception, a
 * JVM crash, a hang or an OutOfMemoryError. A failure prints the seed and the mutation.
 */
@Tag("fault")
class FaultInjectionTest {

    private static final long SEED = Long.getLong("fault.seed", 20261130L);
    private static final int MUTATIONS = Integer.getInteger("fault.mutations", 150);

    @TempDir
    Path tmp;

    @Test
    void damagedAndForgedParameterFilesAreRefusedCleanlyOrLoadFiniteWeights() throws IOException {
        Path dir = tmp.resolve("spec");
        try (SoupOfExperts soup = SoupOfExperts.builder()
                        .model(ToyDomains.tinyModel())
                        .domains(2)
                        .experts(2)
                        .expertInit(ExpertInit.SCALED_NOISE)
                        .seed(1)
                        .build();
                Specialist s = soup.instantiate(new double[] {0.5, 0.5})) {
            s.save(dir);
        }
        Path params = SaveLoadTest.parameterFile(dir);
        Path manifest = dir.resolve(ArtifactDirectory.MANIFEST);
        byte[] good = Files.readAllBytes(params);
        String goodManifest = Files.readString(manifest);
        SplittableRandom rng = new SplittableRandom(SEED);
        int refused = 0;
        int loaded = 0;
        for (int i = 0; i < MUTATIONS; i++) {
            byte[] bad = good.clone();
            String what;
            int kind = rng.nextInt(4);
            if (kind == 0) {
                int len = rng.nextInt(good.length);
                bad = Arrays.copyOf(good, len);
                what = "truncated to " + len;
            } else if (kind == 1) {
                // The first 600 bytes hold the headers of the first arrays: names, dtypes, shapes, lengths.
                int at = rng.nextInt(Math.min(600, good.length));
                bad[at] ^= (byte) (1 + rng.nextInt(255));
                what = "header byte " + at + " flipped";
            } else if (kind == 2) {
                int at = rng.nextInt(good.length);
                bad[at] ^= (byte) (1 + rng.nextInt(255));
                what = "byte " + at + " flipped";
            } else {
                int at = rng.nextInt(good.length - 4);
                int v = rng.nextBoolean() ? Integer.MAX_VALUE : rng.nextInt();
                ByteBuffer.wrap(bad).putInt(at, v);
                what = "int " + v + " written at " + at;
            }
            boolean forged = rng.nextBoolean();
            Files.write(params, bad);
            Files.writeString(manifest, goodManifest);
            if (forged) {
                SaveLoadTest.forge(manifest, m -> {
                    m.getAsJsonObject("parameterFile").addProperty("bytes", sizeOf(params));
                    m.getAsJsonObject("parameterFile").addProperty("sha256", sha(params));
                });
            }
            String mutation = what + (forged ? ", checksum forged" : "") + " (seed " + SEED + ", mutation " + i + ")";
            try (Specialist back = Specialist.load(dir)) {
                loaded++;
                assertTrue(forged, "an unforged damaged file must never load: " + mutation);
            } catch (SoupFormatException e) {
                refused++;
                assertTrue(
                        e.getMessage().contains(dir.toString()),
                        "the message must name the folder: " + e.getMessage() + "; " + mutation);
            } catch (RuntimeException | Error e) {
                fail("a " + e.getClass().getSimpleName() + " instead of a clean refusal for " + mutation + ": " + e, e);
            }
        }
        FaultReport.check(
                FaultInjectionTest.class,
                "parameter-file",
                MUTATIONS,
                refused,
                loaded,
                "forged ones loaded finite weights",
                SEED);
    }

    /**
     * Hostile edits of the manifests of a soup and of a specialist (extreme and ill-typed values,
     * removed and unknown keys, 5,000 levels of nesting, cut text), half of them with the
     * manifest's checksum forged. An unforged edit must be refused; a forged one is refused with
     * a message naming the folder, or loads an artefact that works. Nothing else may happen.
     */
    @Test
    void hostileManifestEditsAreRefusedCleanlyOrLoadAWorkingArtefact() throws IOException {
        Path soupDir = tmp.resolve("soup");
        Path specDir = tmp.resolve("specialist");
        try (SoupOfExperts soup = SoupOfExperts.builder()
                        .model(ToyDomains.tinyModel())
                        .domains(2)
                        .experts(2)
                        .expertInit(ExpertInit.SCALED_NOISE)
                        .seed(1)
                        .build();
                Specialist s = soup.instantiate(new double[] {0.5, 0.5})) {
            soup.save(soupDir);
            s.save(specDir);
        }
        JsonMutator mutator = new JsonMutator(SEED);
        SplittableRandom rng = new SplittableRandom(SEED + 1);
        int refused = 0;
        int loaded = 0;
        for (Path dir : List.of(soupDir, specDir)) {
            Path manifest = dir.resolve(ArtifactDirectory.MANIFEST);
            String good = Files.readString(manifest);
            for (int i = 0; i < MUTATIONS / 2; i++) {
                String bad = mutator.mutate(good);
                // Without its checksum field a manifest loads as one written before checksums (with
                // a warning): the checksum guards against accidents, and anyone who edits can forge it.
                boolean forged =
                        rng.nextBoolean() && forge(manifest, bad) || !bad.contains(ArtifactDirectory.MANIFEST_SHA256);
                if (!forged) {
                    Files.writeString(manifest, bad);
                }
                String mutation = mutator.last() + (forged ? ", checksum forged" : "") + " in " + dir.getFileName()
                        + " (seed " + SEED + ", mutation " + i + ")";
                try {
                    if (dir == soupDir) {
                        try (SoupOfExperts back = SoupOfExperts.load(dir);
                                Specialist sp = back.instantiate(new double[] {1, 0})) {
                            assertTrue(Double.isFinite(sp.loss(new int[][] {{1, 2, 3, 4, 5}})), mutation);
                        }
                    } else {
                        try (Specialist back = Specialist.load(dir)) {
                            assertTrue(Double.isFinite(back.loss(new int[][] {{1, 2, 3, 4, 5}})), mutation);
                        }
                    }
                    loaded++;
                    assertTrue(
                            forged || bad.equals(good), "an edited manifest with its old checksum loaded: " + mutation);
                } catch (SoupFormatException e) {
                    refused++;
                    assertTrue(
                            e.getMessage().contains(dir.toString()),
                            "the message must name the folder: " + e.getMessage() + "; " + mutation);
                } catch (RuntimeException | Error e) {
                    fail(
                            "a " + e.getClass().getSimpleName() + " instead of a clean refusal for " + mutation + ": "
                                    + e,
                            e);
                }
            }
            Files.writeString(manifest, good);
        }
        FaultReport.check(
                FaultInjectionTest.class,
                "manifest",
                2 * (MUTATIONS / 2),
                refused,
                loaded,
                "forged ones loaded working artefacts",
                SEED);
    }

    /**
     * A checkpoint damaged in its manifest or its parameter file (forged checksums or not) is
     * refused when a run resumes from it, with a message naming the checkpoint, or the run
     * resumes; never another exception.
     */
    @Test
    void damagedAndForgedCheckpointsAreRefusedCleanlyOrResume() throws IOException {
        Path ckpt = tmp.resolve("checkpoints");
        SoupConfig config = SoupConfig.builder()
                .model(ToyDomains.tinyModel())
                .domains(2)
                .experts(2)
                .expertInit(ExpertInit.SCALED_NOISE)
                .seed(3)
                .build();
        try (SoupOfExperts s = SoupOfExperts.create(config)) {
            s.train(training(12)
                    .checkpoints(CheckpointPolicy.everySteps(10, ckpt))
                    .build());
        }
        Path step10 = CheckpointFolder.latest(ckpt).orElseThrow();
        Path manifest = step10.resolve(ArtifactDirectory.MANIFEST);
        Path params = SaveLoadTest.parameterFile(step10);
        String goodManifest = Files.readString(manifest);
        byte[] goodParams = Files.readAllBytes(params);
        JsonMutator mutator = new JsonMutator(SEED + 2);
        SplittableRandom rng = new SplittableRandom(SEED + 3);
        int refused = 0;
        int resumed = 0;
        int n = Math.max(10, MUTATIONS / 4);
        for (int i = 0; i < n; i++) {
            Files.write(params, goodParams);
            Files.writeString(manifest, goodManifest);
            String what;
            boolean forged = rng.nextBoolean();
            if (rng.nextBoolean()) {
                String bad = mutator.mutate(goodManifest);
                forged = forged && forge(manifest, bad);
                if (!forged) {
                    Files.writeString(manifest, bad);
                }
                what = "manifest: " + mutator.last();
            } else {
                byte[] bad = goodParams.clone();
                int at = rng.nextInt(bad.length - 4);
                ByteBuffer.wrap(bad).putInt(at, rng.nextBoolean() ? Integer.MAX_VALUE : rng.nextInt());
                Files.write(params, bad);
                if (forged) {
                    SaveLoadTest.forge(manifest, m -> {
                        m.getAsJsonObject("parameterFile").addProperty("bytes", sizeOf(params));
                        m.getAsJsonObject("parameterFile").addProperty("sha256", sha(params));
                    });
                }
                what = "parameters: int written at " + at;
            }
            String mutation = what + (forged ? ", checksum forged" : "") + " (seed " + SEED + ", mutation " + i + ")";
            try (SoupOfExperts s = SoupOfExperts.create(config)) {
                s.train(training(12).resumeFrom(step10).build());
                resumed++;
            } catch (UncheckedIOException e) {
                refused++;
                assertTrue(
                        e.getCause() instanceof SoupFormatException
                                && e.getMessage().contains(step10.toString()),
                        "expected a format error naming the checkpoint: " + e.getMessage() + "; " + mutation);
            } catch (IllegalStateException e) {
                // Forged finite values can be absurd (a moment of 1e38): the run stops and says why.
                assertTrue(forged && e.getMessage().contains("diverged"), e.getMessage() + "; " + mutation);
                resumed++;
            } catch (RuntimeException | Error e) {
                fail("a " + e.getClass().getSimpleName() + " instead of a clean refusal for " + mutation + ": " + e, e);
            }
        }
        FaultReport.check(
                FaultInjectionTest.class, "checkpoint", n, refused, resumed, "resumed or stopped as diverged", SEED);
    }

    private static TrainingPlan.Builder training(int steps) {
        return new ToyDomains().trainingBuilder().steps(steps).batchSize(8).warmup(5);
    }

    /** Writes {@code text} with its checksum fixed as an attacker would; false when it is not JSON to forge. */
    private static boolean forge(Path manifest, String text) throws IOException {
        try {
            SaveLoadTest.forge(manifest, text, m -> {});
            return true;
        } catch (RuntimeException | StackOverflowError e) {
            // Not JSON, or nested too deeply for Gson to print back: written unforged.
            return false;
        }
    }

    private static long sizeOf(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String sha(Path p) {
        try {
            return ArtifactDirectory.digest(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
