package org.soupofexperts.core.io.internal;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.soupofexperts.core.io.Dtype;
import org.soupofexperts.core.io.SoupFormatException;

/**
 * Reads a safetensors file for {@link Safetensors#read}: the whole header is validated against
 * the file (dtypes, shapes, element counts, byte ranges that tile the data exactly) before any
 * data is read, so a forged header cannot allocate or read past what the file holds. Stateless.
 */
final class SafetensorsReader {

    /** Larger headers are refused as damage rather than read into memory. */
    private static final long MAX_HEADER = 100L << 20;

    private SafetensorsReader() {}

    /** One tensor's header entry: its dtype, shape and byte range in the data section. */
    private record Entry(String name, Dtype type, long[] shape, long begin, long end) {}

    static Safetensors.Contents read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            // A FIFO would block and /dev/zero never end.
            throw new SoupFormatException(file + " is not a regular file"
                    + (Files.exists(file) ? " (a directory, device or pipe); refused" : ": it does not exist"));
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            JsonObject header = header(ch, file, size);
            long dataStart = ch.position();
            long dataLength = size - dataStart;
            Map<String, String> metadata = new LinkedHashMap<>();
            List<Entry> entries = new ArrayList<>();
            for (Map.Entry<String, JsonElement> e : header.entrySet()) {
                if (e.getKey().equals("__metadata__")) {
                    metadata(e.getValue(), file, metadata);
                } else {
                    entries.add(entry(e.getKey(), e.getValue(), file, dataLength));
                }
            }
            checkTiling(entries, file, dataLength);
            Map<String, Safetensors.Tensor> out = new LinkedHashMap<>();
            for (Entry e : entries) {
                out.put(e.name(), new Safetensors.Tensor(e.shape(), values(ch, e, dataStart)));
            }
            return new Safetensors.Contents(out, metadata);
        }
    }

    /** The JSON header; leaves the channel's position at the first data byte. */
    private static JsonObject header(FileChannel ch, Path file, long size) throws IOException {
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
        ch.position(8 + headerLength);
        try {
            return StrictJson.parseObject(new String(headerBuf.array(), StandardCharsets.UTF_8), file + ": the header");
        } catch (RuntimeException e) {
            throw new SoupFormatException(file + ": the header is not valid JSON: " + e.getMessage(), e);
        }
    }

    private static void metadata(JsonElement value, Path file, Map<String, String> into) throws SoupFormatException {
        try {
            value.getAsJsonObject()
                    .entrySet()
                    .forEach(m -> into.put(m.getKey(), m.getValue().getAsString()));
        } catch (RuntimeException x) {
            throw new SoupFormatException(file + ": __metadata__ must map names to strings: " + x.getMessage(), x);
        }
    }

    private static Entry entry(String name, JsonElement value, Path file, long dataLength) throws SoupFormatException {
        try {
            JsonObject t = value.getAsJsonObject();
            String dtype = t.get("dtype").getAsString();
            Dtype type;
            try {
                type = Dtype.valueOf(dtype);
            } catch (IllegalArgumentException unknown) {
                throw new SoupFormatException(
                        file + ": tensor '" + name + "' has dtype " + dtype + "; only F32, F16 and BF16 are read");
            }
            long[] shape = shape(name, t.getAsJsonArray("shape"), file);
            long count = Arrays.stream(shape).reduce(1, (a, b) -> a * b); // checked not to overflow
            JsonArray r = t.getAsJsonArray("data_offsets");
            String where = file.toString();
            if (r.size() != 2) {
                throw new SoupFormatException(
                        file + ": tensor '" + name + "' has data_offsets " + r + "; it must be [begin, end]");
            }
            long begin = StrictJson.exactLong(r.get(0), "tensor '" + name + "' data_offsets[0]", where);
            long end = StrictJson.exactLong(r.get(1), "tensor '" + name + "' data_offsets[1]", where);
            if (begin < 0 || end < begin || end > dataLength) {
                throw new SoupFormatException(file + ": tensor '" + name + "' has data_offsets [" + begin + ", " + end
                        + "] outside the " + dataLength + " data bytes");
            }
            if (end - begin != type.bytes() * count) {
                throw new SoupFormatException(file + ": tensor '" + name + "' of shape " + Arrays.toString(shape)
                        + " needs " + type.bytes() * count + " bytes as " + type + ", its data_offsets give "
                        + (end - begin));
            }
            return new Entry(name, type, shape, begin, end);
        } catch (SoupFormatException x) {
            throw x;
        } catch (RuntimeException x) {
            throw new SoupFormatException(file + ": tensor '" + name + "' has a malformed entry: " + x.getMessage(), x);
        }
    }

    /** The shape, each dimension >= 0 and the element count within this reader's limit (no overflow). */
    private static long[] shape(String name, JsonArray shapeArr, Path file) throws SoupFormatException {
        long[] shape = new long[shapeArr.size()];
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = StrictJson.exactLong(shapeArr.get(i), "tensor '" + name + "' shape[" + i + "]", file.toString());
            if (shape[i] < 0) {
                throw new SoupFormatException(file + ": tensor '" + name + "' has a negative dimension");
            }
            try {
                count = Math.multiplyExact(count, shape[i]);
            } catch (ArithmeticException overflow) {
                throw new SoupFormatException(
                        file + ": tensor '" + name + "' has shape " + Arrays.toString(shape)
                                + " whose element count overflows",
                        overflow);
            }
        }
        if (count > Integer.MAX_VALUE / 4) {
            throw new SoupFormatException(file + ": tensor '" + name + "' has " + count
                    + " elements, over this reader's limit of " + Integer.MAX_VALUE / 4);
        }
        return shape;
    }

    /** The tensors' byte ranges must tile the data section: no overlap, no gap, nothing left over. */
    private static void checkTiling(List<Entry> entries, Path file, long dataLength) throws SoupFormatException {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort((a, b) -> Long.compare(a.begin(), b.begin()));
        long covered = 0;
        for (Entry e : sorted) {
            if (e.begin() != covered) {
                throw new SoupFormatException(file + ": tensor data overlaps or leaves a gap at byte " + covered);
            }
            covered = e.end();
        }
        if (covered != dataLength) {
            throw new SoupFormatException(
                    file + ": the header describes " + covered + " data bytes, the file holds " + dataLength);
        }
    }

    private static float[] values(FileChannel ch, Entry e, long dataStart) throws IOException {
        ByteBuffer data =
                ByteBuffer.allocate(Math.toIntExact(e.end() - e.begin())).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, data, dataStart + e.begin());
        float[] values = new float[data.capacity() / e.type().bytes()];
        data.flip();
        if (e.type() == Dtype.F32) {
            data.asFloatBuffer().get(values);
        } else {
            for (int i = 0; i < values.length; i++) {
                values[i] = e.type().get(data);
            }
        }
        return values;
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
