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
import org.soupofexperts.core.ExpertInit;
import org.soupofexperts.core.SoupConfig;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.Specialist;

/**
 * Time of {@code soup.instantiate(h)} (alpha from the router, one merge per tensor, a new
 * specialist, its release), and in the same fork the engine's memory bandwidth on arrays of the
 * bank's size: a copy (reads and writes the bank once) and an add (reads two, writes one).
 */
@State(Scope.Benchmark)
public class InstantiateBenchmark {

    @Param({"1M", "10M", "30M"})
    public String base;

    @Param({"4", "16", "64"})
    public int experts;

    private SoupOfExperts soup;
    private double[] h;
    private NDManager manager;
    private NDArray a;
    private NDArray b;

    @Setup(Level.Trial)
    public void setUp() {
        int k = 13;
        // Noise-initialised experts, so nothing is all zeros (not that the merge could tell).
        soup = SoupOfExperts.create(SoupConfig.builder().model(BenchModels.of(base)).domains(k).experts(experts)
                .expertInit(ExpertInit.SCALED_NOISE).seed(1).build());
        h = new double[k];
        for (int i = 0; i < k; i++) {
            h[i] = (i + 1.0) / (k * (k + 1) / 2.0);
        }
        manager = NDManager.newBaseManager();
        // Far beyond any cache either way; capped so that the largest soups still fit in memory.
        long size = Math.min(bankValues(soup), 1L << 28);
        a = manager.randomUniform(0, 1, new Shape(size));
        b = manager.randomUniform(0, 1, new Shape(size));
    }

    /** Number of values in the soup's expert banks. */
    static long bankValues(SoupOfExperts soup) {
        return soup.block().soupTensors().stream().filter(t -> t.bank() != null).mapToLong(t -> t.bank().getArray().size()).sum();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        manager.close();
        soup.close();
    }

    @Benchmark
    public void instantiate(Blackhole bh) {
        try (Specialist s = soup.instantiate(h)) {
            bh.consume(s);
        }
    }

    @Benchmark
    public void copyBankSized(Blackhole bh) {
        try (NDArray c = a.duplicate()) {
            bh.consume(c);
        }
    }

    @Benchmark
    public void addBankSized(Blackhole bh) {
        try (NDArray c = a.add(b)) {
            bh.consume(c);
        }
    }
}
