package org.soupofexperts.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.config.RouterConfig;
import org.soupofexperts.core.io.ArtifactConflictException;
import org.soupofexperts.core.io.SoupFormatException;
import org.soupofexperts.core.io.internal.ArtifactDirectory;
import org.soupofexperts.core.nn.SoupTensor;
import org.soupofexperts.core.train.TrainingPlan;

class SaveLoadTest {

    @TempDir
    Path tmp;

    private static SoupOfExperts trainedSoup() {
        SoupOfExperts soup = SoupOfExperts.builder()
                .model(ToyDomains.tinyModel())
                .domains(2)
                .experts(3)
                .router(RouterConfig.of(16, 2, RouterConfig.Output.SOFTMAX))
                .seed(5)
                .build();
        soup.train(TrainingPlan.builder()
                .source(new ToyDomains())
                .metaDistribution(ToyDomains.meta())
                .steps(5)
                .batchSize(4)
                .warmup(1)
                .logEvery(0)
                .build());
        return soup;
    }

    @Test
    void soupRoundTripsBitExactlyWithItsConfigAndHistory() throws IOException {
        Path dir = tmp.resolve("soup");
        try (SoupOfExperts soup = trainedSoup()) {
            soup.save(dir);
            try (SoupOfExperts back = SoupOfExperts.load(dir)) {
                assertEquals(soup.config().toString(), back.config().toString());
                assertBitEqual(soup.block().soupTensors(), back.block().soupTensors());
                assertBitEqual(soup.router().soupTensors(), back.router().soupTensors());
                assertArrayEquals(soup.alpha(new double[] {0.3, 0.7}), back.alpha(new double[] {0.3, 0.7}));
                String manifest = Files.readString(dir.resolve(ArtifactDirectory.MANIFEST));
                assertTrue(manifest.contains("\"training\""), manifest);
                assertTrue(manifest.contains("\"libraryVersion\""), manifest);
                assertTrue(manifest.contains("\"seed\": 5"), manifest);
            }
        }
    }

    @Test
    void specialistRoundTripsBitExactlyWithItsProvenance() throws IOException {
        Path dir = tmp.resolve("spec");
        double[] h = {0.25, 0.75};
        try (SoupOfExperts soup = trainedSoup();
                Specialist s = soup.instantiate(h)) {
            s.save(dir);
            try (Specialist back = Specialist.load(dir)) {
                assertBitEqual(s.block().soupTensors(), back.block().soupTensors());
                assertArrayEquals(h, back.domainWeights());
                assertArrayEquals(s.alpha(), back.alpha());
                assertEquals(s.parameterCount(), back.parameterCount());
            }
        }
    }

    @Test
    void aSpecialistNamesTheSoupsAttachmentsByDigestInsteadOfCopyingThem() throws IOException {
        JsonArray big = new JsonArray();
        for (int i = 0; i < 5000; i++) {
            big.add(i * 0.001);
        }
        try (SoupOfExperts soup = trainedSoup()) {
            soup.attach("centroids", big.toString());
            soup.save(tmp.resolve("soup"));
            String soupManifest = Files.readString(tmp.resolve("soup").resolve(ArtifactDirectory.MANIFEST));
            assertTrue(soupManifest.contains("4.999"), "the soup keeps the attachment itself");
            try (Specialist s = soup.instantiate(new double[] {0.5, 0.5})) {
                s.save(tmp.resolve("spec"));
            }
        }
        String manifest = Files.readString(tmp.resolve("spec").resolve(ArtifactDirectory.MANIFEST));
        assertFalse(manifest.contains("4.999"), "the specialist does not copy the soup's attachment");
        byte[] bytes = big.toString().getBytes(StandardCharsets.UTF_8);
        String digest;
        try {
            digest = HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
        assertTrue(
                manifest.contains(digest) && manifest.contains("\"bytes\": " + bytes.length),
                "it names the attachment by size and SHA-256: "
                        + manifest.substring(0, Math.min(2000, manifest.length())));
        assertTrue(manifest.length() < bytes.length, "the specialist's manifest is smaller than the attachment alone");
    }

    @Test
    void savingAgainReplacesTheOldFilesAndLeavesNoTemporaries() throws IOException {
        Path dir = tmp.resolve("soup");
        try (SoupOfExperts soup = trainedSoup()) {
            soup.save(dir);
            soup.train(TrainingPlan.builder()
                    .source(new ToyDomains())
                    .metaDistribution(ToyDomains.meta())
                    .steps(2)
                    .batchSize(4)
                    .warmup(0)
                    .logEvery(0)
                    .build());
            soup.save(dir);
            try (Stream<Path> files = Files.list(dir)) {
                List<String> names =
                        files.map(p -> p.getFileName().toString()).sorted().toList();
                assertEquals(2, names.size(), names.toString());
                assertTrue(names.contains("manifest.json"));
            }
            try (SoupOfExperts back = SoupOfExperts.load(dir)) {
                assertBitEqual(soup.block().soupTensors(), back.block().soupTensors());
            }
        }
    }

    @Test
    void aSaveThatFailsHalfwayLeavesThePreviousSaveIntact() throws IOException {
        Path dir = tmp.resolve("soup");
        try (SoupOfExperts soup = trainedSoup()) {
            soup.save(dir);
            IOException boom = assertThrows(
                    IOException.class,
                    () -> ArtifactDirectory.save(dir, "soup", new JsonObject(), out -> {
                        out.write(new byte[1000]);
                        throw new IOException("disk full");
                    }));
            assertEquals("disk full", boom.getMessage());
            try (Stream<Path> files = Files.list(dir)) {
                assertEquals(2, files.count(), "no temporary file may remain");
            }
            try (SoupOfExperts back = SoupOfExperts.load(dir)) {
                assertBitEqual(soup.block().soupTensors(), back.block().soupTensors());
            }
        }
    }

    @Test
    void truncatedCorruptForeignAndMissingDirectoriesAreReportedClearly() throws IOException {
        Path dir = tmp.resolve("soup");
        try (SoupOfExperts soup = trainedSoup()) {
            soup.save(dir);
        }
        Path params = parameterFile(dir);
        byte[] original = Files.readAllBytes(params);

        // Corrupt: same size, one byte flipped.
        byte[] flipped = original.clone();
        flipped[flipped.length / 2] ^= 0x55;
        Files.write(params, flipped);
        assertMessage(dir, "corrupt");

        // Truncated.
        Files.write(params, Arrays.copyOf(original, original.length / 3));
        assertMessage(dir, "truncated");

        // Missing parameter file.
        Files.delete(params);
        assertMessage(dir, "missing");

        // Truncated manifest.
        Files.write(params, original);
        Path manifest = dir.resolve(ArtifactDirectory.MANIFEST);
        String json = Files.readString(manifest);
        Files.writeString(manifest, json.substring(0, json.length() / 2), StandardOpenOption.TRUNCATE_EXISTING);
        assertMessage(dir, "not valid JSON");

        // Foreign directory, a file, a missing path.
        Path foreign = Files.createDirectories(tmp.resolve("foreign"));
        Files.writeString(foreign.resolve("README.txt"), "hello");
        assertMessage(foreign, "has no manifest.json");
        assertMessage(foreign.resolve("README.txt"), "is not a directory");
        assertMessage(tmp.resolve("nowhere"), "is not a directory");
    }

    /** Saves the specialist of a freshly trained soup at {@code h} to {@code dir}. */
    private static void saveSpecialist(Path dir, double[] h) throws IOException {
        try (SoupOfExperts soup = trainedSoup();
                Specialist s = soup.instantiate(h)) {
            s.save(dir);
        }
    }

    @Test
    void aSpecialistDirectoryIsNotASoup() throws IOException {
        Path dir = tmp.resolve("spec");
        saveSpecialist(dir, new double[] {1, 0});
        assertMessage(dir, "holds a saved specialist, not a soup");
    }

    private static void assertSpecialistRefused(Path dir, String fragment) {
        assertRefused(() -> Specialist.load(dir), fragment);
    }

    private static void assertMessage(Path dir, String fragment) {
        assertRefused(() -> SoupOfExperts.load(dir), fragment);
    }

    /** {@code load} throws a SoupFormatException whose message holds {@code fragment}. */
    private static void assertRefused(Executable load, String fragment) {
        SoupFormatException e = assertThrows(SoupFormatException.class, load);
        assertTrue(e.getMessage().contains(fragment), "message '" + e.getMessage() + "' lacks '" + fragment + "'");
    }

    private static void assertBitEqual(List<SoupTensor> a, List<SoupTensor> b) {
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).name(), b.get(i).name());
            assertArrayEquals(
                    a.get(i).shared().getArray().toByteArray(),
                    b.get(i).shared().getArray().toByteArray(),
                    a.get(i).name());
            if (a.get(i).hasExperts()) {
                assertArrayEquals(
                        a.get(i).bank().parameters().get(0).getArray().toByteArray(),
                        b.get(i).bank().parameters().get(0).getArray().toByteArray(),
                        a.get(i).name() + ".experts");
            }
        }
    }

    @Test
    void aSaveNeverReplacesAnotherKindOrForeignFilesAndCleansWhatKilledSavesLeft() throws IOException {
        ModelConfig model = ToyDomains.tinyModel();
        try (SoupOfExperts soup = SoupOfExperts.builder()
                        .model(model)
                        .domains(2)
                        .experts(2)
                        .seed(1)
                        .build();
                Specialist specialist = soup.instantiate(new double[] {0.5, 0.5})) {
            Path soupDir = tmp.resolve("soup");
            soup.save(soupDir);
            ArtifactConflictException e = assertThrows(ArtifactConflictException.class, () -> specialist.save(soupDir));
            assertTrue(e.getMessage().contains("holds a saved soup"), e.getMessage());
            SoupOfExperts.load(soupDir).close();

            Path users = Files.createDirectories(tmp.resolve("users"));
            Files.writeString(users.resolve("notes.txt"), "mine");
            Files.write(users.resolve("params-0123456789abcdef.bin"), new byte[] {1, 2, 3});
            e = assertThrows(ArtifactConflictException.class, () -> specialist.save(users));
            assertTrue(e.getMessage().contains("not empty"), e.getMessage());
            assertEquals("mine", Files.readString(users.resolve("notes.txt")));
            assertTrue(Files.exists(users.resolve("params-0123456789abcdef.bin")));

            // Leftovers of a killed save go; a parameter file the manifest does not name stays.
            Path killed = soupDir.resolve(".params-0b7f4a52-1f3e-4b8e-9a7c-2d5e8f1a3b6c.tmp");
            Files.write(killed, new byte[4096]);
            Path foreign = soupDir.resolve("params-aaaaaaaaaaaaaaaa.bin");
            Files.write(foreign, new byte[] {7});
            // A save killed after its parameter file was in place, before its manifest: the
            // file's name is the start of its own SHA-256, which proves the library wrote it.
            byte[] content = "parameters of a killed save".getBytes(StandardCharsets.UTF_8);
            Path scratch = Files.write(tmp.resolve("scratch.bin"), content);
            Path orphan = soupDir.resolve(
                    "params-" + ArtifactDirectory.digest(scratch).substring(0, 16) + ".bin");
            Files.move(scratch, orphan);
            soup.train(new ToyDomains().trainingBuilder().steps(2).warmup(0).build());
            soup.save(soupDir);
            assertTrue(Files.notExists(killed), "a killed save's temporary must be removed by the next save");
            assertTrue(
                    Files.notExists(orphan), "a killed save's parameter file, proven by its checksum, must be removed");
            assertTrue(Files.exists(foreign), "a parameter file whose content does not prove it the library's stays");
            try (Stream<Path> files = Files.list(soupDir)) {
                assertEquals(3, files.count(), "manifest, the new parameter file and the foreign one");
            }
            SoupOfExperts.load(soupDir).close();

            // A first save killed before its manifest: the folder holds only what that save left
            // (a proven parameter file and a temporary), so the next save may take it.
            Path firstSave = Files.createDirectories(tmp.resolve("first-save-killed"));
            Path left = Files.write(tmp.resolve("left.bin"), content);
            Path leftParams =
                    firstSave.resolve("params-" + ArtifactDirectory.digest(left).substring(0, 16) + ".bin");
            Files.move(left, leftParams);
            Files.write(firstSave.resolve(".manifest-0b7f4a52-1f3e-4b8e-9a7c-2d5e8f1a3b6c.tmp"), new byte[16]);
            soup.save(firstSave);
            assertTrue(Files.notExists(leftParams), "the killed first save's parameter file must be removed");
            try (Stream<Path> files = Files.list(firstSave)) {
                assertEquals(2, files.count(), "manifest and the new parameter file only");
            }
            SoupOfExperts.load(firstSave).close();
        }
    }

    /**
     * Manifest edits: without the checksum fixed they are caught as edits; with it fixed (an
     * attacker) every size is bounded and checked against the parameter file before a model is
     * built, and integers must be exact. Each refusal is immediate (a forged layers = 200000000
     * used to hang in building the model).
     */
    @Test
    void forgedManifestsAreRefusedBeforeAnyModelIsBuilt() throws IOException {
        Path dir = tmp.resolve("soup");
        try (SoupOfExperts soup = trainedSoup()) {
            soup.save(dir);
        }
        Path manifest = dir.resolve(ArtifactDirectory.MANIFEST);
        String original = Files.readString(manifest);

        Files.writeString(manifest, original.replace("\"SOFTMAX\"", "\"RAW\""));
        assertMessage(dir, "was edited or damaged");

        forge(manifest, original, m -> model(m).addProperty("layers", 200_000_000));
        assertMessage(dir, "'layers' = 200000000 is outside [1, 4096]");
        forge(manifest, original, m -> model(m).addProperty("layers", 4294967297L));
        assertMessage(dir, "'layers' = 4294967297 is outside");
        forge(manifest, original, m -> model(m).add("dModel", new JsonArray()));
        assertMessage(dir, "'dModel' is missing or not a single value");
        forge(
                manifest,
                original,
                m -> m.getAsJsonObject("config").getAsJsonObject("router").addProperty("depth", 100_000_000));
        assertMessage(dir, "'depth' = 100000000 is outside");
        forge(manifest, original, m -> {
            model(m).addProperty("layers", 64);
            model(m).remove("parameterCount");
        });
        assertMessage(dir, "parameters");
        // The router is counted too: 2^20 domains into a hidden width of 511 is a 2 GiB weight.
        forge(manifest, original, m -> {
            m.getAsJsonObject("config").addProperty("domains", 1 << 20);
            m.getAsJsonObject("config").getAsJsonObject("router").addProperty("hidden", 511);
        });
        assertMessage(dir, "parameters");
        forge(manifest, original, m -> m.getAsJsonObject("config").addProperty("routerr", 1));
        assertMessage(dir, "unknown field 'routerr'");
        forge(manifest, original, m -> {});
        SoupOfExperts.load(dir).close();
    }

    @Test
    void aForgedProvenanceIsRefusedWhenTheModelIsLoadedNotWhenItIsRead() throws IOException {
        Path dir = tmp.resolve("spec");
        saveSpecialist(dir, new double[] {0.25, 0.75});
        Path manifest = dir.resolve(ArtifactDirectory.MANIFEST);
        String original = Files.readString(manifest);
        forge(manifest, original, m -> {
            JsonArray h = new JsonArray();
            h.add(new JsonObject());
            m.getAsJsonObject("provenance").add("h", h);
        });
        assertSpecialistRefused(dir, "its provenance is malformed");
        forge(manifest, original, m -> {
            JsonObject run = new JsonObject();
            run.addProperty("steps", 4294967297L); // read as 1 by a lenient reader
            JsonArray runs = new JsonArray();
            runs.add(run);
            m.getAsJsonObject("provenance").add("training", runs);
        });
        assertSpecialistRefused(dir, "its provenance is malformed");
        forge(manifest, original, m -> {});
        Specialist.load(dir).close();
    }

    @Test
    void aParameterFileThatIsAPipeOrALinkIsRefusedWithoutBlocking() throws Exception {
        Path dir = tmp.resolve("soup");
        try (SoupOfExperts soup = trainedSoup()) {
            soup.save(dir);
        }
        Path params = parameterFile(dir);
        Files.delete(params);
        Files.createSymbolicLink(params, Path.of("/dev/zero"));
        assertMessage(dir, "not a regular file");
        Files.delete(params);
        Process mkfifo = new ProcessBuilder("mkfifo", params.toString()).start();
        Assumptions.assumeTrue(mkfifo.waitFor() == 0, "mkfifo is not available");
        assertMessage(dir, "not a regular file");
    }

    @Test
    void anArtefactOfFormatOneIsRefusedBecauseItsLinearWeightsAreTransposed() throws IOException {
        // Format 1 stored linear weights (out, in). A square one (attn.proj) would load in the
        // wrong layout without any shape error, so the format decides.
        Path dir = tmp.resolve("soup");
        try (SoupOfExperts soup = trainedSoup()) {
            soup.save(dir);
        }
        forge(dir.resolve(ArtifactDirectory.MANIFEST), m -> m.addProperty("format", "soupofexperts/1"));
        assertMessage(dir, "format 1 stored linear weights (out, in)");
        forge(dir.resolve(ArtifactDirectory.MANIFEST), m -> m.addProperty("format", "soupofexperts/9"));
        assertMessage(dir, "this library reads '" + ArtifactDirectory.FORMAT + "'");
    }

    @Test
    void weightsHoldingNaNAreNeitherSavedOverAGoodArtefactNorLoaded() throws IOException {
        Path dir = tmp.resolve("spec");
        try (SoupOfExperts soup = trainedSoup();
                Specialist s = soup.instantiate(new double[] {1, 0})) {
            s.save(dir);
            s.block().soupTensors().get(2).shared().getArray().muli(Float.NaN);
            IllegalStateException refused = assertThrows(IllegalStateException.class, () -> s.save(dir));
            assertTrue(refused.getMessage().contains("holds NaN or infinite values; not saved"), refused.getMessage());
            soup.block().soupTensors().get(0).shared().getArray().muli(Float.POSITIVE_INFINITY);
            Path soupDir = tmp.resolve("soup");
            refused = assertThrows(IllegalStateException.class, () -> soup.save(soupDir));
            assertTrue(refused.getMessage().contains("not saved into " + soupDir), refused.getMessage());
        }
        Specialist.load(dir).close(); // the good one is still there
        // A NaN planted in the file by someone who also fixed both checksums: refused on load.
        Path params = parameterFile(dir);
        byte[] b = Files.readAllBytes(params);
        // The last value of the last parameter: all bits set is NaN in either byte order.
        ByteBuffer.wrap(b).putInt(b.length - 4, -1);
        Files.write(params, b);
        forge(dir.resolve(ArtifactDirectory.MANIFEST), m -> {
            try {
                m.getAsJsonObject("parameterFile").addProperty("sha256", ArtifactDirectory.digest(params));
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        });
        SoupFormatException e = assertThrows(SoupFormatException.class, () -> Specialist.load(dir));
        assertTrue(e.getMessage().contains("NaN or infinite"), e.getMessage());
    }

    private static JsonObject model(JsonObject m) {
        return m.getAsJsonObject("config").getAsJsonObject("model");
    }

    /** Edits a manifest in place, fixing its checksum as an attacker would. */
    static void forge(Path manifest, Consumer<JsonObject> edit) throws IOException {
        forge(manifest, Files.readString(manifest), edit);
    }

    /** Rewrites the manifest from {@code original} with {@code edit}, fixing its checksum as an attacker would. */
    static void forge(Path manifest, String original, Consumer<JsonObject> edit) throws IOException {
        JsonObject m = JsonParser.parseString(original).getAsJsonObject();
        edit.accept(m);
        m.remove(ArtifactDirectory.MANIFEST_SHA256);
        String pretty = new GsonBuilder()
                .setPrettyPrinting()
                .disableHtmlEscaping()
                .create()
                .toJson(m);
        m.addProperty(ArtifactDirectory.MANIFEST_SHA256, HexFormat.of().formatHex(sha256(pretty)));
        Files.writeString(
                manifest,
                new GsonBuilder()
                        .setPrettyPrinting()
                        .disableHtmlEscaping()
                        .create()
                        .toJson(m));
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The one parameter file of a saved artefact. */
    static Path parameterFile(Path artefact) throws IOException {
        try (Stream<Path> files = Files.list(artefact)) {
            return files.filter(p -> p.getFileName().toString().startsWith("params-"))
                    .findFirst()
                    .orElseThrow();
        }
    }

    @Test
    void attachmentsAreJsonTextThatSurvivesSaveAndLoadAndInvalidJsonIsRefused() throws IOException {
        try (SoupOfExperts soup = trainedSoup()) {
            soup.attach("note", "{\"clusters\": [1, 2, 3]}");
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> soup.attach("bad", "{not json"));
            assertTrue(e.getMessage().contains("bad") && e.getMessage().contains("not valid JSON"), e.getMessage());
            soup.save(tmp.resolve("attached"));
            // An attachment that would take the manifest past what a load takes: refused before
            // anything is written, and the saved soup is left as it was.
            soup.attach("huge", "\"" + "x".repeat((int) ArtifactDirectory.MAX_MANIFEST_BYTES) + "\"");
            e = assertThrows(IllegalArgumentException.class, () -> soup.save(tmp.resolve("attached")));
            assertTrue(e.getMessage().contains("over the " + ArtifactDirectory.MAX_MANIFEST_BYTES), e.getMessage());
        }
        try (SoupOfExperts back = SoupOfExperts.load(tmp.resolve("attached"))) {
            assertEquals(null, back.attachment("huge"));
            assertEquals("{\"clusters\":[1,2,3]}", back.attachment("note"));
            assertEquals(null, back.attachment("bad"));
            try (Specialist s = back.instantiate(new double[] {0.25, 0.75})) {
                Provenance p = s.provenance();
                assertTrue(p.fromSoup());
                assertArrayEquals(new double[] {0.25, 0.75}, p.domainWeights(), 1e-12);
                assertEquals(back.config().experts(), p.alpha().length);
                assertTrue(p.toJson().contains("\"soup\""));
            }
        }
    }

    @Test
    void aSavedSpecialistLoadsAsOneAndADenseModelTrainedDirectlyIsNotTakenForOne() throws IOException {
        try (DenseModel plain = DenseModel.create(ToyDomains.tinyModel(), 3)) {
            plain.save(tmp.resolve("plain"));
        }
        saveSpecialist(tmp.resolve("specialist"), new double[] {0.5, 0.5});
        try (DenseModel back = DenseModel.load(tmp.resolve("specialist"))) {
            assertTrue(back instanceof Specialist, "a soup's specialist loads as a Specialist");
            assertArrayEquals(new double[] {0.5, 0.5}, ((Specialist) back).domainWeights(), 1e-12);
        }
        try (DenseModel back = DenseModel.load(tmp.resolve("plain"))) {
            assertFalse(back instanceof Specialist);
            assertEquals(3L, back.provenance().seed().getAsLong());
        }
        SoupFormatException e = assertThrows(SoupFormatException.class, () -> Specialist.load(tmp.resolve("plain")));
        assertTrue(e.getMessage().contains("DenseModel.load"), e.getMessage());
    }
}
