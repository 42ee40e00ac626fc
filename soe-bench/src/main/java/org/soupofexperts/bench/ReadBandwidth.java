package org.soupofexperts.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.stream.IntStream;

/**
 * The machine's read bandwidth as the soup's Java kernels see it: a plain Java loop that sums a
 * LibTorch tensor through a direct view of its memory (tiles copied into a heap array and summed
 * into per-position partial sums, so that the loop vectorises), on every core of the common pool, next to
 * LibTorch's own sum of the same tensor. The Java sum is checked against LibTorch's, so the
 * figure cannot come from a loop the JIT removed.
 *
 * @param bytes size of the tensor read
 * @param javaGbPerSecond best of the Java loop's runs
 * @param engineGbPerSecond best of LibTorch's {@code sum()} runs
 */
record ReadBandwidth(long bytes, double javaGbPerSecond, double engineGbPerSecond) {

    private static final int TILE = 4096;
    private static final int CHUNK = 1 << 20;
    private static final int RUNS = 7;

    /** Measures on a tensor of {@code floats} values filled with a known pattern. */
    static ReadBandwidth measure(long floats) {
        if (floats < CHUNK || floats > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("probe size must be 2^20 to 2^31-1 floats, got " + floats);
        }
        int size = (int) floats;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.arange(0, size, 1, DataType.INT32)
                    .toType(DataType.FLOAT32, false)
                    .mod(7f)
                    .reshape(new Shape(size));
            FloatBuffer b = a.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
            double expected = a.sum().toType(DataType.FLOAT64, false).getDouble();
            double bestJava = Double.MAX_VALUE;
            double bestEngine = Double.MAX_VALUE;
            for (int r = 0; r < RUNS; r++) {
                long t0 = System.nanoTime();
                double s = javaSum(b, size);
                bestJava = Math.min(bestJava, (System.nanoTime() - t0) / 1e9);
                if (Math.abs(s - expected) > 1e-6 * Math.abs(expected)) {
                    throw new IllegalStateException("the Java read loop summed " + s + ", LibTorch " + expected
                            + ": the direct buffer is not the tensor's memory");
                }
                long t1 = System.nanoTime();
                try (NDArray sum = a.sum()) {
                    sum.getFloat();
                }
                bestEngine = Math.min(bestEngine, (System.nanoTime() - t1) / 1e9);
            }
            long bytes = 4L * size;
            return new ReadBandwidth(bytes, bytes / bestJava / 1e9, bytes / bestEngine / 1e9);
        }
    }

    private static double javaSum(FloatBuffer b, int size) {
        int chunks = (size + CHUNK - 1) / CHUNK;
        return IntStream.range(0, chunks)
                .parallel()
                .mapToDouble(c -> {
                    // One partial sum per position of the tile, at the same index as the tile: the
                    // form the JIT vectorises (an offset between the two defeats it).
                    float[] tile = new float[TILE];
                    float[] acc = new float[TILE];
                    int to = Math.min(size, c * CHUNK + CHUNK);
                    for (int i = c * CHUNK; i < to; i += TILE) {
                        int len = Math.min(TILE, to - i);
                        b.get(i, tile, 0, len);
                        for (int k = 0; k < len; k++) {
                            acc[k] += tile[k];
                        }
                    }
                    double total = 0;
                    for (float x : acc) {
                        total += x;
                    }
                    return total;
                })
                .sum();
    }
}
