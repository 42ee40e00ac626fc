package org.soupofexperts.core.io.internal;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.soupofexperts.core.config.ExpertInit;
import org.soupofexperts.core.config.ExpertRanks;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.config.RouterConfig;
import org.soupofexperts.core.config.SoupConfig;
import org.soupofexperts.core.io.SoupFormatException;

/** JSON form of the configs stored in manifests. Stateless and thread-safe. */
public final class ConfigJson {

    private ConfigJson() {}

    /** A model config as a manifest stores it. */
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

    /**
     * Upper bounds on every size a manifest may declare: far above any model this library can
     * train, low enough that no product of them overflows a long. The loaders also check that
     * the parameter file is large enough for the declared sizes before building anything.
     */
    public static final int MAX_VOCAB = 1 << 24;

    public static final int MAX_LAYERS = 4096;
    public static final int MAX_WIDTH = 1 << 16;
    public static final int MAX_MLP_RATIO = 64;
    public static final int MAX_CONTEXT = 1 << 20;
    public static final int MAX_ROUTER_DEPTH = 64;

    private static final Set<String> MODEL_KEYS =
            Set.of("vocabSize", "layers", "dModel", "heads", "mlpRatio", "contextLength", "bias", "parameterCount");

    /** Reads a model config strictly: no unknown keys, every size bounded, integers exact. */
    public static ModelConfig model(JsonObject o) throws SoupFormatException {
        String where = "model config";
        if (o == null) {
            throw new SoupFormatException("manifest has no model config");
        }
        StrictJson.onlyKeys(o, MODEL_KEYS, where);
        try {
            ModelConfig c = ModelConfig.builder()
                    .vocabSize(StrictJson.integer(o, "vocabSize", 1, MAX_VOCAB, where))
                    .layers(StrictJson.integer(o, "layers", 1, MAX_LAYERS, where))
                    .dModel(StrictJson.integer(o, "dModel", 1, MAX_WIDTH, where))
                    .heads(StrictJson.integer(o, "heads", 1, MAX_WIDTH, where))
                    .mlpRatio(StrictJson.integer(o, "mlpRatio", 1, MAX_MLP_RATIO, where))
                    .contextLength(StrictJson.integer(o, "contextLength", 1, MAX_CONTEXT, where))
                    .bias(StrictJson.bool(o, "bias", where))
                    .build();
            if (o.has("parameterCount")
                    && StrictJson.longValue(o, "parameterCount", 0, Long.MAX_VALUE, where) != c.parameterCount()) {
                throw new SoupFormatException(where + ": 'parameterCount' " + o.get("parameterCount")
                        + " does not match the sizes, which give " + c.parameterCount());
            }
            return c;
        } catch (IllegalArgumentException e) {
            throw new SoupFormatException("manifest has an invalid model config: " + e.getMessage(), e);
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
                rules.add(new ExpertRanks.Rule(
                        j.get("pattern").getAsString(),
                        StrictJson.integer(j, "rank", 0, Integer.MAX_VALUE, "an expert rank rule")));
            }
            return ExpertRanks.of(StrictJson.integer(o, "default", 0, Integer.MAX_VALUE, "the expert ranks"), rules);
        } catch (RuntimeException e) {
            throw new SoupFormatException("manifest has an invalid expert-rank config: " + o, e);
        }
    }

    /** A router config as a manifest stores it. */
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

    private static final Set<String> ROUTER_KEYS = Set.of("hidden", "depth", "output", "outputInitScale");

    /** Reads a router config strictly. */
    public static RouterConfig router(JsonObject o) throws SoupFormatException {
        String where = "router config";
        if (o == null) {
            throw new SoupFormatException("manifest has no router config");
        }
        StrictJson.onlyKeys(o, ROUTER_KEYS, where);
        try {
            RouterConfig c = RouterConfig.of(
                    StrictJson.integer(o, "hidden", 1, MAX_WIDTH, where),
                    StrictJson.integer(o, "depth", 1, MAX_ROUTER_DEPTH, where),
                    RouterConfig.Output.valueOf(StrictJson.string(o, "output", where)));
            // Absent in manifests written before the option existed: the default scale.
            return o.has("outputInitScale")
                    ? c.withOutputInitScale(StrictJson.real(o, "outputInitScale", 0, 1e6, where))
                    : c;
        } catch (IllegalArgumentException e) {
            throw new SoupFormatException("manifest has an invalid router config: " + e.getMessage(), e);
        }
    }

    private static final Set<String> SOUP_KEYS =
            Set.of("model", "domains", "experts", "expertRanks", "router", "expertInit", "seed");
    public static final int MAX_DOMAINS = 1 << 20;
    public static final int MAX_EXPERTS = 1 << 16;

    /** A soup's config as its manifest stores it. */
    public static JsonObject soup(SoupConfig config) {
        JsonObject c = new JsonObject();
        c.add("model", model(config.model()));
        c.addProperty("domains", config.numDomains());
        c.addProperty("experts", config.experts());
        c.add("expertRanks", expertRanks(config.expertRanks()));
        c.add("router", router(config.router()));
        c.addProperty("expertInit", config.expertInit().name());
        c.addProperty("seed", config.seed());
        return c;
    }

    /**
     * Reads a soup's config strictly: no unknown keys, every size bounded, integers exact. Sizes
     * are only read here: nothing is built from them.
     */
    public static SoupConfig soup(JsonObject c, String where) throws SoupFormatException {
        StrictJson.onlyKeys(c, SOUP_KEYS, where);
        try {
            return SoupConfig.builder()
                    .model(model(StrictJson.object(c, "model", where)))
                    .domains(StrictJson.integer(c, "domains", 1, MAX_DOMAINS, where))
                    .experts(StrictJson.integer(c, "experts", 0, MAX_EXPERTS, where))
                    .expertRanks(expertRanks(c.has("expertRanks") ? c.getAsJsonObject("expertRanks") : null))
                    .router(router(StrictJson.object(c, "router", where)))
                    .expertInit(ExpertInit.valueOf(StrictJson.string(c, "expertInit", where)))
                    .seed(StrictJson.longValue(c, "seed", Long.MIN_VALUE, Long.MAX_VALUE, where))
                    .build();
        } catch (RuntimeException e) {
            throw new SoupFormatException(where + ": " + e.getMessage(), e);
        }
    }
}
