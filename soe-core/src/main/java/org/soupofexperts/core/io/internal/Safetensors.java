package org.soupofexperts.core.io.internal;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.soupofexperts.core.io.AtomicFile;
import org.soupofexperts.core.io.Dtype;

/**
 * The safetensors format (as read by Python's {@code safetensors} and Hugging Face tools): an
 * 8-byte little-endian header length, a JSON header naming each tensor's dtype, shape and byte
 * range, then the raw little-endian data. Tensors are float32 in memory and F32, F16 or BF16 in
 * the file (rounded to nearest, ties to even). Writing is atomic (a temporary
 * file, then a rename); reading validates the whole header against the file before any data is
 * used. Stateless and thread-safe.
 */
public final class Safetensors {

    private Safetensors() {}

    /** A float32 tensor: its shape and values (row-major). */
    public record Tensor(long[] shape, float[] values) {
        public Tensor {
            long n = 1;
            for (long d : shape) {
                if (d < 0) {
                    throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
                }
                n *= d;
            }
            if (n != values.length) {
                throw new IllegalArgumentException(
                        "shape " + Arrays.toString(shape) + " holds " + n + " values, got " + values.length);
            }
        }
    }

    /** Writes the tensors (in map order) and string metadata into {@code file} as F32, atomically. */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        write(file, tensors, metadata, Dtype.F32);
    }

    /** Writes the tensors (in map order) and string metadata into {@code file}, stored as {@code dtype}, atomically. */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata, Dtype dtype)
            throws IOException {
        JsonObject header = new JsonObject();
        if (!metadata.isEmpty()) {
            JsonObject meta = new JsonObject();
            metadata.forEach(meta::addProperty);
            header.add("__metadata__", meta);
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            if (e.getKey().equals("__metadata__")) {
                throw new IllegalArgumentException("'__metadata__' is reserved and cannot name a tensor");
            }
            checkRepresentable(e.getKey(), e.getValue().values(), dtype);
            JsonObject t = new JsonObject();
            t.addProperty("dtype", dtype.name());
            JsonArray shape = new JsonArray();
            for (long d : e.getValue().shape()) {
                shape.add(d);
            }
            t.add("shape", shape);
            JsonArray range = new JsonArray();
            range.add(offset);
            offset += (long) dtype.bytes() * e.getValue().values().length;
            range.add(offset);
            t.add("data_offsets", range);
            header.add(e.getKey(), t);
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        // The format pads the header with spaces to a multiple of 8 bytes.
        int padded = (json.length + 7) / 8 * 8;
        // A unique temporary beside the file, synced, then renamed over it (AtomicFile).
        AtomicFile.write(file, raw -> {
            // Not closed here: AtomicFile syncs and closes the file after this.
            OutputStream out = new BufferedOutputStream(raw, 1 << 20);
            ByteBuffer len =
                    ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            out.write(len.array());
            out.write(json);
            for (int i = json.length; i < padded; i++) {
                out.write(' ');
            }
            ByteBuffer chunk = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            for (Tensor t : tensors.values()) {
                for (float v : t.values()) {
                    if (!chunk.hasRemaining()) {
                        out.write(chunk.array(), 0, chunk.position());
                        chunk.clear();
                    }
                    dtype.put(chunk, v);
                }
            }
            out.write(chunk.array(), 0, chunk.position());
            out.flush();
        });
    }

    /**
     * Refuses, before any byte is written, a value that is not finite or that {@code dtype} would
     * turn into infinity (beyond 65,504 in float16): the file would load, and its model give NaN.
     */
    private static void checkRepresentable(String name, float[] values, Dtype dtype) {
        for (int i = 0; i < values.length; i++) {
            float v = values[i];
            boolean overflows = switch (dtype) {
                case F32 -> false;
                case F16 -> (Dtype.toHalf(v) & 0x7c00) == 0x7c00; // exponent all ones: infinity
                case BF16 -> (Dtype.toBfloat16(v) & 0x7f80) == 0x7f80;
            };
            if (!Float.isFinite(v) || overflows) {
                throw new IllegalArgumentException("tensor '" + name + "' holds " + v + " at index " + i
                        + (Float.isFinite(v)
                                ? ", beyond what " + dtype + " can store; export as "
                                        + (dtype == Dtype.F16 ? "F32 or BF16" : "F32")
                                : ""));
            }
        }
    }

    /** What a safetensors file holds: its tensors in header order, and its string metadata. */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {}

    /** Reads every tensor and the metadata of a safetensors file, after validating its header. */
    public static Contents read(Path file) throws IOException {
        return SafetensorsReader.read(file);
    }
}
