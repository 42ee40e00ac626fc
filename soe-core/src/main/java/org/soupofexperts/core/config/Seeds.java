package org.soupofexperts.core.config;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * Named random streams derived from one master seed, so that changing how much randomness one
 * part of the program consumes (say, the data sampler) never shifts another (say, the weight
 * initialisation). DJL's own samplers and {@code Engine.setRandomSeed} use global generators;
 * this library never does.
 *
 * <p>Public so that a user's own training loop or sampler can draw from the same named streams as
 * the library (for example {@code Seeds.stream(seed, Seeds.DATA)}). Stateless and thread-safe; each
 * returned generator is not thread-safe.
 */
public final class Seeds {

    /** Stream for parameter initialisation. */
    public static final String INIT = "init";
    /** Stream for the expert banks' initial values (apart from the shared parameters' stream). */
    public static final String INIT_EXPERTS = "init.experts";
    /** Stream for sampling domain weights h from the meta-distribution. */
    public static final String H = "h";
    /** Stream for drawing training batches. */
    public static final String DATA = "data";

    private Seeds() {}

    /** Returns a generator for the named stream of {@code seed}. */
    public static SplittableRandom stream(long seed, String name) {
        long h = 0xcbf29ce484222325L; // FNV-1a over the name, then mixed with the seed
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return new SplittableRandom(mix(seed ^ mix(h)));
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** A standard normal draw (Box-Muller; the generator has no nextGaussian). */
    public static double gaussian(SplittableRandom rng) {
        double u1 = rng.nextDouble();
        double u2 = rng.nextDouble();
        return Math.sqrt(-2.0 * Math.log1p(-u1)) * Math.cos(2.0 * Math.PI * u2);
    }
}
