package org.soupofexperts.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.slf4j.LoggerFactory;

/**
 * The end of every fault-injection run: the tally in the test log (the figures docs/reliability.md
 * quotes) and the check that most damage was refused, which fails if a reader stops checking.
 */
public final class FaultReport {

    private FaultReport() {}

    /**
     * @param what the artefact, as in "token-store"
     * @param accepted how the mutations that were not refused ended, as in "opened and sampled"
     */
    public static void check(
            Class<?> test, String what, int tried, int refused, int others, String accepted, long seed) {
        LoggerFactory.getLogger(test)
                .info(
                        "{} fault injection: {} mutations, {} refused cleanly, {} {} (seed {})",
                        what,
                        tried,
                        refused,
                        others,
                        accepted,
                        seed);
        assertTrue(
                refused > tried / 2,
                what + ": " + refused + " refused, " + others + " " + accepted + " (seed " + seed + ")");
    }
}
