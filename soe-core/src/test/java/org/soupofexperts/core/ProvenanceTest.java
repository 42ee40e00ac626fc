package org.soupofexperts.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.soupofexperts.core.io.Version;
import org.soupofexperts.core.io.internal.ArtifactDirectory;
import org.soupofexperts.core.train.TrainingPlan;

/** Every artefact says what made it: the library version, the config as data, the runtime. */
class ProvenanceTest {

    @TempDir
    Path tmp;

    @Test
    void theLibraryVersionIsTheMavenProjectVersion() {
        String expected = System.getProperty("soe.projectVersion");
        assertNotNull(expected, "the build passes -Dsoe.projectVersion (root pom, Surefire)");
        assertEquals(expected, Version.get());
        assertFalse(Version.get().contains("unknown") || Version.get().contains("${"), Version.get());
    }

    @Test
    void aSavedSoupRecordsVersionStructuredConfigAndRuntimeAndNoMachinePath() throws IOException {
        Path dir = tmp.resolve("soup");
        try (SoupOfExperts soup = SoupOfExperts.builder()
                .model(ToyDomains.tinyModel())
                .domains(2)
                .experts(2)
                .seed(3)
                .build()) {
            soup.train(TrainingPlan.builder()
                    .source(new ToyDomains())
                    .metaDistribution(ToyDomains.meta())
                    .steps(3)
                    .batchSize(4)
                    .learningRate(2e-3)
                    .warmup(1)
                    .logEvery(0)
                    .build());
            soup.save(dir);
            try (Specialist s = soup.instantiate(new double[] {0.5, 0.5})) {
                s.save(tmp.resolve("spec"));
            }
        }
        JsonObject manifest = JsonParser.parseString(Files.readString(dir.resolve(ArtifactDirectory.MANIFEST)))
                .getAsJsonObject();
        assertEquals(Version.get(), manifest.get("libraryVersion").getAsString());
        JsonObject run = manifest.getAsJsonArray("training").get(0).getAsJsonObject();
        assertEquals(Version.get(), run.get("libraryVersion").getAsString());
        JsonObject config = run.getAsJsonObject("config");
        assertEquals(3, config.get("steps").getAsInt());
        assertEquals(4, config.get("batchSize").getAsInt());
        assertEquals(
                2e-3, config.getAsJsonObject("schedule").get("learningRate").getAsDouble());
        JsonObject runtime = run.getAsJsonObject("runtime");
        for (String key : List.of("java", "djl", "engine", "engineVersion", "intraOpThreads")) {
            assertTrue(runtime.has(key), key + " missing from " + runtime);
        }
        assertEquals(System.getProperty("java.version"), runtime.get("java").getAsString());

        try (Specialist back = Specialist.load(tmp.resolve("spec"))) {
            Provenance.TrainingRun r = back.provenance().training().isEmpty()
                    ? null
                    : back.provenance().training().get(0);
            // A specialist's own runs are none (it was instantiated); the soup's runs are inside "soup".
            assertTrue(r == null || r.config().startsWith("{"), String.valueOf(r));
            assertTrue(
                    back.provenance().toJson().contains("\"intraOpThreads\""),
                    back.provenance().toJson());
        }
        assertNoFileMentions(tmp, tmp.toAbsolutePath().toString());
    }

    /** No file of the artefacts under {@code root} contains {@code path} (the machine's folder). */
    static void assertNoFileMentions(Path root, String path) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String text = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                assertFalse(text.contains(path), f + " contains the machine path " + path);
            }
        }
    }
}
