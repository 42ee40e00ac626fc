package org.soupofexperts.examples;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.DoublePredicate;
import java.util.function.Function;
import org.soupofexperts.core.train.CheckpointFolder;
import org.soupofexperts.core.train.CheckpointPolicy;
import org.soupofexperts.core.train.TrainingPlan;
import org.soupofexperts.core.train.TrainingReport;

/**
 * The turns of {@link EqualTimeRace}: one model trained from the checkpoint of its last turn
 * until a condition on its step and its training time so far holds, where it stops and writes the
 * checkpoint of its next turn. Not thread-safe.
 */
final class RaceTurns {

    /** Where a stopped turn stops: given the step just run and the run's training seconds so far. */
    interface Until {
        boolean reached(int step, double seconds);
    }

    private final Path out;

    RaceTurns(Path out) {
        this.out = out;
    }

    /**
     * Trains the model {@code name} from step {@code from} (its checkpoint; none at 0) until
     * {@code until} holds, and returns the report (its seconds are the whole run's so far). Only
     * the {@code last} turn may end at the plan's last step. Throws when the run ended otherwise
     * (an interrupt, or the plan's end): recording such a turn would leave no checkpoint to go on
     * from.
     */
    TrainingReport turn(
            Function<TrainingPlan, TrainingReport> train,
            TrainingPlan.Builder plan,
            String name,
            int from,
            Until until,
            boolean last) {
        Path dir = checkpoints(name);
        int[] at = {from};
        double[] seconds = {0};
        plan.listener(e -> {
                    at[0] = e.step();
                    seconds[0] = e.elapsedSeconds();
                })
                .stopWhen(() -> until.reached(at[0], seconds[0]))
                .checkpoints(CheckpointPolicy.builder()
                        .directory(dir)
                        .everySteps(Integer.MAX_VALUE)
                        .keepLast(2)
                        .build());
        if (from > 0) {
            plan.resumeFrom(dir.resolve(CheckpointFolder.nameOf(from)));
        }
        TrainingPlan p = plan.build();
        TrainingReport r = train.apply(p);
        boolean over = r.stopped() || (last && r.steps() == p.steps());
        if (!over || !until.reached(r.steps(), r.seconds())) {
            throw new IllegalStateException(name + " ended at step " + r.steps() + " of " + p.steps() + " after "
                    + r.seconds() + " s before its turn was over"
                    + (r.stopped()
                            ? " (interrupted)"
                            : " (its plan's end: for the generic model, start the race over in another --out with a larger"
                                    + " --max-ratio)")
                    + "; the race goes on from its last finished turn when run again");
        }
        return r;
    }

    /** A condition on the step alone. */
    static Until atStep(int to) {
        return (step, seconds) -> step >= to;
    }

    /** A condition on the training time alone. */
    static Until atSeconds(DoublePredicate reached) {
        return (step, seconds) -> reached.test(seconds);
    }

    /** Removes the checkpoints of {@code name} past {@code step}: a kill between two turns leaves one. */
    void forgetAfter(String name, int step) throws IOException {
        for (Path c : CheckpointFolder.list(checkpoints(name))) {
            if (CheckpointFolder.stepOf(c) > step) {
                CheckpointFolder.delete(c);
            }
        }
    }

    /** Removes every checkpoint of the race (once it is over). */
    void forgetAll() throws IOException {
        CheckpointFolder.deleteAll(checkpoints("soup"));
        CheckpointFolder.deleteAll(checkpoints("generic"));
    }

    private Path checkpoints(String name) {
        return out.resolve(name + "-checkpoints");
    }
}
