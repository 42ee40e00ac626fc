package org.soupofexperts.core.train;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

/**
 * A training configuration as structured JSON, as recorded in every artefact's run history: every
 * setting that changes the parameters a run makes, by name. Listeners, the checkpoint folder and the
 * resume path are left out (they do not change the result, and a path would name the machine).
 */
final class TrainingConfigJson {

    private TrainingConfigJson() {}

    static JsonObject of(TrainingPlan c) {
        JsonObject o = new JsonObject();
        o.addProperty("steps", c.steps());
        o.addProperty("batchSize", c.batchSize());
        o.addProperty("hPerStep", c.soupStep().hPerStep());
        o.addProperty("contextLength", c.contextLength());
        o.add("schedule", schedule(c));
        o.add("optimizer", optimizer(c));
        o.addProperty("expertUpdate", c.soupStep().expertUpdate().name());
        o.addProperty("bankMoments", c.soupStep().bankMoments().name());
        o.addProperty("skipIdleExperts", c.soupStep().skipIdleExperts());
        o.addProperty("stepAlgorithm", c.soupStep().algorithm().name());
        o.addProperty("fusedUpdate", c.optimizer().fused());
        o.addProperty("metaDistribution", c.metaDistribution().describe());
        o.addProperty("data", c.source().fingerprint());
        if (c.seed() != null) {
            o.addProperty("seed", c.seed());
        }
        if (c.earlyStopping() != null) {
            EarlyStopping e = c.earlyStopping();
            JsonObject es = new JsonObject();
            es.addProperty("every", e.every());
            es.addProperty("patience", e.patience());
            es.addProperty("minDelta", e.minDelta());
            es.addProperty("restoreBest", e.restoreBest());
            es.addProperty(
                    "validationSequences",
                    e.validation().stream().mapToInt(b -> b.batchSize()).sum());
            es.addProperty("validationLength", e.length());
            o.add("earlyStopping", es);
        }
        JsonArray devices = new JsonArray();
        c.devices().forEach(d -> devices.add(d.toString()));
        o.add("devices", devices);
        return o;
    }

    private static JsonObject schedule(TrainingPlan c) {
        JsonObject s = new JsonObject();
        s.addProperty("learningRate", c.schedule().learningRate());
        s.addProperty("minLearningRateRatio", c.schedule().minLearningRateRatio());
        s.addProperty("warmupSteps", c.schedule().warmupSteps());
        return s;
    }

    private static JsonObject optimizer(TrainingPlan c) {
        JsonObject s = new JsonObject();
        s.addProperty("beta1", c.optimizer().beta1());
        s.addProperty("beta2", c.optimizer().beta2());
        s.addProperty("epsilon", c.optimizer().epsilon());
        s.addProperty("gradClip", c.optimizer().gradClip());
        // The values in force for every group (as set, or the default), not only those set.
        JsonObject lrScale = new JsonObject();
        JsonObject weightDecay = new JsonObject();
        for (ParamGroup g : ParamGroup.values()) {
            lrScale.addProperty(g.name(), c.optimizer().learningRateScale(g));
            weightDecay.addProperty(g.name(), c.optimizer().weightDecay(g));
        }
        s.add("lrScale", lrScale);
        s.add("weightDecay", weightDecay);
        return s;
    }
}
