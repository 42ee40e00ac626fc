package org.soupofexperts.core;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.soupofexperts.core.internal.RuntimeFacts;
import org.soupofexperts.core.io.Version;
import org.soupofexperts.core.train.TrainingPlan;
import org.soupofexperts.core.train.TrainingReport;

/**
 * What was done to a set of parameters, run by run, as saved in a soup's manifest and a
 * specialist's provenance: one record format for both (config, data fingerprint, seed, library
 * version, the run's figures). Thread-safe.
 */
final class RunHistory {

    private final JsonArray runs;

    RunHistory() {
        this(new JsonArray());
    }

    private RunHistory(JsonArray runs) {
        this.runs = runs;
    }

    /** The history saved under {@code key} of a manifest or provenance, or an empty one. */
    static RunHistory from(JsonObject owner, String key) {
        return owner != null && owner.has(key) && owner.get(key).isJsonArray()
                ? new RunHistory(owner.getAsJsonArray(key).deepCopy())
                : new RunHistory();
    }

    /** Records a training run. */
    synchronized void addTraining(TrainingReport r, TrainingPlan training, long seed) {
        JsonObject rec = new JsonObject();
        rec.addProperty("steps", r.steps());
        rec.addProperty("tokens", r.tokens());
        rec.addProperty("seconds", r.seconds());
        rec.addProperty("finalLoss", r.finalLoss(0.1));
        rec.addProperty("seed", seed);
        rec.add("config", JsonParser.parseString(training.toJson()));
        rec.addProperty("data", training.source().fingerprint());
        rec.addProperty("libraryVersion", Version.get());
        rec.add("runtime", RuntimeFacts.json());
        if (!r.validation().isEmpty()) {
            rec.addProperty("bestStep", r.bestStep());
            rec.addProperty("restoredBest", training.earlyStopping().restoreBest());
            rec.addProperty("bestValidationLoss", r.bestValidationLoss());
        }
        runs.add(rec);
    }

    /** Records that the shared parameters were set from a base model of that provenance. */
    synchronized void addWarmStart(JsonObject baseProvenance) {
        JsonObject rec = new JsonObject();
        rec.add("warmStartFrom", baseProvenance.deepCopy());
        runs.add(rec);
    }

    synchronized boolean isEmpty() {
        return runs.isEmpty();
    }

    /** A copy of the records, in the order they were made. */
    synchronized JsonArray toJson() {
        return runs.deepCopy();
    }
}
