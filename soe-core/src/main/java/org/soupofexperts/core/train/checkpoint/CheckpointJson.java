package org.soupofexperts.core.train.checkpoint;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.soupofexperts.core.io.SoupFormatException;
import org.soupofexperts.core.train.TrainingPlan;
import org.soupofexperts.core.train.TrainingReport;
import org.soupofexperts.core.train.listener.SpecializationPoint;

/**
 * The trainer's scalar state in a checkpoint's manifest, written and read strictly. Non-finite
 * numbers (a probe's cosine before the experts move) are written as null. Stateless.
 */
public final class CheckpointJson {

    private CheckpointJson() {}

    /** The early-stopping counters of a checkpoint. */
    record BestState(double loss, int step, int sinceImprovement, boolean snapshot) {}

    public static JsonElement number(double v) {
        return Double.isFinite(v) ? new JsonPrimitive(v) : JsonNull.INSTANCE;
    }

    private static double numberOf(JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return Double.NaN;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw new IllegalArgumentException("not a number: " + e);
        }
        return e.getAsDouble();
    }

    static JsonElement numbers(double[] v) {
        JsonArray a = new JsonArray();
        for (double x : v) {
            a.add(number(x));
        }
        return a;
    }

    private static double[] numbersOf(JsonElement e) {
        JsonArray a = e.getAsJsonArray();
        double[] v = new double[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = numberOf(a.get(i));
        }
        return v;
    }

    /** The validation points as JSON. */
    public static JsonElement validation(List<TrainingReport.ValidationPoint> points) {
        JsonArray a = new JsonArray();
        for (TrainingReport.ValidationPoint p : points) {
            JsonArray row = new JsonArray();
            row.add(p.step());
            row.add(p.tokens());
            row.add(number(p.loss()));
            a.add(row);
        }
        return a;
    }

    /** The validation points a checkpoint state holds. */
    public static List<TrainingReport.ValidationPoint> validationOf(JsonObject state) {
        List<TrainingReport.ValidationPoint> out = new ArrayList<>();
        for (JsonElement e : state.getAsJsonArray("validation")) {
            JsonArray row = e.getAsJsonArray();
            out.add(new TrainingReport.ValidationPoint(
                    row.get(0).getAsInt(), row.get(1).getAsLong(), numberOf(row.get(2))));
        }
        return out;
    }

    /** The specialization points as JSON. */
    public static JsonElement specialization(List<SpecializationPoint> points) {
        JsonArray a = new JsonArray();
        for (SpecializationPoint p : points) {
            JsonObject o = new JsonObject();
            o.addProperty("step", p.step());
            o.add("hMatters", number(p.hMatters()));
            o.add("hMattersPerDomain", numbers(p.hMattersPerDomain()));
            o.add("ownLoss", numbers(p.ownLoss()));
            o.add("referenceLoss", numbers(p.referenceLoss()));
            o.add("alphaSpread", number(p.alphaSpread()));
            o.add("expertCosine", number(p.expertCosine()));
            a.add(o);
        }
        return a;
    }

    /** The specialization points a checkpoint state holds. */
    public static List<SpecializationPoint> specializationOf(JsonObject state) {
        List<SpecializationPoint> out = new ArrayList<>();
        for (JsonElement e : state.getAsJsonArray("specialization")) {
            JsonObject o = e.getAsJsonObject();
            out.add(new SpecializationPoint(
                    o.get("step").getAsInt(),
                    numberOf(o.get("hMatters")),
                    numbersOf(o.get("hMattersPerDomain")),
                    numbersOf(o.get("ownLoss")),
                    numbersOf(o.get("referenceLoss")),
                    numberOf(o.get("alphaSpread")),
                    numberOf(o.get("expertCosine"))));
        }
        return out;
    }

    /** The best-weights record (loss, step, steps since improvement, whether weights were kept) as JSON. */
    public static JsonElement best(double loss, int step, int sinceImprovement, boolean snapshot) {
        JsonObject o = new JsonObject();
        o.add("loss", number(loss));
        o.addProperty("step", step);
        o.addProperty("sinceImprovement", sinceImprovement);
        o.addProperty("snapshot", snapshot);
        return o;
    }

    /** The best-weights record a checkpoint state holds, refused by name when damaged. */
    public static BestState bestOf(Path from, JsonObject state) throws SoupFormatException {
        JsonElement e = state.get("best");
        if (e == null || !e.isJsonObject()) {
            throw new SoupFormatException(from + " was written by a run without early stopping; this run has it");
        }
        JsonObject o = e.getAsJsonObject();
        double loss = numberOf(o.get("loss"));
        return new BestState(
                Double.isNaN(loss) ? Double.POSITIVE_INFINITY : loss,
                integer(o, "step", from),
                integer(o, "sinceImprovement", from),
                o.has("snapshot") && o.get("snapshot").getAsBoolean());
    }

    /** A non-negative integer field of {@code o}, refused by name when absent or ill-typed. */
    public static int integer(JsonObject o, String key, Path from) {
        try {
            return Checkpoints.intField(o, key, from);
        } catch (SoupFormatException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    public static double real(JsonObject o, String key) {
        double v = numberOf(o.get(key));
        return Double.isFinite(v) ? v : 0;
    }

    /**
     * A checkpoint continues only the run that wrote it: same config (schedule, data, meta-
     * distribution, optimizer), same seed, same length.
     */
    public static void requireSame(Path from, JsonObject state, TrainingPlan cfg, long seed)
            throws SoupFormatException {
        JsonElement training = state.get("training");
        if (training == null
                || !training.isJsonPrimitive()
                || !training.getAsString().equals(cfg.toString())) {
            throw new SoupFormatException("cannot resume from " + from + ": it was written by a run of another training"
                    + " config.\n  checkpoint: " + (training == null ? "(none)" : training.getAsString())
                    + "\n  this run:   " + cfg);
        }
        JsonElement s = state.get("seed");
        if (s == null || !s.isJsonPrimitive() || !s.getAsString().equals(Long.toString(seed))) {
            throw new SoupFormatException(
                    "cannot resume from " + from + ": it was written with seed " + s + ", this run has seed " + seed);
        }
    }
}
