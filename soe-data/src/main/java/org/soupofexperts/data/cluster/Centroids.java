package org.soupofexperts.data.cluster;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.soupofexperts.core.internal.Djl;
import org.soupofexperts.core.io.AtomicFile;
import org.soupofexperts.core.io.SoupFormatException;
import org.soupofexperts.core.io.internal.ArtifactDirectory;
import org.soupofexperts.core.io.internal.StrictJson;
import org.soupofexperts.data.embed.Embedder;

/**
 * k domain centroids in an embedding space, with the id of the embedder they belong to.
 * Immutable and thread-safe.
 */
public final class Centroids {

    private static final Set<String> KEYS = Set.of("format", "embedder", "centroids", "names");

    private final float[][] c;
    private final String embedderId;
    private final List<String> names;

    /** Domain centroids (one row per domain) in the space of the embedder {@code embedderId}. */
    public Centroids(float[][] centroids, String embedderId) {
        if (centroids.length == 0) {
            throw new IllegalArgumentException("need at least one centroid");
        }
        int d = centroids[0].length;
        if (d == 0) {
            throw new IllegalArgumentException("centroids need at least one dimension");
        }
        for (float[] row : centroids) {
            if (row.length != d) {
                throw new IllegalArgumentException("centroids have different dimensions: " + d + " and " + row.length);
            }
            for (float v : row) {
                if (!Float.isFinite(v)) {
                    throw new IllegalArgumentException("a centroid holds the non-finite value " + v);
                }
            }
        }
        if (embedderId == null) {
            throw new IllegalArgumentException("centroids need the id of the embedder they were made with");
        }
        this.c = new float[centroids.length][];
        for (int i = 0; i < c.length; i++) {
            c[i] = centroids[i].clone();
        }
        this.embedderId = embedderId;
        this.names = List.of();
    }

    private Centroids(Centroids base, List<String> names) {
        this.c = base.c;
        this.embedderId = base.embedderId;
        this.names = names;
    }

    /**
     * These centroids with the names of their domains, in order (distinct, not blank): a soup then
     * refuses to specialize with centroids whose names are not its own domains in its order, which
     * would otherwise permute h without a word.
     */
    public Centroids withNames(List<String> domainNames) {
        if (domainNames == null || domainNames.size() != c.length) {
            throw new IllegalArgumentException("need one name per centroid (" + c.length + "), got "
                    + (domainNames == null ? "none" : domainNames.size()));
        }
        if (domainNames.stream().anyMatch(n -> n == null || n.isBlank())
                || domainNames.stream().distinct().count() != domainNames.size()) {
            throw new IllegalArgumentException("centroid names must be distinct and not blank: " + domainNames);
        }
        return new Centroids(this, List.copyOf(domainNames));
    }

    /** The domains' names in centroid order, or an empty list if they were not given. */
    public List<String> names() {
        return names;
    }

    /** Centroids of labelled data: the mean embedding of each of k labels. */
    public static Centroids ofLabels(float[][] x, int[] labels, int k, String embedderId) {
        if (x.length != labels.length) {
            throw new IllegalArgumentException(x.length + " embeddings but " + labels.length + " labels");
        }
        int d = x[0].length;
        float[][] sums = new float[k][d];
        int[] counts = new int[k];
        for (int i = 0; i < x.length; i++) {
            int l = labels[i];
            if (l < 0 || l >= k) {
                throw new IllegalArgumentException("label " + l + " out of range [0, " + k + ")");
            }
            counts[l]++;
            for (int j = 0; j < d; j++) {
                sums[l][j] += x[i][j];
            }
        }
        for (int l = 0; l < k; l++) {
            if (counts[l] == 0) {
                throw new IllegalArgumentException("label " + l + " has no examples");
            }
            for (int j = 0; j < d; j++) {
                sums[l][j] /= counts[l];
            }
        }
        return new Centroids(sums, embedderId);
    }

    /**
     * Centroids of labelled documents: domain d's centroid is the mean embedding of
     * {@code documentsPerDomain.get(d)}, each domain needing at least one document.
     */
    public static Centroids ofDomains(Embedder embedder, List<List<String>> documentsPerDomain) {
        List<String> docs = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int d = 0; d < documentsPerDomain.size(); d++) {
            if (documentsPerDomain.get(d).isEmpty()) {
                throw new IllegalArgumentException("domain " + d + " has no documents to make its centroid from");
            }
            for (String s : documentsPerDomain.get(d)) {
                docs.add(s);
                labels.add(d);
            }
        }
        return ofLabels(
                embedder.embed(docs),
                labels.stream().mapToInt(Integer::intValue).toArray(),
                documentsPerDomain.size(),
                embedder.id());
    }

    public int k() {
        return c.length;
    }

    public int dimension() {
        return c[0].length;
    }

    public String embedderId() {
        return embedderId;
    }

    /** Centroid i (a copy). */
    public float[] get(int i) {
        return c[i].clone();
    }

    /** Index of the nearest centroid of one vector (plain Java: no engine round trip). */
    public int nearest(float[] v) {
        if (v.length != dimension()) {
            throw new IllegalArgumentException(
                    "embedding has dimension " + v.length + ", the centroids " + dimension());
        }
        int best = 0;
        double bestD = Double.MAX_VALUE;
        for (int i = 0; i < c.length; i++) {
            double dist = 0;
            for (int j = 0; j < v.length; j++) {
                double t = v[j] - c[i][j];
                dist += t * t;
            }
            if (dist < bestD) {
                bestD = dist;
                best = i;
            }
        }
        return best;
    }

    /** A hash of the centroid values (for fingerprints). */
    public String fingerprint() {
        long h = 1125899906842597L;
        for (float[] row : c) {
            h = 31 * h + Arrays.hashCode(row);
        }
        return "k=" + c.length + ",d=" + dimension() + ",hash=" + Long.toHexString(h);
    }

    /** Index of the nearest centroid (Euclidean) of each row, as one matrix product. */
    public int[] nearest(float[][] x) {
        if (x.length == 0) {
            return new int[0];
        }
        if (x[0].length != dimension()) {
            throw new IllegalArgumentException(
                    "embeddings have dimension " + x[0].length + ", the centroids " + dimension());
        }
        try (NDManager m = Djl.engine().newBaseManager();
                Djl.NoGrad ng = Djl.noGrad()) {
            NDArray xs = m.create(flatten(x), new Shape(x.length, dimension()));
            NDArray cs = m.create(flatten(c), new Shape(k(), dimension()));
            return KMeans.assign(xs, cs);
        }
    }

    static float[] flatten(float[][] x) {
        int d = x[0].length;
        float[] f = new float[x.length * d];
        for (int i = 0; i < x.length; i++) {
            System.arraycopy(x[i], 0, f, i * d, d);
        }
        return f;
    }

    /** These centroids as a JSON object in text (what {@link #save} writes); {@link #fromJson} reads it. */
    public String toJson() {
        return toJsonObject().toString();
    }

    /**
     * The centroids of {@link #toJson}'s text.
     *
     * @throws IllegalArgumentException if {@code json} is not such an object, naming what is wrong
     */
    public static Centroids fromJson(String json) {
        return StrictJson.readArgument(json, "centroids", Centroids::fromJsonObject);
    }

    JsonObject toJsonObject() {
        JsonObject o = new JsonObject();
        o.addProperty("format", "soupofexperts-centroids/1");
        o.addProperty("embedder", embedderId);
        JsonArray rows = new JsonArray();
        for (float[] row : c) {
            JsonArray r = new JsonArray();
            for (float v : row) {
                r.add(v);
            }
            rows.add(r);
        }
        o.add("centroids", rows);
        if (!names.isEmpty()) {
            JsonArray n = new JsonArray();
            names.forEach(n::add);
            o.add("names", n);
        }
        return o;
    }

    /** Writes JSON atomically (temporary file, then rename). */
    public void save(Path file) throws IOException {
        AtomicFile.write(file, toJson());
    }

    /** Reads centroids saved by {@link #save}; refuses files that are not such a file. */
    public static Centroids load(Path file) throws IOException {
        if (!Files.isRegularFile(file) || Files.size(file) > ArtifactDirectory.MAX_MANIFEST_BYTES) {
            throw new SoupFormatException(file + " is not a centroids file: "
                    + (Files.isRegularFile(file)
                            ? "over " + ArtifactDirectory.MAX_MANIFEST_BYTES + " bytes"
                            : "not a regular file"));
        }
        try {
            return fromJsonObject(StrictJson.readObject(file));
        } catch (RuntimeException e) {
            throw new SoupFormatException(file + " is not a valid centroids file", e);
        }
    }

    /** Reads the form written by {@link #toJsonObject}. */
    static Centroids fromJsonObject(JsonObject o) {
        if (!o.has("format")
                || !o.get("format").isJsonPrimitive()
                || !"soupofexperts-centroids/1".equals(o.get("format").getAsString())) {
            throw new IllegalArgumentException("not a centroids JSON object (format soupofexperts-centroids/1)");
        }
        for (String key : o.keySet()) {
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException(
                        "unknown field '" + key + "' in centroids (expected only " + KEYS + ")");
            }
        }
        if (!o.has("embedder")
                || !o.get("embedder").isJsonPrimitive()
                || !o.getAsJsonPrimitive("embedder").isString()) {
            throw new IllegalArgumentException("centroids need 'embedder', a string");
        }
        JsonArray rows = o.getAsJsonArray("centroids");
        float[][] c = new float[rows.size()][];
        for (int i = 0; i < c.length; i++) {
            JsonArray r = rows.get(i).getAsJsonArray();
            c[i] = new float[r.size()];
            for (int j = 0; j < c[i].length; j++) {
                if (!r.get(j).isJsonPrimitive()
                        || !r.get(j).getAsJsonPrimitive().isNumber()) {
                    throw new IllegalArgumentException("centroid " + i + " holds " + r.get(j) + ", not a number");
                }
                c[i][j] = r.get(j).getAsFloat();
            }
        }
        Centroids read = new Centroids(c, o.get("embedder").getAsString());
        if (!o.has("names")) {
            return read;
        }
        if (!o.get("names").isJsonArray()) {
            throw new IllegalArgumentException("centroids' 'names' must be an array of strings");
        }
        List<String> names = new ArrayList<>();
        for (var e : o.getAsJsonArray("names")) {
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
                throw new IllegalArgumentException("centroids' 'names' holds " + e + ", not a string");
            }
            names.add(e.getAsString());
        }
        return read.withNames(names);
    }
}
