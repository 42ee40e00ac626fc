package org.soupofexperts.core.io;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format (as read by Python's {@code safetensors} and Hugging Face tools): an
 * 8-byte little-endian header length, a JSON header naming each tensor's dtype, shape and byte
 * range, then the raw little-endian data. Tensors are float32 in memory and F32, F16 or BF16 in
 * the file (rounded to nearest, ties to even). Writing is atomic (a temporary
 * file, then a rename); reading validates the whole header against the file before any data is
 * used. Stateless and thread-safe.
 */
public final class Safetensors {

    /** Larger headers are refused as damage rather than read into memory. */
    private static final long MAX_HEADER = 100L << 20;

    private Safetensors() {}

    /** A float32 tensor: its shape and values (row-major). */
    public record Tensor(long[] shape, float[] values) {
        public Tensor {
            long n = 1;
            for (long d : shape) {
                if (d < 0) {
                    throw new IllegalArgumentException(
                            "negative dimension in shape " + java.util.Arrays.toString(shape));
                }
                n *= d;
            }
            if (n != values.length) {
                throw new IllegalArgumentException(
                        "shape " + java.util.Arrays.toString(shape) + " holds " + n + " values, got " + values.length);
            }
        }
    }

    /** How values are stored in the file. */
    public enum Dtype {
        F32(4),
        F16(2),
        BF16(2);

        private final int bytes;

        Dtype(int bytes) {
            this.bytes = bytes;
        }

        /** Bytes per value. */
        public int bytes() {
            return bytes;
        }

        void put(ByteBuffer b, float v) {
            switch (this) {
                case F32 -> b.putFloat(v);
                case F16 -> b.putShort(toHalf(v));
                default -> b.putShort(toBfloat16(v));
            }
        }

        float get(ByteBuffer b) {
            return switch (this) {
                case F32 -> b.getFloat();
                case F16 -> fromHalf(b.getShort());
                default -> fromBfloat16(b.getShort());
            };
        }
    }

    /** IEEE half precision, rounded to nearest with ties to even; overflow gives infinity. */
    public static short toHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xff;
        int mant = bits & 0x7fffff;
        if (exp == 0xff) {
            return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 | (mant >>> 13) : 0));
        }
        int e = exp - 127 + 15;
        if (e >= 0x1f) {
            return (short) (sign | 0x7c00);
        }
        if (e <= 0) {
            if (e < -10) {
                return (short) sign;
            }
            // A half subnormal: the 24-bit significand shifted to units of 2^-24.
            int m = mant | 0x800000;
            int shift = 14 - e;
            int half = m >>> shift;
            int rem = m & ((1 << shift) - 1);
            int halfway = 1 << (shift - 1);
            if (rem > halfway || (rem == halfway && (half & 1) == 1)) {
                half++;
            }
            return (short) (sign | half);
        }
        int half = (e << 10) | (mant >>> 13);
        int rem = mant & 0x1fff;
        if (rem > 0x1000 || (rem == 0x1000 && (half & 1) == 1)) {
            half++; // a carry into the exponent is the right result, up to infinity
        }
        return (short) (sign | half);
    }

    /** The float value of an IEEE half. */
    public static float fromHalf(short h) {
        int sign = (h & 0x8000) << 16;
        int e = (h >>> 10) & 0x1f;
        int m = h & 0x3ff;
        if (e == 0) {
            float v = m * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        if (e == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (m << 13));
        }
        return Float.intBitsToFloat(sign | ((e - 15 + 127) << 23) | (m << 13));
    }

    /** bfloat16 (the upper half of a float32), rounded to nearest with ties to even. */
    public static short toBfloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 0x40); // NaN stays NaN
        }
        bits += 0x7fff + ((bits >>> 16) & 1);
        return (short) (bits >>> 16);
    }

    /** The float value of a bfloat16. */
    public static float fromBfloat16(short b) {
        return Float.intBitsToFloat((b & 0xffff) << 16);
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
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        // Not createTempFile: its owner-only permissions would carry over to the result.
        Path tmp = parent.resolve(file.getFileName() + "." + Long.toHexString(System.nanoTime()) + ".tmp");
        try {
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
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
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** What a safetensors file holds: its tensors in header order, and its string metadata. */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {}

    /** Reads every tensor and the metadata of a safetensors file, after validating its header. */
    public static Contents read(Path file) throws IOException {
        if (!java.nio.file.Files.isRegularFile(file)) {
            // A FIFO would block and /dev/zero never end.
            throw new SoupFormatException(file + " is not a regular file"
                    + (java.nio.file.Files.exists(file)
                            ? " (a directory, device or pipe); refused"
                            : ": it does not exist"));
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new SoupFormatException(
                        file + " is not a safetensors file: " + size + " bytes, shorter than the 8-byte header length");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLength = lenBuf.flip().getLong();
            if (headerLength < 2 || headerLength > MAX_HEADER || headerLength > size - 8) {
                throw new SoupFormatException(
                        file + ": header length " + headerLength + " is impossible for a file of " + size + " bytes");
            }
            ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLength);
            readFully(ch, headerBuf, 8);
            JsonObject header;
            try {
                header = StrictJson.parseObject(
                        new String(headerBuf.array(), StandardCharsets.UTF_8), file + ": the header");
            } catch (RuntimeException e) {
                throw new SoupFormatException(file + ": the header is not valid JSON: " + e.getMessage(), e);
            }
            long dataStart = 8 + headerLength;
            long dataLength = size - dataStart;
            Map<String, long[]> ranges = new LinkedHashMap<>();
            Map<String, long[]> shapes = new LinkedHashMap<>();
            Map<String, Dtype> types = new LinkedHashMap<>();
            List<long[]> spans = new ArrayList<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            for (Map.Entry<String, JsonElement> e : header.entrySet()) {
                if (e.getKey().equals("__metadata__")) {
                    try {
                        e.getValue()
                                .getAsJsonObject()
                                .entrySet()
                                .forEach(m ->
                                        metadata.put(m.getKey(), m.getValue().getAsString()));
                    } catch (RuntimeException x) {
                        throw new SoupFormatException(
                                file + ": __metadata__ must map names to strings: " + x.getMessage(), x);
                    }
                    continue;
                }
                String name = e.getKey();
                try {
                    JsonObject t = e.getValue().getAsJsonObject();
                    String dtype = t.get("dtype").getAsString();
                    Dtype type;
                    try {
                        type = Dtype.valueOf(dtype);
                    } catch (IllegalArgumentException unknown) {
                        throw new SoupFormatException(file + ": tensor '" + name + "' has dtype " + dtype
                                + "; only F32, F16 and BF16 are read");
                    }
                    JsonArray shapeArr = t.getAsJsonArray("shape");
                    long[] shape = new long[shapeArr.size()];
                    long count = 1;
                    for (int i = 0; i < shape.length; i++) {
                        shape[i] = shapeArr.get(i).getAsLong();
                        if (shape[i] < 0) {
                            throw new SoupFormatException(file + ": tensor '" + name + "' has a negative dimension");
                        }
                        try {
                            count = Math.multiplyExact(count, shape[i]);
                        } catch (ArithmeticException overflow) {
                            throw new SoupFormatException(
                                    file + ": tensor '" + name + "' has shape " + java.util.Arrays.toString(shape)
                                            + " whose element count overflows",
                                    overflow);
                        }
                    }
                    if (count > Integer.MAX_VALUE / 4) {
                        throw new SoupFormatException(file + ": tensor '" + name + "' has " + count
                                + " elements, over this reader's limit of " + Integer.MAX_VALUE / 4);
                    }
                    JsonArray r = t.getAsJsonArray("data_offsets");
                    long begin = r.get(0).getAsLong();
                    long end = r.get(1).getAsLong();
                    if (begin < 0 || end < begin || end > dataLength) {
                        throw new SoupFormatException(file + ": tensor '" + name + "' has data_offsets [" + begin + ", "
                                + end + "] outside the " + dataLength + " data bytes");
                    }
                    if (end - begin != type.bytes() * count) {
                        throw new SoupFormatException(file + ": tensor '" + name + "' of shape "
                                + java.util.Arrays.toString(shape) + " needs " + type.bytes() * count + " bytes as "
                                + type + ", its data_offsets give " + (end - begin));
                    }
                    types.put(name, type);
                    ranges.put(name, new long[] {begin, end});
                    shapes.put(name, shape);
                    spans.add(new long[] {begin, end});
                } catch (SoupFormatException x) {
                    throw x;
                } catch (RuntimeException x) {
                    throw new SoupFormatException(
                            file + ": tensor '" + name + "' has a malformed entry: " + x.getMessage(), x);
                }
            }
            spans.sort((a, b) -> Long.compare(a[0], b[0]));
            long covered = 0;
            for (long[] s : spans) {
                if (s[0] != covered) {
                    throw new SoupFormatException(file + ": tensor data overlaps or leaves a gap at byte " + covered);
                }
                covered = s[1];
            }
            if (covered != dataLength) {
                throw new SoupFormatException(
                        file + ": the header describes " + covered + " data bytes, the file holds " + dataLength);
            }
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (Map.Entry<String, long[]> e : ranges.entrySet()) {
                long[] r = e.getValue();
                ByteBuffer data =
                        ByteBuffer.allocate(Math.toIntExact(r[1] - r[0])).order(ByteOrder.LITTLE_ENDIAN);
                readFully(ch, data, dataStart + r[0]);
                Dtype type = types.get(e.getKey());
                float[] values = new float[data.capacity() / type.bytes()];
                data.flip();
                if (type == Dtype.F32) {
                    data.asFloatBuffer().get(values);
                } else {
                    for (int i = 0; i < values.length; i++) {
                        values[i] = type.get(data);
                    }
                }
                out.put(e.getKey(), new Tensor(shapes.get(e.getKey()), values));
            }
            return new Contents(out, metadata);
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) {
                throw new SoupFormatException("unexpected end of file at byte " + pos);
            }
            pos += n;
        }
    }
}
