package org.soupofexperts.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Three ways LibTorch can compute S + sum_j alpha_j E_j for one bank of n x P values: the
 * library's (1 x n) @ (n x P) product, the transposed product (P x n) @ (n x 1) on a view, and a
 * broadcast multiply followed by a sum over the experts (which builds an n x P temporary).
 */
@State(Scope.Benchmark)
public class MergeVariantsBenchmark {

    @Param({"16"})
    public int experts;

    @Param({"10000000"})
    public int values;

    /** Bank columns per block of {@link #blockedRowTimesBank}. */
    @Param({"16384", "65536"})
    public int block;

    NDManager manager;
    NDArray bank;
    NDArray shared;
    NDArray alphaRow;
    NDArray alphaColumn;
    /** The bank as two banks of half the values each (two tensors of a soup), and their S. */
    NDArray[] halves;

    NDArray[] sharedHalves;
    ExecutorService pool;
    /**
     * The bank and alpha in float16: half the bytes to read. (Not bfloat16: DJL 0.35.1's PyTorch
     * engine aborts the JVM when it makes a bfloat16 array.)
     */
    NDArray bankF16;

    NDArray alphaF16;

    @Setup(Level.Trial)
    public void setUp() {
        manager = NDManager.newBaseManager();
        bank = manager.randomUniform(-1, 1, new Shape(experts, values));
        shared = manager.randomUniform(-1, 1, new Shape(values));
        alphaRow = manager.randomUniform(0, 1, new Shape(1, experts));
        alphaColumn = alphaRow.reshape(experts, 1);
        halves = new NDArray[] {
            manager.randomUniform(-1, 1, new Shape(experts, values / 2)),
            manager.randomUniform(-1, 1, new Shape(experts, values - values / 2))
        };
        sharedHalves = new NDArray[] {
            manager.randomUniform(-1, 1, new Shape(values / 2)),
            manager.randomUniform(-1, 1, new Shape(values - values / 2))
        };
        pool = Executors.newFixedThreadPool(2);
        bankF16 = bank.toType(DataType.FLOAT16, false);
        alphaF16 = alphaRow.toType(DataType.FLOAT16, false);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.shutdownNow();
        manager.close();
    }

    @Benchmark
    public void rowTimesBank(Blackhole bh) {
        try (NDArray m = alphaRow.matMul(bank);
                NDArray out = m.reshape(values).add(shared)) {
            bh.consume(out);
        }
    }

    /**
     * The same product cut into column blocks of the bank: each block's output ({@code block}
     * values) stays in cache while the n experts' rows of that block stream through, where one
     * product over all P values writes and rereads its output from memory for each expert.
     */
    @Benchmark
    public void blockedRowTimesBank(Blackhole bh) {
        try (NDManager scope = manager.newSubManager()) {
            NDList parts = new NDList();
            for (int a = 0; a < values; a += block) {
                NDArray columns = bank.get(new NDIndex(":, {}:{}", a, Math.min(values, a + block)));
                columns.attach(scope);
                NDArray part = alphaRow.matMul(columns);
                part.attach(scope);
                parts.add(part);
            }
            NDArray merged = NDArrays.concat(parts, 1);
            merged.attach(scope);
            NDArray out = merged.reshape(values).add(shared);
            out.attach(scope);
            bh.consume(out);
        }
    }

    /** The product over a float16 bank (float16 out, widened before S is added). */
    @Benchmark
    public void f16RowTimesBank(Blackhole bh) {
        try (NDArray m = alphaF16.matMul(bankF16);
                NDArray f = m.toType(DataType.FLOAT32, false);
                NDArray out = f.reshape(values).add(shared)) {
            bh.consume(out);
        }
    }

    @Benchmark
    public void transposedBankTimesColumn(Blackhole bh) {
        try (NDArray t = bank.transpose();
                NDArray m = t.matMul(alphaColumn);
                NDArray out = m.reshape(values).add(shared)) {
            bh.consume(out);
        }
    }

    @Benchmark
    public void broadcastThenSum(Blackhole bh) {
        try (NDArray w = bank.mul(alphaColumn);
                NDArray s = w.sum(new int[] {0});
                NDArray out = s.add(shared)) {
            bh.consume(out);
        }
    }

    /** Two banks merged one after the other on this thread: the baseline of {@link #twoBanksTwoThreads}. */
    @Benchmark
    public void twoBanksOneThread(Blackhole bh) {
        for (int i = 0; i < 2; i++) {
            bh.consume(mergeHalf(i));
        }
    }

    /**
     * The same two banks merged at once on two Java threads: whether LibTorch's one-row product
     * leaves a core idle (a soup's tensors are independent, so instantiate could merge them so).
     */
    @Benchmark
    public void twoBanksTwoThreads(Blackhole bh) throws Exception {
        Future<Float> a = pool.submit(() -> mergeHalf(0));
        Future<Float> b = pool.submit(() -> mergeHalf(1));
        bh.consume(a.get());
        bh.consume(b.get());
    }

    private float mergeHalf(int i) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray m = alphaRow.matMul(halves[i]);
            m.attach(scope);
            NDArray out = m.reshape(sharedHalves[i].size()).add(sharedHalves[i]);
            out.attach(scope);
            return out.getFloat(0);
        }
    }
}
