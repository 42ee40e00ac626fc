package org.soupofexperts.core;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.soupofexperts.core.internal.RuntimeFacts;
import org.soupofexperts.core.io.SoupFormatException;
import org.soupofexperts.core.io.Version;
import org.soupofexperts.core.train.TrainingPlan;
import org.soupofexperts.core.train.TrainingReport;

/**
 * How a model was made, as saved with it: for a specialist instantiated from a soup, its domain
 * weights h, alpha and the soup's description (config, training runs, library version); for a
 * model trained directly, what it started from and its seed; then every training run on it. Read
 * through typed accessors; {@link #toJson()} gives the whole record as saved. Immutable and
 * thread-safe.
 */
public final class Provenance {

    private final JsonObject json;

    Provenance(JsonObject json) {
        this.json = json.deepCopy();
    }

    /**
     * Reads every part a caller may ask for, refusing a malformed one when a model is loaded
     * rather than when an accessor is first called: numbers that are not finite or not numbers,
     * steps that are not whole or past int's range, and an h whose length is not the labels'.
     *
     * @param domains the number of domain names the model's labels give (0: not known)
     */
    static void check(JsonObject json, int domains, String where) throws SoupFormatException {
        try {
            Provenance p = new Provenance(json);
            double[] h = p.domainWeights();
            if (domains > 0 && h.length > 0 && h.length != domains) {
                throw new IllegalArgumentException(
                        "h has " + h.length + " weights but the labels name " + domains + " domains");
            }
            p.alpha();
            p.layerAlpha();
            p.seed();
            p.createdFrom();
            p.training();
        } catch (RuntimeException e) {
            throw new SoupFormatException(where + ": its provenance is malformed (" + e.getMessage() + ")", e);
        }
    }

    /** The domain weights h it was instantiated for (empty if it was not instantiated from a soup). */
    public double[] domainWeights() {
        return doubles(json.get("h"));
    }

    /**
     * The expert coefficients alpha it was built with (empty if not from a soup): router(h), unless
     * {@link #alphaGiven()}; for a layer-wise alpha ({@link #layerAlpha()} not empty) the mean of its
     * rows, which alone does not rebuild the model.
     */
    public double[] alpha() {
        return doubles(json.get("alpha"));
    }

    /**
     * Whether alpha was given directly ({@link SoupOfExperts#instantiateAlpha}, such as coefficients
     * tuned on a specialist set) rather than computed as router(h): then {@code instantiate(h)}
     * would not rebuild this model, {@code instantiateAlpha(alpha(), domainWeights())} would (or, with
     * a layer-wise alpha, {@code instantiateLayerAlpha(layerAlpha(), domainWeights())}).
     */
    public boolean alphaGiven() {
        JsonElement e = json.get("alphaGiven");
        return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isBoolean() && e.getAsBoolean();
    }

    /**
     * The rows of a layer-wise alpha ({@link SoupOfExperts#instantiateLayerAlpha}), one per layer
     * group; empty otherwise. When present, {@link #alpha()} is their mean and {@code
     * instantiateLayerAlpha(layerAlpha(), domainWeights())} rebuilds the model.
     */
    public double[][] layerAlpha() {
        JsonElement e = json.get("layerAlpha");
        if (e == null || !e.isJsonArray()) {
            return new double[0][];
        }
        JsonArray rows = e.getAsJsonArray();
        double[][] out = new double[rows.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = doubles(rows.get(i));
        }
        return out;
    }

    /** Whether it was instantiated from a soup. */
    public boolean fromSoup() {
        return json.has("soup");
    }

    /** What a model trained directly started from (such as "random initialisation"), if recorded. */
    public Optional<String> createdFrom() {
        JsonElement e = json.get("createdFrom");
        return e != null && e.isJsonPrimitive() ? Optional.of(e.getAsString()) : Optional.empty();
    }

    /** The seed of a model trained directly (its initialisation), if recorded. */
    public OptionalLong seed() {
        JsonElement e = json.get("seed");
        return e != null && e.isJsonPrimitive() ? OptionalLong.of(e.getAsLong()) : OptionalLong.empty();
    }

    /** The training runs made on this model itself (fine-tuning, a baseline's training), in order. */
    public List<TrainingRun> training() {
        List<TrainingRun> runs = new ArrayList<>();
        JsonElement t = json.get("training");
        if (t != null && t.isJsonArray()) {
            for (JsonElement r : t.getAsJsonArray()) {
                if (r.isJsonObject() && r.getAsJsonObject().has("steps")) {
                    runs.add(TrainingRun.fromJson(r.getAsJsonObject()));
                }
            }
        }
        return Collections.unmodifiableList(runs);
    }

    /** The whole record as saved (JSON text), for reports and model cards. */
    public String toJson() {
        return new GsonBuilder().setPrettyPrinting().create().toJson(json);
    }

    /** The record itself, for this package's writers. */
    JsonObject json() {
        return json.deepCopy();
    }

    @Override
    public String toString() {
        return json.toString();
    }

    private static double[] doubles(JsonElement e) {
        if (e == null || !e.isJsonArray()) {
            return new double[0];
        }
        JsonArray a = e.getAsJsonArray();
        double[] v = new double[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).getAsDouble();
            if (!Double.isFinite(v[i])) {
                throw new IllegalArgumentException("value " + i + " of " + a + " is not finite");
            }
        }
        return v;
    }

    /**
     * One training run as recorded: its figures and how it was made.
     *
     * @param steps steps run (fewer than configured if early stopping ended it)
     * @param tokens tokens trained on
     * @param seconds training time, evaluations and checkpoints left out
     * @param finalLoss mean loss (nats/token) of the last tenth of the steps
     * @param seed the run's seed
     * @param config the training configuration as JSON text ({@link
     *     org.soupofexperts.core.train.TrainingPlan#toJson()})
     * @param data the data's fingerprint, or null if not recorded
     * @param libraryVersion the library version that ran it, or null if not recorded
     * @param runtime what ran it (Java, DJL, engine version, thread counts) as JSON text, or empty
     */
    public record TrainingRun(
            int steps,
            long tokens,
            double seconds,
            double finalLoss,
            long seed,
            String config,
            String data,
            String libraryVersion,
            String runtime) {

        static TrainingRun fromJson(JsonObject o) {
            return new TrainingRun(
                    o.get("steps").getAsBigDecimal().intValueExact(), // not a truncated 4294967297
                    o.has("tokens") ? o.get("tokens").getAsLong() : 0,
                    o.has("seconds") ? o.get("seconds").getAsDouble() : Double.NaN,
                    o.has("finalLoss") ? o.get("finalLoss").getAsDouble() : Double.NaN,
                    o.has("seed") ? o.get("seed").getAsLong() : 0,
                    config(o.get("config")),
                    o.has("data") ? o.get("data").getAsString() : null,
                    o.has("libraryVersion") ? o.get("libraryVersion").getAsString() : null,
                    config(o.get("runtime")));
        }

        private static String config(JsonElement c) {
            if (c == null || c.isJsonNull()) {
                return "";
            }
            return c.isJsonPrimitive() ? c.getAsString() : c.toString();
        }
    }

    /**
     * What was done to a set of parameters, run by run, as saved in a soup's manifest and a
     * specialist's provenance: one record format for both (config, data fingerprint, seed, library
     * version, the run's figures), written here and read by {@link TrainingRun}. Thread-safe.
     */
    static final class RunHistory {

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
}
