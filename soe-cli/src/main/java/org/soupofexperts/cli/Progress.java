package org.soupofexperts.cli;

import java.io.PrintWriter;
import org.soupofexperts.core.train.listener.StepEvent;

/**
 * Training progress on stderr, so stdout stays for results: a bar redrawn in place on a
 * terminal, one plain line per tenth of the run otherwise (a log file or a pipe gets no carriage
 * returns; {@code --progress-every} sets another interval), nothing with {@code --quiet}. Used
 * by one training run at a time; not thread-safe.
 */
final class Progress {

    private final PrintWriter err;
    private final boolean quiet;
    private final int every;
    private final boolean terminal = System.console() != null;

    /** {@code every}: a plain line every that many steps, or 0 for every tenth of the run. */
    Progress(PrintWriter err, boolean quiet, int every) {
        this.err = err;
        this.quiet = quiet;
        this.every = every;
    }

    void step(StepEvent e) {
        int total = e.totalSteps();
        if (quiet) {
            return;
        }
        if (terminal && (e.step() % Math.max(1, total / 100) == 0 || e.step() == total)) {
            int done = (int) (30L * e.step() / total);
            err.printf("\r[%s%s] %s ", "#".repeat(done), " ".repeat(30 - done), line(e));
            err.flush();
        } else if (!terminal && (e.step() % (every > 0 ? every : Math.max(1, total / 10)) == 0 || e.step() == total)) {
            err.printf("step %s%n", line(e));
            err.flush();
        }
    }

    /** "12/100 loss 2.345 1234 tok/s, 0:10 elapsed, 1:13 left". */
    private static String line(StepEvent e) {
        return String.format(
                "%d/%d loss %.3f %.0f tok/s, %s elapsed, %s left",
                e.step(),
                e.totalSteps(),
                e.loss(),
                e.tokensPerSecond(),
                StepEvent.clock(e.elapsedSeconds()),
                StepEvent.clock(e.etaSeconds()));
    }

    void done() {
        if (!quiet && terminal) {
            err.println();
            err.flush();
        }
    }
}
