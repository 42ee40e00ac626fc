package org.soupofexperts.core.train.optimizer;

import java.nio.ShortBuffer;
import java.util.SplittableRandom;

/**
 * Bfloat16 moments over a buffer of the upper halves of float32 values, written with stochastic
 * rounding (see {@link Moments}).
 *
 * @param seed mixed into every rounding decision; a new one each step
 */
record Bf16Moments(ShortBuffer b, int seed) implements Moments {
    @Override
    public int capacity() {
        return b.capacity();
    }

    @Override
    public Moments reseeded(int newSeed) {
        return new Bf16Moments(b, newSeed);
    }

    @Override
    public void get(int off, float[] dst, int len, Scratch s) {
        b.get(off, s.shorts, 0, len);
        short[] in = s.shorts;
        int[] bits = s.ints;
        for (int k = 0; k < len; k++) {
            bits[k] = in[k] << 16;
        }
        s.asInts.put(0, bits, 0, len);
        s.asFloats.get(0, dst, 0, len);
    }

    @Override
    public void put(int off, float[] src, int len, Scratch s) {
        s.asFloats.put(0, src, 0, len);
        s.asInts.get(0, s.ints, 0, len);
        int[] bits = s.ints;
        short[] out = s.shorts;
        int from = roundingStart(off, seed);
        for (int k = 0; k < len; k++) {
            out[k] = (short) ((bits[k] + ROUNDING[from + k]) >>> 16);
        }
        b.put(off, out, 0, len);
    }

    /**
     * The 16-bit random numbers of stochastic rounding: a fixed table, read from a start that a
     * hash of the tile's offset and the step's seed picks, so that one element meets other
     * entries from step to step. Every 4th of the 65,536 values appears once (with a random
     * offset below 4), shuffled: the table's mean is the uniform distribution's to within 2 in
     * 65,536, so the rounding is unbiased to 3e-5 of a last place. A per-element hash cost 2 ns
     * per value, 4x the table (C2 on Java 17 vectorises neither).
     */
    private static final int[] ROUNDING = new int[1 << 14];

    private static final int HASH_MULTIPLIER = 0x9E3779B9;

    static {
        SplittableRandom r = new SplittableRandom(0x5EED_B16L);
        for (int i = 0; i < ROUNDING.length; i++) {
            ROUNDING[i] = 4 * i + r.nextInt(4);
        }
        for (int i = ROUNDING.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = ROUNDING[i];
            ROUNDING[i] = ROUNDING[j];
            ROUNDING[j] = t;
        }
    }

    /** Where in {@link #ROUNDING} a tile at element {@code off} starts, for this seed. */
    private static int roundingStart(int off, int seed) {
        return Integer.remainderUnsigned(mix(off * HASH_MULTIPLIER + seed), ROUNDING.length - FusedAdamKernel.TILE + 1);
    }

    /** The murmur3 finaliser: every input bit reaches the low 16 bits used for rounding. */
    private static int mix(int h) {
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        h *= 0xC2B2AE35;
        return h ^ (h >>> 16);
    }

    /**
     * x rounded to bfloat16 up or down in magnitude, up with probability equal to the dropped
     * fraction: a 16-bit random number is added to the 16 bits that are dropped. What {@link
     * Bf16Moments} writes for element {@code off + k} of a tile at {@code off}, one value at a
     * time. Infinities and the engine's NaNs stay what they are; a NaN whose payload is all ones
     * could carry into the sign, but the weight updated from that moment is already NaN and the
     * run stops on it.
     */
    static short stochasticBf16(float x, int off, int k, int seed) {
        int bits = Float.floatToRawIntBits(x);
        return (short) ((bits + ROUNDING[roundingStart(off, seed) + k]) >>> 16);
    }
}
