package org.soupofexperts.examples.experiment;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.util.Arrays;
import org.soupofexperts.core.DenseModel;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.Specialist;
import org.soupofexperts.core.batch.MetaDistribution;
import org.soupofexperts.core.config.DomainWeights;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.train.TrainingReport;
import org.soupofexperts.data.eval.Evaluation;
import org.soupofexperts.data.sample.MetaDistributions;

/** The measurements every soup of an experiment gets, as JSON. */
public final class SoupMeasures {

    private static final Gson GSON =
            new GsonBuilder().serializeSpecialFloatingPointValues().create();

    private SoupMeasures() {}

    /**
     * The paper's meta-distribution family: with probability {@code naturalShare} the natural
     * mixture, otherwise {@code support} random domains with Dirichlet({@code beta}) weights.
     */
    public static MetaDistribution meta(ExperimentData data, int support, double beta, double naturalShare) {
        MetaDistribution sparse = MetaDistributions.sparse(data.k, Math.min(support, data.k), beta);
        return naturalShare == 0
                ? sparse
                : MetaDistributions.mixture(MetaDistributions.fixed(data.natural), sparse, naturalShare);
    }

    /**
     * Specialized loss per domain (h from its specialist set's histogram; with {@code oneHot}
     * also at one-hot h), the generic loss at the natural mixture, and the time of one
     * instantiation (median over the domains' specialists), losses in bits per byte on the held-out split.
     */
    public static JsonObject measure(
            SoupOfExperts soup, ExperimentData data, int context, int windows, boolean oneHot) {
        JsonObject o = new JsonObject();
        double[] hist = new double[data.k];
        double[] hot = new double[data.k];
        Arrays.fill(hot, Double.NaN);
        try (Specialist s = soup.instantiate(data.natural)) {
            o.addProperty(
                    "naturalBitsPerByte",
                    Evaluation.table(s::loss, data.store, context, windows)
                            .natural()
                            .bitsPerByte());
        }
        double[] millis = new double[data.k];
        for (int d = 0; d < data.k; d++) {
            long i0 = System.nanoTime();
            try (Specialist s = soup.instantiate(data.hist[d])) {
                millis[d] = (System.nanoTime() - i0) / 1e6;
                hist[d] = Evaluation.onValidation(s::loss, data.store, d, context, windows)
                        .bitsPerByte();
            }
            if (oneHot) {
                try (Specialist s = soup.instantiate(DomainWeights.oneHot(data.k, d))) {
                    hot[d] = Evaluation.onValidation(s::loss, data.store, d, context, windows)
                            .bitsPerByte();
                }
            }
        }
        Arrays.sort(millis);
        o.addProperty("instantiateMillis", millis[millis.length / 2]);
        o.addProperty("instantiateCalls", millis.length);
        o.add("histogramBitsPerByte", GSON.toJsonTree(hist));
        o.addProperty("specializedBitsPerByte", Arrays.stream(hist).average().orElse(Double.NaN));
        if (oneHot) {
            o.add("oneHotBitsPerByte", GSON.toJsonTree(hot));
        }
        return o;
    }

    /**
     * The baseline of a soup ablation: a plain model of the same base and budget trained on the
     * fixed natural mixture, with its training time, its loss at the natural mixture, its loss per
     * domain and their mean (its "specialized" loss: one model for every domain).
     */
    public static JsonObject genericModel(
            ModelConfig model, ExperimentData data, Budget budget, int steps, int windows) {
        try (DenseModel g = DenseModel.create(model, budget.seed())) {
            TrainingReport r = g.train(budget.config(data.sampler, MetaDistributions.fixed(data.natural), steps)
                    .build());
            Evaluation.Table t = Evaluation.table(g::loss, data.store, budget.context(), windows);
            double[] perDomain = t.perDomain().stream()
                    .mapToDouble(Evaluation.Loss::bitsPerByte)
                    .toArray();
            JsonObject o = new JsonObject();
            o.addProperty("seconds", r.seconds());
            o.addProperty("lr", budget.lr());
            o.addProperty("naturalBitsPerByte", t.natural().bitsPerByte());
            o.addProperty(
                    "specializedBitsPerByte", Arrays.stream(perDomain).average().orElse(Double.NaN));
            o.add("perDomainBitsPerByte", GSON.toJsonTree(perDomain));
            return o;
        }
    }

    public static double[] doubles(JsonObject o, String key) {
        return GSON.fromJson(o.get(key), double[].class);
    }

    public static float[] floats(JsonObject o, String key) {
        return GSON.fromJson(o.get(key), float[].class);
    }

    /**
     * How much h matters to the soup: its loss on every domain at the natural mixture (to set
     * against the loss at the domain's own h), and the mean L1 distance between alpha at each
     * domain's h and alpha at the natural mixture. Added to {@code into}.
     */
    public static void specialisation(
            SoupOfExperts soup, ExperimentData data, int context, int windows, JsonObject into) {
        try (Specialist s = soup.instantiate(data.natural)) {
            Evaluation.Table t = Evaluation.table(s::loss, data.store, context, windows);
            into.add(
                    "naturalPerDomainBitsPerByte",
                    GSON.toJsonTree(t.perDomain().stream()
                            .mapToDouble(Evaluation.Loss::bitsPerByte)
                            .toArray()));
        }
        double[] a0 = soup.alpha(data.natural);
        double l1 = 0;
        for (int d = 0; d < data.k; d++) {
            double[] a = soup.alpha(data.hist[d]);
            for (int j = 0; j < a.length; j++) {
                l1 += Math.abs(a[j] - a0[j]) / data.k;
            }
        }
        into.addProperty("alphaL1FromNatural", l1);
        into.add("alphaNatural", GSON.toJsonTree(a0));
    }
}
