package org.soupofexperts.core.io;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import org.soupofexperts.core.ExpertRanks;
import org.soupofexperts.core.ModelConfig;
import org.soupofexperts.core.RouterConfig;

import java.util.ArrayList;
import java.util.List;

/** JSON form of the configs stored in manifests. Stateless and thread-safe. */
public final class ConfigJson {

    private ConfigJson() {}

    public static JsonObject model(ModelConfig c) {
        JsonObject o = new JsonObject();
        o.addProperty("vocabSize", c.vocabSize());
        o.addProperty("layers", c.layers());
        o.addProperty("dModel", c.dModel());
        o.addProperty("heads", c.heads());
        o.addProperty("mlpRatio", c.mlpRatio());
        o.addProperty("contextLength", c.contextLength());
        o.addProperty("bias", c.bias());
        o.addProperty("parameterCount", c.parameterCount());
        return o;
    }

    public static ModelConfig model(JsonObject o) throws SoupFormatException {
        try {
            return ModelConfig.builder()
                    .vocabSize(o.get("vocabSize").getAsInt())
                    .layers(o.get("layers").getAsInt())
                    .dModel(o.get("dModel").getAsInt())
                    .heads(o.get("heads").getAsInt())
                    .mlpRatio(o.get("mlpRatio").getAsInt())
                    .contextLength(o.get("contextLength").getAsInt())
                    .bias(o.get("bias").getAsBoolean())
                    .build();
        } catch (RuntimeException e) {
            throw new SoupFormatException("manifest has an invalid model config: " + o, e);
        }
    }

    /** {"default": r, "rules": [{"pattern": p, "rank": r}, ...]} */
    public static JsonObject expertRanks(ExpertRanks r) {
        JsonObject o = new JsonObject();
        o.addProperty("default", r.defaultRank());
        JsonArray rules = new JsonArray();
        for (ExpertRanks.Rule rule : r.rules()) {
            JsonObject j = new JsonObject();
            j.addProperty("pattern", rule.pattern());
            j.addProperty("rank", rule.rank());
            rules.add(j);
        }
        o.add("rules", rules);
        return o;
    }

    /** Reads {@link #expertRanks(ExpertRanks)}; null (a manifest from before low-rank experts) is dense. */
    public static ExpertRanks expertRanks(JsonObject o) throws SoupFormatException {
        if (o == null) {
            return ExpertRanks.dense();
        }
        try {
            List<ExpertRanks.Rule> rules = new ArrayList<>();
            for (JsonElement e : o.getAsJsonArray("rules")) {
                JsonObject j = e.getAsJsonObject();
                rules.add(new ExpertRanks.Rule(j.get("pattern").getAsString(), j.get("rank").getAsInt()));
            }
            return ExpertRanks.of(o.get("default").getAsInt(), rules);
        } catch (RuntimeException e) {
            throw new SoupFormatException("manifest has an invalid expert-rank config: " + o, e);
        }
    }

    public static JsonObject router(RouterConfig c) {
        JsonObject o = new JsonObject();
        o.addProperty("hidden", c.hidden());
        o.addProperty("depth", c.depth());
        o.addProperty("output", c.output().name());
        if (c.outputInitScale() != 1.0) {
            o.addProperty("outputInitScale", c.outputInitScale());
        }
        return o;
    }

    public static RouterConfig router(JsonObject o) throws SoupFormatException {
        try {
            RouterConfig c = RouterConfig.of(
                    o.get("hidden").getAsInt(),
                    o.get("depth").getAsInt(),
                    RouterConfig.Output.valueOf(o.get("output").getAsString()));
            // Absent in manifests written before the option existed: the default scale.
            return o.has("outputInitScale") ? c.withOutputInitScale(o.get("outputInitScale").getAsDouble()) : c;
        } catch (RuntimeException e) {
            throw new SoupFormatException("manifest has an invalid router config: " + o, e);
        }
    }
}
