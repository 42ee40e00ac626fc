import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Can a Java merge beat LibTorch's one-row product at instantiate? W = S + sum_j alpha_j E_j over
 * 24 tensors of 450,000 values with 16 experts each (about the 10M base's 10.8 M parameters, a
 * 659 MiB bank), in direct buffers, with the Vector API. Two kernels: "streams" reads the 16
 * experts' rows side by side, four vectors at a time; "tiles" keeps an output tile in a heap array
 * while each expert's tile streams through. Also times a plain vector read over the bank.
 *
 * <p>A single-file program (JDK only): {@code java --add-modules jdk.incubator.vector
 * MergeProbe.java THREADS streams|tiles [TILE]} (THREADS 1 or 2).
 */
public class MergeProbe {
    static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;
    static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    static final int N = 16;
    static final int TENSORS = 24;
    static final int P = 450_000;

    public static void main(String[] args) throws Exception {
        int threads = Integer.parseInt(args[0]);
        boolean tiles = args[1].equals("tiles");
        int tile = args.length > 2 ? Integer.parseInt(args[2]) : 2048;
        ByteBuffer[] bank = new ByteBuffer[TENSORS];
        ByteBuffer[] s = new ByteBuffer[TENSORS];
        ByteBuffer[] out = new ByteBuffer[TENSORS];
        for (int t = 0; t < TENSORS; t++) {
            bank[t] = direct(N * P);
            s[t] = direct(P);
            out[t] = direct(P);
            for (int i = 0; i < N * P; i++) {
                bank[t].putFloat(4 * i, (i % 7) * 0.1f);
            }
            for (int i = 0; i < P; i++) {
                s[t].putFloat(4 * i, 1f);
            }
        }
        float[] alpha = new float[N];
        java.util.Arrays.fill(alpha, 1f / N);
        double bytes = 4.0 * N * P * TENSORS;
        System.out.printf("%d lanes, bank %.0f MiB, %d thread(s), %s%n", SP.length(), bytes / (1 << 20), threads,
                tiles ? "tiles of " + tile : "streams");
        for (int rep = 0; rep < 12; rep++) {
            long t0 = System.nanoTime();
            Thread other = null;
            if (threads == 2) {
                other = new Thread(() -> mergeEvery(1, 2, bank, s, out, alpha, tiles, tile));
                other.start();
            }
            mergeEvery(0, threads, bank, s, out, alpha, tiles, tile);
            if (other != null) {
                other.join();
            }
            double ms = (System.nanoTime() - t0) / 1e6;
            long t1 = System.nanoTime();
            double sum = 0;
            for (int t = 0; t < TENSORS; t++) {
                sum += read(bank[t], N * P);
            }
            double readMs = (System.nanoTime() - t1) / 1e6;
            // W[1] must be the same for every kernel and thread count (1.3063): a broken kernel shows there.
            System.out.printf("merge %.1f ms = %.1f GB/s; read (one thread) %.1f ms = %.1f GB/s; W[1] = %.4f, sum %.0f%n",
                    ms, bytes / ms / 1e6, readMs, bytes / readMs / 1e6, out[0].getFloat(4), sum);
        }
    }

    static ByteBuffer direct(int floats) {
        return ByteBuffer.allocateDirect(4 * floats).order(NATIVE);
    }

    static void mergeEvery(int first, int step, ByteBuffer[] bank, ByteBuffer[] s, ByteBuffer[] out, float[] alpha,
            boolean tiles, int tile) {
        for (int t = first; t < TENSORS; t += step) {
            if (tiles) {
                mergeTiles(bank[t], s[t], out[t], alpha, tile);
            } else {
                mergeStreams(bank[t], s[t], out[t], alpha);
            }
        }
    }

    static void mergeStreams(ByteBuffer bank, ByteBuffer s, ByteBuffer out, float[] alpha) {
        int l = SP.length();
        int i = 0;
        for (; i + 4 * l <= P; i += 4 * l) {
            int b = 4 * i;
            FloatVector a0 = FloatVector.fromByteBuffer(SP, s, b, NATIVE);
            FloatVector a1 = FloatVector.fromByteBuffer(SP, s, b + 4 * l, NATIVE);
            FloatVector a2 = FloatVector.fromByteBuffer(SP, s, b + 8 * l, NATIVE);
            FloatVector a3 = FloatVector.fromByteBuffer(SP, s, b + 12 * l, NATIVE);
            for (int j = 0; j < N; j++) {
                int r = 4 * (j * P + i);
                FloatVector c = FloatVector.broadcast(SP, alpha[j]);
                a0 = FloatVector.fromByteBuffer(SP, bank, r, NATIVE).fma(c, a0);
                a1 = FloatVector.fromByteBuffer(SP, bank, r + 4 * l, NATIVE).fma(c, a1);
                a2 = FloatVector.fromByteBuffer(SP, bank, r + 8 * l, NATIVE).fma(c, a2);
                a3 = FloatVector.fromByteBuffer(SP, bank, r + 12 * l, NATIVE).fma(c, a3);
            }
            a0.intoByteBuffer(out, b, NATIVE);
            a1.intoByteBuffer(out, b + 4 * l, NATIVE);
            a2.intoByteBuffer(out, b + 8 * l, NATIVE);
            a3.intoByteBuffer(out, b + 12 * l, NATIVE);
        }
        scalarTail(bank, s, out, alpha, i, P);
    }

    static void mergeTiles(ByteBuffer bank, ByteBuffer s, ByteBuffer out, float[] alpha, int tile) {
        int l = SP.length();
        float[] acc = new float[tile];
        for (int t0 = 0; t0 < P; t0 += tile) {
            int len = Math.min(tile, P - t0);
            int vl = len - len % l;
            for (int k = 0; k < vl; k += l) {
                FloatVector.fromByteBuffer(SP, s, 4 * (t0 + k), NATIVE).intoArray(acc, k);
            }
            for (int j = 0; j < N; j++) {
                FloatVector c = FloatVector.broadcast(SP, alpha[j]);
                int r = 4 * (j * P + t0);
                for (int k = 0; k < vl; k += l) {
                    FloatVector.fromByteBuffer(SP, bank, r + 4 * k, NATIVE)
                            .fma(c, FloatVector.fromArray(SP, acc, k))
                            .intoArray(acc, k);
                }
            }
            for (int k = 0; k < vl; k += l) {
                FloatVector.fromArray(SP, acc, k).intoByteBuffer(out, 4 * (t0 + k), NATIVE);
            }
            scalarTail(bank, s, out, alpha, t0 + vl, t0 + len);
        }
    }

    static void scalarTail(ByteBuffer bank, ByteBuffer s, ByteBuffer out, float[] alpha, int from, int to) {
        for (int i = from; i < to; i++) {
            float v = s.getFloat(4 * i);
            for (int j = 0; j < N; j++) {
                v += alpha[j] * bank.getFloat(4 * (j * P + i));
            }
            out.putFloat(4 * i, v);
        }
    }

    static double read(ByteBuffer b, int count) {
        int l = SP.length();
        FloatVector x = FloatVector.zero(SP);
        FloatVector y = FloatVector.zero(SP);
        int i = 0;
        for (; i + 2 * l <= count; i += 2 * l) {
            x = x.add(FloatVector.fromByteBuffer(SP, b, 4 * i, NATIVE));
            y = y.add(FloatVector.fromByteBuffer(SP, b, 4 * (i + l), NATIVE));
        }
        return x.add(y).reduceLanes(VectorOperators.ADD);
    }
}
