package org.soupofexperts.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.soupofexperts.core.io.ArtifactDirectory;
import org.soupofexperts.core.io.SoupFormatException;
import org.soupofexperts.core.nn.SoupTensor;
import org.soupofexperts.core.train.TrainingConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;

class SaveLoadTest {

    @TempDir Path tmp;

    private static SoupOfExperts trainedSoup() {
        SoupOfExperts soup =
                SoupOfExperts.builder()
                        .model(ToyDomains.tinyModel())
                        .domains(2)
                        .experts(3)
                        .router(RouterConfig.of(16, 2, RouterConfig.Output.SOFTMAX))
                        .seed(5)
                        .build();
        soup.train(
                TrainingConfig.builder()
                        .sampler(new ToyDomains())
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
    void savingAgainReplacesTheOldFilesAndLeavesNoTemporaries() throws IOException {
        Path dir = tmp.resolve("soup");
        try (SoupOfExperts soup = trainedSoup()) {
            soup.save(dir);
            soup.train(
                    TrainingConfig.builder()
                            .sampler(new ToyDomains())
                            .metaDistribution(ToyDomains.meta())
                            .steps(2)
                            .batchSize(4)
                            .warmup(0)
                            .logEvery(0)
                            .build());
            soup.save(dir);
            try (Stream<Path> files = Files.list(dir)) {
                List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
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
            IOException boom =
                    assertThrows(
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
        Path params;
        try (Stream<Path> files = Files.list(dir)) {
            params = files.filter(p -> p.getFileName().toString().startsWith("params-")).findFirst().orElseThrow();
        }
        byte[] original = Files.readAllBytes(params);

        // Corrupt: same size, one byte flipped.
        byte[] flipped = original.clone();
        flipped[flipped.length / 2] ^= 0x55;
        Files.write(params, flipped);
        assertMessage(dir, "corrupt");

        // Truncated.
        Files.write(params, java.util.Arrays.copyOf(original, original.length / 3));
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

    @Test
    void aSpecialistDirectoryIsNotASoup() throws IOException {
        Path dir = tmp.resolve("spec");
        try (SoupOfExperts soup = trainedSoup();
                Specialist s = soup.instantiate(new double[] {1, 0})) {
            s.save(dir);
        }
        assertMessage(dir, "holds a saved specialist, not a soup");
    }

    private static void assertMessage(Path dir, String fragment) {
        SoupFormatException e = assertThrows(SoupFormatException.class, () -> SoupOfExperts.load(dir));
        assertTrue(e.getMessage().contains(fragment), "message '" + e.getMessage() + "' lacks '" + fragment + "'");
    }

    private static void assertBitEqual(List<SoupTensor> a, List<SoupTensor> b) {
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).name(), b.get(i).name());
            assertArrayEquals(
                    a.get(i).shared().getArray().toByteArray(), b.get(i).shared().getArray().toByteArray(),
                    a.get(i).name());
            if (a.get(i).bank() != null) {
                assertArrayEquals(
                        a.get(i).bank().getArray().toByteArray(), b.get(i).bank().getArray().toByteArray(),
                        a.get(i).name() + ".experts");
            }
        }
    }
}
