package org.soupofexperts.core.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.RandomAccessFile;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.Specialist;
import org.soupofexperts.core.config.ExpertInit;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.internal.Djl;
import org.soupofexperts.core.io.internal.ArtifactDirectory;

/** A specialist exported for DJL loads through {@code Criteria} alone and gives its own logits. */
class DjlModelFolderTest {

    @TempDir
    Path dir;

    private static final ModelConfig TINY = ModelConfig.builder()
            .vocabSize(40)
            .layers(2)
            .dModel(16)
            .heads(2)
            .contextLength(12)
            .build();

    @Test
    void criteriaLoadsAnExportedSpecialistWithNoCodeOfTheCallersAndGivesTheSameLogits() throws Exception {
        int[] tokens = {3, 1, 4, 1, 5, 9, 2, 6};
        Path folder = dir.resolve("legal");
        float[] expected;
        try (SoupOfExperts soup = SoupOfExperts.builder()
                        .model(TINY)
                        .domains(2)
                        .experts(2)
                        .expertInit(ExpertInit.SCALED_NOISE)
                        .seed(2)
                        .build();
                Specialist s = soup.instantiate(new double[] {0.3, 0.7});
                NDManager m = Djl.engine().newBaseManager()) {
            expected = s.logits(m.create(tokens, new Shape(1, tokens.length)))
                    .get(new NDIndex("0, -1"))
                    .toFloatArray();
            s.exportForDjl(folder);
            assertThrows(
                    FileAlreadyExistsException.class,
                    () -> s.exportForDjl(folder),
                    "an export never replaces a folder");
        }
        assertTrue(Files.isRegularFile(folder.resolve("legal-0000.params"))
                && Files.isRegularFile(folder.resolve("serving.properties")));
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(1, left.count(), "no temporary folder is left beside the export");
        }
        // As a Java application loads it: the block comes from the folder's serving.properties.
        Criteria<int[], float[]> criteria = Criteria.builder()
                .setTypes(int[].class, float[].class)
                .optModelPath(folder)
                .optEngine("PyTorch")
                .optTranslatorFactory(new NextTokenTranslatorFactory())
                .build();
        assertSameLogits(expected, predict(criteria, tokens));
        // As DJL Serving loads it: the folder's serving.properties become the model's arguments.
        Properties props = new Properties();
        try (Reader r = Files.newBufferedReader(folder.resolve("serving.properties"))) {
            props.load(r);
        }
        Map<String, Object> args = new HashMap<>();
        props.forEach((k, v) -> args.put((String) k, v));
        Criteria<int[], float[]> serving = Criteria.builder()
                .setTypes(int[].class, float[].class)
                .optModelPath(folder)
                .optArguments(args)
                .build();
        assertSameLogits(expected, predict(serving, tokens));
    }

    private static void assertSameLogits(float[] expected, float[] got) {
        assertEquals(40, got.length);
        assertArrayEquals(expected, got, 1e-6f, "the DJL-loaded model gives the specialist's next-token logits");
    }

    private static float[] predict(Criteria<int[], float[]> criteria, int[] tokens) throws Exception {
        try (ZooModel<int[], float[]> model = criteria.loadModel();
                Predictor<int[], float[]> p = model.newPredictor()) {
            return p.predict(tokens);
        }
    }

    @Test
    void anExportWithoutTheCurrentFormatIsRefusedBecauseItsLinearWeightsMayBeTransposed() throws Exception {
        Path folder = exportOneExpert(
                dir.resolve("old"),
                ModelConfig.builder()
                        .vocabSize(40)
                        .layers(1)
                        .dModel(8)
                        .heads(2)
                        .contextLength(6)
                        .build());
        Path config = folder.resolve(DjlModelFolder.CONFIG);
        JsonObject o = JsonParser.parseString(Files.readString(config)).getAsJsonObject();
        assertEquals(ArtifactDirectory.FORMAT, o.get("format").getAsString());
        // Exports of format 1 had no format key.
        o.remove("format");
        Files.writeString(config, o.toString());
        Exception e =
                assertThrows(Exception.class, () -> new SpecialistBlockFactory().newBlock(null, folder, Map.of()));
        assertTrue(e.getMessage().contains("format 1 stored linear weights (out, in)"), e.getMessage());
    }

    @Test
    void forgedExportsAreRefusedBeforeTheirBlockIsBuiltAndNonFiniteWeightsWhenRead() throws Exception {
        Path folder = exportOneExpert(dir.resolve("forged"), TINY);
        Path config = folder.resolve(DjlModelFolder.CONFIG);
        String good = Files.readString(config);
        // A vocabulary of 16,000,000 (parameter count to match) beside a small file: once 2.1 GB allocated.
        JsonObject o = JsonParser.parseString(good).getAsJsonObject();
        JsonObject model = o.getAsJsonObject("model");
        model.addProperty("vocabSize", 16_000_000);
        model.addProperty(
                "parameterCount",
                ModelConfig.builder()
                        .vocabSize(16_000_000)
                        .layers(2)
                        .dModel(16)
                        .heads(2)
                        .contextLength(12)
                        .build()
                        .parameterCount());
        Files.writeString(config, o.toString());
        assertRefusedBeforeBuilding(folder, "truncated, or a forged config");
        // A description too large to read (sparse: no disk).
        try (RandomAccessFile f = new RandomAccessFile(config.toFile(), "rw")) {
            f.setLength(ArtifactDirectory.MAX_MANIFEST_BYTES + 1);
        }
        assertRefusedBeforeBuilding(folder, "over the limit");
        Files.writeString(config, good, StandardOpenOption.TRUNCATE_EXISTING);
        // The parameter file as a link to /dev/zero: once a read that never ended.
        Path params = folder.resolve("forged-0000.params");
        byte[] bytes = Files.readAllBytes(params);
        Files.delete(params);
        Files.createSymbolicLink(params, Path.of("/dev/zero"));
        assertRefusedBeforeBuilding(folder, "not a regular file");
        // A forged dimension count in the input's shape (after "DJL@", the version, the name, the
        // type, the input count and the input's name): DJL would size an array of longs by it.
        Files.delete(params);
        byte[] forged = bytes.clone();
        int at = 4 + 4 + 2 + "forged".length() + 2 + "FLOAT32".length() + 4 + 2 + "tokens".length();
        ByteBuffer.wrap(forged).putInt(at, 0x7ffffff0);
        Files.write(params, forged);
        assertRefusedBeforeBuilding(folder, "does not begin with the header this library writes");
        Files.write(params, Arrays.copyOf(bytes, 20));
        assertRefusedBeforeBuilding(folder, "truncated, or a forged config");
        // NaN in the last weight: refused by the reader, naming the parameter.
        Files.delete(params);
        ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder()).putFloat(bytes.length - 4, Float.NaN);
        Files.write(params, bytes);
        Criteria<int[], float[]> criteria = Criteria.builder()
                .setTypes(int[].class, float[].class)
                .optModelPath(folder)
                .optEngine("PyTorch")
                .optTranslatorFactory(new NextTokenTranslatorFactory())
                .build();
        Exception e = assertThrows(Exception.class, () -> predict(criteria, new int[] {1, 2}));
        StringBuilder chain = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            chain.append(t.getMessage()).append(" | ");
        }
        assertTrue(chain.toString().contains("holds NaN or infinite values (NaN at index"), chain.toString());
    }

    /** The specialist at h = (1, 0) of a fresh two-domain, one-expert soup of {@code model}, exported for DJL. */
    private static Path exportOneExpert(Path folder, ModelConfig model) throws Exception {
        try (SoupOfExperts soup = SoupOfExperts.builder()
                        .model(model)
                        .domains(2)
                        .experts(1)
                        .seed(3)
                        .build();
                Specialist s = soup.instantiate(new double[] {1, 0})) {
            s.exportForDjl(folder);
        }
        return folder;
    }

    private static void assertRefusedBeforeBuilding(Path folder, String reason) {
        Exception e =
                assertThrows(Exception.class, () -> new SpecialistBlockFactory().newBlock(null, folder, Map.of()));
        assertTrue(e.getMessage().contains(reason), "expected '" + reason + "' in: " + e.getMessage());
    }

    @Test
    void aFolderThatIsNotAnExportIsRefusedByName() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Exception e = assertThrows(Exception.class, () -> new SpecialistBlockFactory().newBlock(null, empty, Map.of()));
        assertTrue(e.getMessage().contains("not a specialist exported for DJL"), e.getMessage());
        assertFalse(Files.exists(empty.resolve(DjlModelFolder.CONFIG)));
    }
}
