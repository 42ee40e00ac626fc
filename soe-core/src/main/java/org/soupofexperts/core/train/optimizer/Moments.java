package org.soupofexperts.core.train.optimizer;

import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

/**
 * A moment array's memory: float32, or bfloat16 (half the bytes). bfloat16 keeps 8 bits of
 * mantissa, so {@code v = 0.999 v + 0.001 g^2} rounded to nearest would mostly give v back
 * (a relative change of 1e-3 is below half a unit in the last place, 2e-3): the moment would
 * stop decaying. Values are therefore written with stochastic rounding, unbiased in
 * expectation, from a hash of the element's index and a per-step seed, so that a run is
 * reproducible whatever the threads' split of the work.
 */
public sealed interface Moments permits Moments.F32, Bf16Moments {

    /** Float32 moments over this buffer. */
    static Moments of(FloatBuffer b) {
        return new F32(b);
    }

    /** Bfloat16 moments over this buffer (the upper halves of float32 values). */
    static Moments bfloat16(ShortBuffer b, int seed) {
        return new Bf16Moments(b, seed);
    }

    int capacity();

    /** These moments with a new rounding seed (the same for float32). */
    Moments reseeded(int seed);

    /** Reads len values from off into dst. */
    void get(int off, float[] dst, int len, Scratch scratch);

    /** Writes len values of src at off. */
    void put(int off, float[] src, int len, Scratch scratch);

    /** Float32 moments: the buffer read and written as it is. */
    record F32(FloatBuffer b) implements Moments {
        @Override
        public int capacity() {
            return b.capacity();
        }

        @Override
        public Moments reseeded(int seed) {
            return this;
        }

        @Override
        public void get(int off, float[] dst, int len, Scratch scratch) {
            b.get(off, dst, 0, len);
        }

        @Override
        public void put(int off, float[] src, int len, Scratch scratch) {
            b.put(off, src, 0, len);
        }
    }
}
