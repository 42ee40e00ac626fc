package org.soupofexperts.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.soupofexperts.core.config.ExpertInit;
import org.soupofexperts.core.io.Dtype;
import org.soupofexperts.core.io.SoupFormatException;
import org.soupofexperts.core.io.internal.Safetensors;
import org.soupofexperts.core.nn.SoupTensor;

/** A specialist exported as safetensors reads back exactly; damaged headers are refused by name. */
class SafetensorsTest {

    @TempDir
    Path dir;

    @Test
    void anExportedSpecialistReadsBackTensorForTensorWithItsMetadata() throws Exception {
        Path file = dir.resolve("specialist.safetensors");
        try (SoupOfExperts soup = SoupOfExperts.builder()
                        .model(ToyDomains.tinyModel())
                        .domains(2)
                        .experts(2)
                        .expertInit(ExpertInit.SCALED_NOISE)
                        .seed(4)
                        .build();
                Specialist s = soup.instantiate(new double[] {0.25, 0.75})) {
            s.exportSafetensors(file);
            Safetensors.Contents c = Safetensors.read(file);
            List<SoupTensor> tensors = s.block().soupTensors();
            assertEquals(tensors.size(), c.tensors().size());
            for (SoupTensor t : tensors) {
                Safetensors.Tensor read = c.tensors().get(t.name());
                assertArrayEquals(t.shape().getShape(), read.shape(), t.name());
                assertArrayEquals(t.shared().getArray().toFloatArray(), read.values(), 0f, t.name());
            }
            assertEquals("soupofexperts-specialist", c.metadata().get("format"));
            assertTrue(c.metadata().get("provenance").contains("0.75"), "provenance with h must be in the metadata");
        }
        byte[] bytes = Files.readAllBytes(file);
        long headerLength =
                ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLength % 8, "the header is padded to 8 bytes as the format asks");
        assertTrue(new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8).startsWith("{"));
    }

    @Test
    void aValueTheDtypeTurnsIntoInfinityIsRefusedAndNothingIsWritten() throws Exception {
        Path file = dir.resolve("big.safetensors");
        Files.writeString(file, "an earlier export");
        Map<String, Safetensors.Tensor> big =
                Map.of("w", new Safetensors.Tensor(new long[] {3}, new float[] {1f, 70000f, -2f}));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Safetensors.write(file, big, Map.of(), Dtype.F16));
        assertTrue(e.getMessage().contains("tensor 'w' holds 70000.0 at index 1, beyond what F16"), e.getMessage());
        assertEquals("an earlier export", Files.readString(file), "the file is untouched");
        Safetensors.write(file, big, Map.of(), Dtype.BF16); // bfloat16 holds it
        assertEquals(70000f, Safetensors.read(file).tensors().get("w").values()[1], 70000f / 128);
        Map<String, Safetensors.Tensor> nan =
                Map.of("w", new Safetensors.Tensor(new long[] {1}, new float[] {Float.NaN}));
        e = assertThrows(IllegalArgumentException.class, () -> Safetensors.write(file, nan, Map.of()));
        assertTrue(e.getMessage().contains("holds NaN at index 0"), e.getMessage());
    }

    @Test
    void damagedFilesAreRefusedWithTheReason() throws Exception {
        Path good = dir.resolve("good.safetensors");
        Safetensors.write(
                good, Map.of("w", new Safetensors.Tensor(new long[] {2, 2}, new float[] {1, 2, 3, 4})), Map.of());
        byte[] bytes = Files.readAllBytes(good);

        byte[] badLength = bytes.clone();
        ByteBuffer.wrap(badLength).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40);
        assertRefused(badLength, "header length");

        byte[] badJson = bytes.clone();
        badJson[8] = 'x';
        assertRefused(badJson, "not valid JSON");

        String header = new String(
                bytes,
                8,
                (int) ByteBuffer.wrap(bytes, 0, 8)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .getLong(),
                StandardCharsets.UTF_8);
        assertRefused(withHeader(bytes, header.replace("[2,2]", "[2,3]")), "needs 24 bytes");
        assertRefused(withHeader(bytes, header.replace("F32", "F64")), "only F32, F16 and BF16");
        assertRefused(withHeader(bytes, header.replace("F32", "F16")), "needs 8 bytes as F16");
        assertRefused(Arrays.copyOf(bytes, bytes.length - 4), "data_offsets");
        assertRefused(new byte[] {1, 2, 3}, "shorter than the 8-byte header length");
        // 2^62 x 4 elements: the count overflows to 0, which once matched 0 data bytes.
        String huge = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,0]}}";
        byte[] h = huge.getBytes(StandardCharsets.UTF_8);
        ByteBuffer forged = ByteBuffer.allocate(8 + h.length).order(ByteOrder.LITTLE_ENDIAN);
        forged.putLong(h.length).put(h);
        assertRefused(forged.array(), "overflows");
        // Strings and fractions where integers belong (Gson's getAsLong would read both).
        assertRefused(
                file("{\"w\":{\"dtype\":\"F32\",\"shape\":[\"2\",2],\"data_offsets\":[0,16]}}", 16),
                "tensor 'w' shape[0] must be an integer, got \"2\"");
        assertRefused(
                file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0.5,16.5]}}", 17),
                "tensor 'w' data_offsets[0] must be an integer, got 0.5");
        assertRefused(
                file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16,32]}}", 32),
                "it must be [begin, end]");
        SoupFormatException e = assertThrows(SoupFormatException.class, () -> Safetensors.read(Path.of("/dev/zero")));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
    }

    /** A file of this header and {@code dataBytes} zero bytes of data. */
    private static byte[] file(String header, int dataBytes) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        return b.array();
    }

    /** The same file with another header of the same length (padded with spaces). */
    private static byte[] withHeader(byte[] bytes, String header) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        byte[] out = bytes.clone();
        System.arraycopy(h, 0, out, 8, h.length);
        return out;
    }

    private void assertRefused(byte[] content, String reason) throws Exception {
        Path f = Files.write(dir.resolve("bad-" + reason.hashCode() + ".safetensors"), content);
        SoupFormatException e = assertThrows(SoupFormatException.class, () -> Safetensors.read(f));
        assertTrue(e.getMessage().contains(reason), "expected '" + reason + "' in: " + e.getMessage());
    }
}
