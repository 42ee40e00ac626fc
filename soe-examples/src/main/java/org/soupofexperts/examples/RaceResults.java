package org.soupofexperts.examples;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What {@link EqualTimeRace} has measured so far, kept after every block so that a stopped race
 * goes on from its last finished block: the settings it ran with, how far each model has come,
 * and the scored points.
 *
 * @param settings the command's settings; a race resumes only with the same
 * @param domains the domains, in the order of every per-domain array
 * @param soupSteps the soup's whole budget
 * @param ratio generic steps per soup step when fixed; 0 when the generic model's turns last
 *     until its training time reaches the soup's
 * @param genericCap the generic model's plan length, which it must not reach
 * @param blocks blocks in the whole race
 * @param blocksDone blocks finished (both models trained, the point scored when due)
 * @param genericStep the generic model's steps after the last finished block
 * @param points the scored points, in order
 */
public record RaceResults(
        String settings,
        List<String> domains,
        int soupSteps,
        double ratio,
        int genericCap,
        int blocks,
        int blocksDone,
        int genericStep,
        List<Point> points) {

    /**
     * Both models after a block, each domain's validation split in bits per byte. Training seconds
     * leave out evaluations, checkpoints and resumes, and add up over the blocks.
     *
     * @param block the block just finished (1-based)
     * @param soupStep the soup's steps so far
     * @param soupSeconds the soup's training time so far
     * @param genericStep the generic model's steps so far
     * @param genericSeconds the generic model's training time so far
     * @param generic the generic model on each domain
     * @param specialists the soup's specialist of each domain (its histogram h)
     * @param soupNatural the soup at the natural h on each domain
     */
    public record Point(
            int block,
            int soupStep,
            double soupSeconds,
            int genericStep,
            double genericSeconds,
            double[] generic,
            double[] specialists,
            double[] soupNatural) {

        /** The generic model's training time over the soup's: 1 at exactly equal time. */
        public double timeRatio() {
            return genericSeconds / soupSeconds;
        }

        /** The specialists' mean against the generic model's, as a fraction (-0.03: 3% lower). */
        public double margin() {
            return mean(specialists) / mean(generic) - 1;
        }

        /** On how many domains the specialist is below the generic model. */
        public int wins() {
            int w = 0;
            for (int d = 0; d < generic.length; d++) {
                w += specialists[d] < generic[d] ? 1 : 0;
            }
            return w;
        }
    }

    /** A race of these settings before its first block; the generic plan ends at {@code maxRatio} soup budgets. */
    static RaceResults start(
            String settings, List<String> domains, int soupSteps, double ratio, double maxRatio, int blocks) {
        double cap = Math.ceil(soupSteps * Math.max(ratio, maxRatio)) + 1;
        if (!(cap <= Integer.MAX_VALUE)) {
            throw new IllegalArgumentException("a ratio of " + Math.max(ratio, maxRatio)
                    + " gives the generic model more than " + Integer.MAX_VALUE + " steps");
        }
        return new RaceResults(settings, List.copyOf(domains), soupSteps, ratio, (int) cap, blocks, 0, 0, List.of());
    }

    /** The soup's steps at the end of {@code block}. */
    int soupStepAt(int block) {
        return (int) ((long) soupSteps * block / blocks);
    }

    /** The generic model's steps at the end of {@code block} with a fixed ratio. */
    int genericStepAt(int block) {
        return (int) Math.round(ratio * soupStepAt(block));
    }

    /** These results with one more block done, the generic model at step {@code generic}, and its point or null. */
    RaceResults after(int generic, Point scored) {
        List<Point> all = new ArrayList<>(points);
        if (scored != null) {
            all.add(scored);
        }
        return new RaceResults(
                settings, domains, soupSteps, ratio, genericCap, blocks, blocksDone + 1, generic, List.copyOf(all));
    }

    /** The last scored point (the race's end once every block is done). */
    Point last() {
        return points.get(points.size() - 1);
    }

    static double mean(double[] v) {
        return Arrays.stream(v).average().orElse(Double.NaN);
    }
}
