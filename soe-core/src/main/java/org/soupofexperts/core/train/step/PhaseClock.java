package org.soupofexperts.core.train.step;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.soupofexperts.core.train.TrainingSettings;

/**
 * Wall time per phase of the training step, summed over a run ({@link TrainingSettings#timePhases}).
 * A phase ends at {@link #lap}; the time since the previous lap (or {@link #start}) is added to it.
 * On the CPU every engine operation has finished when it returns, so a phase holds its own work;
 * on a GPU, queued work lands in the phase that first waits for it. Off, it costs one branch per
 * lap. Not thread-safe; owned by one run.
 */
public final class PhaseClock {

    /** A clock that records nothing. */
    public static final PhaseClock OFF = new PhaseClock(false);

    private final boolean on;
    private final Map<String, Long> nanos = new LinkedHashMap<>();
    private long last;

    /** A clock that records ({@code on}) or not. */
    public PhaseClock(boolean on) {
        this.on = on;
    }

    /** Starts timing the first phase of a step. */
    public void start() {
        if (on) {
            last = System.nanoTime();
        }
    }

    /** Ends the phase {@code name}: the time since the previous lap is added to it. */
    public void lap(String name) {
        if (on) {
            long now = System.nanoTime();
            nanos.merge(name, now - last, Long::sum);
            last = now;
        }
    }

    /** Mean milliseconds per step of each phase, in the order phases first ended; empty when off. */
    public Map<String, Double> meanMillis(int steps) {
        Map<String, Double> out = new LinkedHashMap<>();
        if (steps > 0) {
            nanos.forEach((k, v) -> out.put(k, v / 1e6 / steps));
        }
        return Collections.unmodifiableMap(out);
    }
}
