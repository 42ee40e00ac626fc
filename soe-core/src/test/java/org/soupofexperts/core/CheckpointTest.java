package org.soupofexperts.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.nn.Parameter;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.config.ExpertInit;
import org.soupofexperts.core.config.SoupConfig;
import org.soupofexperts.core.io.internal.ArtifactDirectory;
import org.soupofexperts.core.nn.SoupTensor;
import org.soupofexperts.core.train.CheckpointFolder;
import org.soupofexperts.core.train.CheckpointPolicy;
import org.soupofexperts.core.train.EarlyStopping;
import org.soupofexperts.core.train.TrainingPlan;
import org.soupofexperts.core.train.TrainingReport;

/** Checkpoints: a killed run resumes to the uninterrupted run's parameters bit for bit; bad checkpoints are refused. */
class CheckpointTest {

    private static final SoupConfig SOUP = SoupConfig.builder()
            .model(ToyDomains.tinyModel())
            .domains(2)
            .experts(2)
            .expertInit(ExpertInit.SCALED_NOISE)
            .seed(3)
            .build();

    private static TrainingPlan.Builder soupTraining(int steps) {
        return new ToyDomains().trainingBuilder().steps(steps).batchSize(8).warmup(5);
    }

    /** Stops a run, as a kill would, once it has passed {@code step}. */
    private static TrainingPlan.Builder crashAfter(TrainingPlan.Builder b, int step) {
        return b.listener(ev -> {
            if (ev.step() > step) {
                throw new IllegalStateException("simulated crash at step " + ev.step());
            }
        });
    }

    private static byte[] parameters(Path artefact) throws IOException {
        return Files.readAllBytes(SaveLoadTest.parameterFile(artefact));
    }

    @Test
    void aSoupRunKilledAfterACheckpointResumesToTheUninterruptedParametersBitForBit(@TempDir Path tmp)
            throws IOException {
        killAndResume(tmp, b -> b);
    }

    @Test
    void aRunWithBfloat16BankMomentsResumesBitForBitAndOnlyWithTheSameSetting(@TempDir Path tmp) throws IOException {
        UnaryOperator<TrainingPlan.Builder> half = b -> b.bankMoments(TrainingPlan.MomentPrecision.BFLOAT16);
        Path latest = killAndResume(tmp, half);
        // The moments are 2 bytes per value and named so; a float32 run cannot resume from them.
        JsonObject manifest =
                ArtifactDirectory.open(latest, CheckpointFolder.KIND).manifest();
        assertTrue(
                manifest.get("dataTypes").toString().contains("bfloat16"),
                manifest.get("dataTypes").toString());
        try (SoupOfExperts d = SoupOfExperts.create(SOUP)) {
            UncheckedIOException e = assertThrows(
                    UncheckedIOException.class,
                    () -> d.train(soupTraining(40).resumeFrom(latest).build()));
            assertTrue(e.getMessage().contains("bankMoments=BFLOAT16"), e.getMessage());
        }
        // A forged manifest that calls the moments float32 (re-sealed): refused before reading.
        rewriteManifest(latest, m -> {
            JsonArray types = new JsonArray();
            m.getAsJsonArray("dataTypes").forEach(t -> types.add("float32"));
            m.add("dataTypes", types);
        });
        try (SoupOfExperts d = SoupOfExperts.create(SOUP)) {
            UncheckedIOException e = assertThrows(
                    UncheckedIOException.class,
                    () -> d.train(
                            half.apply(soupTraining(40)).resumeFrom(latest).build()));
            assertTrue(e.getMessage().contains("same bankMoments setting"), e.getMessage());
        }
    }

    /**
     * Trains 40 steps uninterrupted, then again killed after step 27 with a checkpoint every 15
     * steps and resumed from step 15; both must give the same parameters and losses. Returns the
     * checkpoint resumed from.
     */
    private static Path killAndResume(Path tmp, UnaryOperator<TrainingPlan.Builder> setting) throws IOException {
        TrainingReport full;
        try (SoupOfExperts a = SoupOfExperts.create(SOUP)) {
            full = a.train(setting.apply(soupTraining(40)).build());
            a.save(tmp.resolve("uninterrupted"));
        }
        Path ckpt = tmp.resolve("checkpoints");
        try (SoupOfExperts b = SoupOfExperts.create(SOUP)) {
            TrainingPlan killed = crashAfter(
                            setting.apply(soupTraining(40)).checkpoints(CheckpointPolicy.everySteps(15, ckpt)), 27)
                    .build();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> b.train(killed));
            assertTrue(e.getMessage().contains("simulated crash"), e.getMessage());
        }
        Path latest = CheckpointFolder.latest(ckpt).orElseThrow();
        assertEquals("step-00000015", latest.getFileName().toString());
        TrainingReport resumed;
        try (SoupOfExperts c = SoupOfExperts.create(SOUP)) {
            resumed = c.train(setting.apply(soupTraining(40)).resumeFrom(latest).build());
            c.save(tmp.resolve("resumed"));
        }
        assertArrayEquals(
                parameters(tmp.resolve("uninterrupted")),
                parameters(tmp.resolve("resumed")),
                "15 steps + kill + resume must give the 40-step run's parameters exactly");
        assertArrayEquals(full.losses(), resumed.losses(), "the resumed report must hold every step's loss");
        assertEquals(40, resumed.steps());
        return latest;
    }

    @Test
    void aFineTuningWithEarlyStoppingResumesWithItsValidationCurveAndBestWeights(@TempDir Path tmp) throws IOException {
        List<TokenBatch> heldOut = List.of(new ToyDomains().domain(1, 8, 5, 50));
        EarlyStopping es = EarlyStopping.builder()
                .validation(heldOut)
                .every(10)
                .patience(100)
                .build();
        TrainingPlan.Builder b = TrainingPlan.builder()
                .source(new ToyDomains())
                .metaDistribution(ToyDomains.only(1))
                .steps(50)
                .batchSize(8)
                .contextLength(4)
                .learningRate(3e-3)
                .warmup(0)
                .logEvery(0)
                .seed(4)
                .earlyStopping(es);
        TrainingReport full;
        try (DenseModel s = DenseModel.create(ToyDomains.tinyModel(), 2)) {
            full = s.train(b.build());
            s.save(tmp.resolve("uninterrupted"));
        }
        Path ckpt = tmp.resolve("checkpoints");
        try (DenseModel s = DenseModel.create(ToyDomains.tinyModel(), 2)) {
            TrainingPlan killed = crashAfter(
                            TrainingPlan.builder()
                                    .source(new ToyDomains())
                                    .metaDistribution(ToyDomains.only(1))
                                    .steps(50)
                                    .batchSize(8)
                                    .contextLength(4)
                                    .learningRate(3e-3)
                                    .warmup(0)
                                    .logEvery(0)
                                    .seed(4)
                                    .earlyStopping(es)
                                    .checkpoints(CheckpointPolicy.everySteps(25, ckpt)),
                            33)
                    .build();
            assertThrows(IllegalStateException.class, () -> s.train(killed));
        }
        TrainingReport resumed;
        try (DenseModel s = DenseModel.create(ToyDomains.tinyModel(), 2)) {
            resumed = s.train(
                    b.resumeFrom(CheckpointFolder.latest(ckpt).orElseThrow()).build());
            s.save(tmp.resolve("resumed"));
        }
        assertArrayEquals(parameters(tmp.resolve("uninterrupted")), parameters(tmp.resolve("resumed")));
        assertEquals(full.validation(), resumed.validation(), "the validation curve must continue, not restart");
        assertEquals(full.bestStep(), resumed.bestStep());
    }

    @Test
    void onlyTheLastKCheckpointsAreKeptAndLeftoversOfKilledWritesAreRemoved(@TempDir Path tmp) throws IOException {
        Path ckpt = tmp.resolve("checkpoints");
        Path leftover = ckpt.resolve(".step-00000005.tmp-0b7f4a52-1f3e-4b8e-9a7c-2d5e8f1a3b6c");
        Files.createDirectories(leftover);
        Files.write(leftover.resolve(".params-0b7f4a52-1f3e-4b8e-9a7c-2d5e8f1a3b6c.tmp"), new byte[1000]);
        Path mine = ckpt.resolve("notes.txt");
        Files.writeString(mine, "the user's own file");
        try (SoupOfExperts s = SoupOfExperts.create(SOUP)) {
            s.train(soupTraining(25)
                    .checkpoints(CheckpointPolicy.builder()
                            .directory(ckpt)
                            .everySteps(5)
                            .keepLast(2)
                            .build())
                    .build());
        }
        List<String> names = CheckpointFolder.list(ckpt).stream()
                .map(p -> p.getFileName().toString())
                .toList();
        assertEquals(List.of("step-00000015", "step-00000020"), names, "keep the newest two; none at the last step");
        assertFalse(Files.exists(leftover), "a killed write's folder must be cleaned by the next checkpoint");
        assertTrue(Files.exists(mine), "files that are not checkpoints must stay");
    }

    @Test
    void aRunWritingWhereAnotherGotFurtherKeepsItsOwnCheckpointsNotTheOthers(@TempDir Path tmp) throws IOException {
        Path ckpt = tmp.resolve("checkpoints");
        CheckpointPolicy policy = CheckpointPolicy.builder()
                .directory(ckpt)
                .everySteps(5)
                .keepLast(2)
                .build();
        try (SoupOfExperts s = SoupOfExperts.create(SOUP)) {
            s.train(soupTraining(25).checkpoints(policy).build()); // leaves steps 15 and 20
        }
        // A new run of 12 steps: kept by step number alone, 15 and 20 would push out each of its own
        // as soon as it is written, and a resume would pick the other run's step 20.
        try (SoupOfExperts s = SoupOfExperts.create(SOUP)) {
            s.train(soupTraining(12).checkpoints(policy).build());
        }
        List<String> names = CheckpointFolder.list(ckpt).stream()
                .map(p -> p.getFileName().toString())
                .toList();
        assertEquals(List.of("step-00000005", "step-00000010"), names);
    }

    @Test
    void aCheckpointOfAnotherConfigOrSeedIsRefusedNamingTheDifference(@TempDir Path tmp) throws IOException {
        Path step10 = checkpointOfStep10(tmp);
        try (SoupOfExperts s = SoupOfExperts.create(SOUP)) {
            UncheckedIOException e = assertThrows(
                    UncheckedIOException.class,
                    () -> s.train(soupTraining(12)
                            .learningRate(1e-3)
                            .resumeFrom(step10)
                            .build()));
            assertTrue(
                    e.getMessage().contains("another training config")
                            && e.getMessage().contains("lr=0.001"),
                    e.getMessage());
            e = assertThrows(
                    UncheckedIOException.class,
                    () -> s.train(soupTraining(12).seed(99).resumeFrom(step10).build()));
            assertTrue(e.getMessage().contains("another training config"), e.getMessage());
            assertEquals(1, e.getMessage().split("cannot resume from", -1).length - 1, "said once: " + e.getMessage());
        }
        SoupConfig wider = SoupConfig.builder()
                .model(ToyDomains.tinyModel())
                .domains(2)
                .experts(3)
                .expertInit(ExpertInit.SCALED_NOISE)
                .seed(3)
                .build();
        try (SoupOfExperts s = SoupOfExperts.create(wider)) {
            UncheckedIOException e = assertThrows(
                    UncheckedIOException.class,
                    () -> s.train(soupTraining(12).resumeFrom(step10).build()));
            assertTrue(e.getMessage().contains("another soup"), e.getMessage());
        }
    }

    @Test
    void damagedOrForgedCheckpointsAreRefusedBeforeAnyValueIsUsed(@TempDir Path tmp) throws IOException {
        Path step10 = checkpointOfStep10(tmp);
        Path params = SaveLoadTest.parameterFile(step10);
        byte[] good = Files.readAllBytes(params);

        // A flipped byte: the checksum catches it.
        byte[] flipped = good.clone();
        flipped[flipped.length / 2] ^= 0x40;
        Files.write(params, flipped);
        assertRefused(step10, "SHA-256");

        // NaN planted by someone who also fixed the checksum: the finiteness check catches it.
        byte[] nan = good.clone();
        ByteBuffer.wrap(nan).order(ByteOrder.nativeOrder()).putFloat(8, Float.NaN);
        Files.write(params, nan);
        rewriteManifest(step10, m -> m.getAsJsonObject("parameterFile").addProperty("sha256", sha(params)));
        assertRefused(step10, "non-finite");

        // NaN in the last array, after every other array has passed: still nothing copied (the
        // soup is compared before and after in assertRefused).
        byte[] lastNan = good.clone();
        ByteBuffer.wrap(lastNan).order(ByteOrder.nativeOrder()).putFloat(lastNan.length - 4 * 10 - 4, Float.NaN);
        Files.write(params, lastNan);
        rewriteManifest(step10, m -> m.getAsJsonObject("parameterFile").addProperty("sha256", sha(params)));
        assertRefused(step10, "non-finite");

        // +Inf in the loss history (the last floats of the file), checksum fixed: refused too.
        byte[] inf = good.clone();
        ByteBuffer.wrap(inf).order(ByteOrder.nativeOrder()).putFloat(inf.length - 4, Float.POSITIVE_INFINITY);
        Files.write(params, inf);
        rewriteManifest(step10, m -> m.getAsJsonObject("parameterFile").addProperty("sha256", sha(params)));
        assertRefused(step10, "its loss history holds a non-finite value (Infinity)");

        // A forged shape list (a larger first array): refused before reading, nothing allocated from it.
        Files.write(params, good);
        rewriteManifest(step10, m -> {
            m.getAsJsonObject("parameterFile").addProperty("sha256", sha(params));
            JsonArray first = m.getAsJsonArray("arrays").get(0).getAsJsonArray();
            first.set(0, new JsonPrimitive(1L << 40));
        });
        assertRefused(step10, "shape");
    }

    /** A 12-step run's one checkpoint (after step 10). */
    private static Path checkpointOfStep10(Path tmp) throws IOException {
        Path ckpt = tmp.resolve("checkpoints");
        try (SoupOfExperts s = SoupOfExperts.create(SOUP)) {
            s.train(soupTraining(12)
                    .checkpoints(CheckpointPolicy.everySteps(10, ckpt))
                    .build());
        }
        return CheckpointFolder.latest(ckpt).orElseThrow();
    }

    private static void assertRefused(Path checkpoint, String what) {
        try (SoupOfExperts s = SoupOfExperts.create(SOUP)) {
            List<float[]> before = weights(s);
            UncheckedIOException e = assertThrows(
                    UncheckedIOException.class,
                    () -> s.train(soupTraining(12).resumeFrom(checkpoint).build()));
            List<float[]> after = weights(s);
            for (int i = 0; i < before.size(); i++) {
                assertArrayEquals(
                        before.get(i), after.get(i), "a refused checkpoint leaves the soup as it was: " + what);
            }
            assertTrue(
                    e.getMessage().contains(what) && e.getMessage().contains(checkpoint.toString()),
                    "expected a message naming the checkpoint and '" + what + "': " + e.getMessage());
            assertEquals(1, e.getMessage().split("cannot resume from", -1).length - 1, "said once: " + e.getMessage());
        }
    }

    /** The soup's shared tensors and expert banks, one array each. */
    private static List<float[]> weights(SoupOfExperts s) {
        List<float[]> all = new ArrayList<>();
        for (SoupTensor t : s.block().soupTensors()) {
            all.add(t.shared().getArray().toFloatArray());
            for (Parameter p : t.bank().parameters()) {
                all.add(p.getArray().toFloatArray());
            }
        }
        return all;
    }

    private static String sha(Path file) {
        try {
            return ArtifactDirectory.digest(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void rewriteManifest(Path dir, Consumer<JsonObject> edit) throws IOException {
        SaveLoadTest.forge(dir.resolve(ArtifactDirectory.MANIFEST), edit);
    }
}
