package org.soupofexperts.core;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import org.soupofexperts.core.io.SoupFormatException;
import org.soupofexperts.core.nn.GptModel;

/**
 * A dense model instantiated from a soup by {@link SoupOfExperts#instantiate}: a {@link
 * DenseModel} that also knows the domain weights h and the expert coefficients alpha it was
 * merged at, and the soup it came from (in its {@link #provenance()}).
 *
 * <p>Thread-safety: as {@link DenseModel}.
 */
public final class Specialist extends DenseModel {

    Specialist(NDManager manager, GptModel model, JsonObject provenance, Labels labels) {
        super(manager, model, provenance, labels);
    }

    /**
     * A specialist merged from a soup: its provenance names h, alpha, whether alpha was given
     * rather than router(h) ({@code alphaGiven}), and the soup. {@code given} is null for
     * router(h), one row for an alpha given directly, or one row per layer group (then {@code
     * alpha} is the rows one after another and the provenance records the rows as {@code
     * layerAlpha}, and their mean as alpha).
     */
    static Specialist instantiated(
            NDManager manager,
            GptModel model,
            double[] h,
            double[] alpha,
            double[][] given,
            JsonObject soup,
            Labels labels) {
        JsonObject prov = new JsonObject();
        prov.add("h", array(h));
        if (given != null && given.length > 1) {
            double[] mean = new double[given[0].length];
            JsonArray rows = new JsonArray();
            for (double[] row : given) {
                rows.add(array(row));
                for (int j = 0; j < mean.length; j++) {
                    mean[j] += row[j] / given.length;
                }
            }
            prov.add("alpha", array(mean));
            prov.add("layerAlpha", rows);
        } else {
            prov.add("alpha", array(alpha));
        }
        if (given != null) {
            prov.addProperty("alphaGiven", true);
        }
        prov.add("soup", soup);
        return new Specialist(manager, model, prov, labels);
    }

    private static JsonArray array(double[] v) {
        JsonArray a = new JsonArray();
        for (double x : v) {
            a.add(x);
        }
        return a;
    }

    /** The domain weights it was instantiated for (empty if unknown). */
    public double[] domainWeights() {
        return provenance().domainWeights();
    }

    /**
     * The expert coefficients alpha it was built with: router(h), or coefficients given directly
     * ({@link Provenance#alphaGiven()}); for a layer-wise alpha the mean of its rows ({@link
     * Provenance#layerAlpha()} holds them).
     */
    public double[] alpha() {
        return provenance().alpha();
    }

    /**
     * Loads a specialist saved by {@link #save}; refuses a dense model that was trained directly
     * (load those with {@link DenseModel#load(Path)}).
     */
    public static Specialist load(Path dir) throws IOException {
        return load(dir, null);
    }

    /** As {@link #load(Path)}, onto {@code device} (null: the engine's default). */
    public static Specialist load(Path dir, Device device) throws IOException {
        DenseModel m = DenseModel.load(dir, device);
        if (m instanceof Specialist s) {
            return s;
        }
        String from = m.provenance().createdFrom().orElse("no soup");
        m.close();
        throw new SoupFormatException(dir + " holds a dense model trained directly (from " + from
                + "), not a specialist instantiated from a soup: load it with DenseModel.load");
    }
}
