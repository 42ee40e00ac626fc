package org.soupofexperts.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.Specialist;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.config.SoupConfig;

/**
 * Time of {@code soup.instantiate(h)} (alpha from the router, one merge per tensor, a new
 * specialist, its release), and the engine's memory bandwidth on arrays of the bank's size
 * (capped at 1 GiB, far beyond any cache): a sum (reads each value once), an in-place scale (reads
 * and writes each value) and an in-place add (reads two arrays, writes one), on preallocated
 * arrays so that page faults of fresh allocations are not counted. The parameters (base, experts)
 * are shared by both states, so each configuration's bandwidth is measured in its own fork next to
 * its instantiation.
 */
public class InstantiateJmhBenchmark {

    /** The soup, built once per trial (zero-initialised experts: the merge costs the same). */
    @State(Scope.Benchmark)
    public static class Soup {
        @Param({"1M", "10M", "30M"})
        public String base;

        @Param({"4", "16", "64"})
        public int experts;

        /** Expert rank of every matrix (0: dense); the bandwidth probes do not depend on it. */
        @Param({"0"})
        public int rank;

        SoupOfExperts soup;
        double[] h;

        @Setup(Level.Trial)
        public void setUp() {
            int k = 13;
            soup = SoupOfExperts.create(SoupConfig.builder()
                    .model(BenchModels.of(base))
                    .domains(k)
                    .experts(experts)
                    .expertRank(rank)
                    .seed(1)
                    .build());
            h = new double[k];
            for (int i = 0; i < k; i++) {
                h[i] = (i + 1.0) / (k * (k + 1) / 2.0);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            soup.close();
        }
    }

    /** Two bank-sized arrays for the bandwidth probes. */
    @State(Scope.Benchmark)
    public static class Arrays {
        @Param({"1M", "10M", "30M"})
        public String base;

        @Param({"4", "16", "64"})
        public int experts;

        NDManager manager;
        NDArray a;
        NDArray b;

        @Setup(Level.Trial)
        public void setUp() {
            manager = NDManager.newBaseManager();
            long size = Math.min(bankValues(BenchModels.of(base), experts), 1L << 28);
            a = manager.randomUniform(0, 1, new Shape(size));
            b = manager.randomUniform(0, 1, new Shape(size));
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            manager.close();
        }
    }

    /** Values in the expert banks of a soup: n times every tensor of the base model. */
    static long bankValues(ModelConfig model, int experts) {
        return (long) experts * model.parameterCount();
    }

    @Benchmark
    public void instantiate(Soup s, Blackhole bh) {
        try (Specialist sp = s.soup.instantiate(s.h)) {
            bh.consume(sp);
        }
    }

    @Benchmark
    public void scaleBankSized(Arrays x, Blackhole bh) {
        // Not by 1: the engine must not be able to skip the work. Values shrink slowly, harmlessly.
        bh.consume(x.a.muli(0.9999f));
    }

    @Benchmark
    public void sumBankSized(Arrays x, Blackhole bh) {
        // Read-only: each value read once, one float written. The merge is mostly reads too.
        try (NDArray total = x.a.sum()) {
            bh.consume(total.getFloat());
        }
    }

    @Benchmark
    public void addBankSized(Arrays x, Blackhole bh) {
        // Values in a grow by at most 1 per call: far from overflow within a benchmark.
        bh.consume(x.a.addi(x.b));
    }
}
