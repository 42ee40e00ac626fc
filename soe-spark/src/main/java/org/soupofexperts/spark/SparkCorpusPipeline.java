package org.soupofexperts.spark;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Function;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.clustering.KMeans;
import org.apache.spark.ml.clustering.KMeansModel;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.soupofexperts.data.cluster.Centroids;
import org.soupofexperts.data.cluster.NearestCentroidAssigner;
import org.soupofexperts.data.embed.Embedder;

/**
 * The corpus pipeline on Spark, step by step: read documents, embed them on the executors (one
 * embedder per partition), cluster the embeddings with MLlib's k-means (k-means|| initialisation,
 * seeded) or take one centroid per label, assign every document to its nearest centroid with the
 * single-machine {@link NearestCentroidAssigner} (so both give the same answer), and take the
 * histogram of a specialist set (the paper's Algorithm 3). Centroids come back as soe-data's
 * {@link Centroids}, saved in the format the soup's assigner reads. Stateless and thread-safe;
 * the datasets are Spark's.
 */
public final class SparkCorpusPipeline {

    /** Columns of a document dataset: a stable id, the text, and its label (null if unlabelled). */
    public static final StructType DOCUMENTS = new StructType()
            .add("id", DataTypes.LongType, false)
            .add("text", DataTypes.StringType, false)
            .add("domain", DataTypes.StringType, true);

    /** The cluster {@link #assign} gives a document the embedder cannot read. */
    public static final int UNREADABLE = -1;

    /** Rows embedded or assigned at once in a task. */
    static final int BATCH = 1024;

    private SparkCorpusPipeline() {}

    /**
     * Reads Pile-style JSONL (plain, .gz or .zst, by Hadoop's codecs; a test reads .zst) or Parquet
     * (by the path's extension) from any Hadoop-compatible path. {@code domainField} may be a
     * nested path such as {@code meta.pile_set_name}, or null. Documents get ids in file order.
     */
    public static Dataset<Row> read(SparkSession spark, String path, String textField, String domainField) {
        boolean parquet = path.endsWith(".parquet") || path.endsWith(".parquet/");
        Dataset<Row> raw = parquet ? spark.read().parquet(path) : spark.read().json(path);
        Dataset<Row> selected = raw.select(
                functions.col(textField).cast(DataTypes.StringType).as("text"),
                domainField == null
                        ? functions.lit(null).cast(DataTypes.StringType).as("domain")
                        : functions.col(domainField).cast(DataTypes.StringType).as("domain"));
        Dataset<Row> present = selected.where(functions.col("text").isNotNull());
        JavaRDD<Row> withIds = present.toJavaRDD()
                .zipWithIndex()
                .map(t -> RowFactory.create(t._2(), t._1().getString(0), t._1().getString(1)));
        return spark.createDataFrame(withIds, DOCUMENTS);
    }

    /**
     * Adds a {@code features} vector column: each partition embeds its texts with one embedder, in
     * batches of {@value #BATCH} (a partition is never held whole). Documents the embedder cannot
     * read (blank, or blank in what it reads, such as MiniLM's opening) are left out: their
     * embedding would be arbitrary. Count them as {@code docs.count() - embedded.count()}.
     */
    public static Dataset<Row> embed(Dataset<Row> docs, EmbedderSpec embedder) {
        StructType schema = docs.schema().add("features", SQLDataTypes.VectorType(), false);
        JavaRDD<Row> rows = docs.toJavaRDD().mapPartitions(it -> {
            Embedder e = embedder.create();
            return inBatches(it, part -> {
                List<Row> readable = new ArrayList<>(part.size());
                for (Row r : part) {
                    if (readable(e, r.getString(1))) {
                        readable.add(r);
                    }
                }
                float[][] v = readable.isEmpty() ? new float[0][] : e.embed(texts(readable));
                List<Row> out = new ArrayList<>(readable.size());
                for (int i = 0; i < readable.size(); i++) {
                    Row r = readable.get(i);
                    out.add(RowFactory.create(r.get(0), r.get(1), r.get(2), Vectors.dense(toDoubles(v[i]))));
                }
                return out;
            });
        });
        return docs.sparkSession().createDataFrame(rows, schema);
    }

    /** Whether {@code e} gives {@code text} an embedding that says something about it. */
    private static boolean readable(Embedder e, String text) {
        return text != null && !text.isBlank() && e.embeds(text);
    }

    /** k centroids of the embedded documents by MLlib's k-means (k-means|| initialisation, seeded). */
    public static Centroids cluster(Dataset<Row> embedded, int k, long seed, int maxIter, String embedderId) {
        KMeansModel model = new KMeans()
                .setK(k)
                .setSeed(seed)
                .setMaxIter(maxIter)
                .setInitMode("k-means||")
                .setFeaturesCol("features")
                .fit(embedded);
        Vector[] centers = model.clusterCenters();
        float[][] c = new float[centers.length][];
        for (int i = 0; i < centers.length; i++) {
            c[i] = toFloats(centers[i].toArray());
        }
        return new Centroids(c, embedderId);
    }

    /** One centroid per label, in the order of {@code domains}: the mean embedding of its documents. */
    public static Centroids ofLabels(Dataset<Row> embedded, List<String> domains, String embedderId) {
        List<Row> means = embedded.groupBy("domain")
                .agg(org.apache.spark.ml.stat.Summarizer.mean(functions.col("features"))
                        .as("mean"))
                .collectAsList();
        float[][] c = new float[domains.size()][];
        for (Row r : means) {
            int i = domains.indexOf(r.getString(0));
            if (i >= 0) {
                c[i] = toFloats(((Vector) r.get(1)).toArray());
            }
        }
        for (int i = 0; i < c.length; i++) {
            if (c[i] == null) {
                throw new IllegalArgumentException(
                        "domain '" + domains.get(i) + "' has no documents in the corpus that the embedder can read");
            }
        }
        return new Centroids(c, embedderId);
    }

    /**
     * Adds a {@code cluster} column: each partition assigns its documents with one single-machine
     * {@link NearestCentroidAssigner} (the same code as a soup's, so the same answer), in batches
     * of {@value #BATCH}. A document the embedder cannot read (blank, or blank in what it reads)
     * gets {@value #UNREADABLE}: it says nothing about a domain.
     */
    public static Dataset<Row> assign(Dataset<Row> docs, EmbedderSpec embedder, Centroids centroids) {
        String centroidSpec = centroids.toJson();
        StructType schema = docs.schema().add("cluster", DataTypes.IntegerType, false);
        JavaRDD<Row> rows = docs.toJavaRDD().mapPartitions(it -> {
            Embedder e = embedder.create();
            NearestCentroidAssigner a = new NearestCentroidAssigner(e, Centroids.fromJson(centroidSpec), 0);
            return inBatches(it, part -> {
                List<Row> readable = new ArrayList<>(part.size());
                for (Row r : part) {
                    if (readable(e, r.getString(1))) {
                        readable.add(r);
                    }
                }
                int[] c = readable.isEmpty() ? new int[0] : a.assign(texts(readable));
                List<Row> out = new ArrayList<>(part.size());
                int next = 0;
                for (Row r : part) {
                    boolean read = next < readable.size() && readable.get(next) == r;
                    out.add(appended(r, read ? c[next++] : UNREADABLE));
                }
                return out;
            });
        });
        return docs.sparkSession().createDataFrame(rows, schema);
    }

    /**
     * Adds a {@code cluster} column to documents embedded by {@link #embed}, from their
     * {@code features}: {@link Centroids#nearest}, the code {@link NearestCentroidAssigner} runs
     * after embedding (so the same answer), without embedding the corpus a second time.
     */
    public static Dataset<Row> assignEmbedded(Dataset<Row> embedded, Centroids centroids) {
        String centroidSpec = centroids.toJson();
        int features = embedded.schema().fieldIndex("features");
        StructType schema = embedded.schema().add("cluster", DataTypes.IntegerType, false);
        JavaRDD<Row> rows = embedded.toJavaRDD().mapPartitions(it -> {
            Centroids c = Centroids.fromJson(centroidSpec);
            return inBatches(it, part -> {
                float[][] x = new float[part.size()][];
                for (int i = 0; i < x.length; i++) {
                    x[i] = toFloats(((Vector) part.get(i).get(features)).toArray());
                }
                int[] nearest = c.nearest(x);
                List<Row> out = new ArrayList<>(part.size());
                for (int i = 0; i < part.size(); i++) {
                    out.add(appended(part.get(i), nearest[i]));
                }
                return out;
            });
        });
        return embedded.sparkSession().createDataFrame(rows, schema);
    }

    private static Row appended(Row r, Object value) {
        Object[] values = new Object[r.size() + 1];
        for (int j = 0; j < r.size(); j++) {
            values[j] = r.get(j);
        }
        values[r.size()] = value;
        return RowFactory.create(values);
    }

    /**
     * The paper's Algorithm 3 at scale: the share of a specialist set's documents nearest to each
     * centroid, plus {@code smoothing} per centroid, normalised: the h to instantiate. As {@link
     * NearestCentroidAssigner#domainWeights}: documents the embedder cannot read are left out, and
     * a set that is empty or holds no readable text is refused.
     */
    public static double[] histogram(
            Dataset<Row> specialistDocs, EmbedderSpec embedder, Centroids centroids, double smoothing) {
        if (!(smoothing >= 0) || Double.isInfinite(smoothing)) {
            throw new IllegalArgumentException("smoothing must be >= 0, got " + smoothing);
        }
        long[] counts = new long[centroids.k()];
        long documents = 0;
        long counted = 0;
        for (Row r : assign(specialistDocs, embedder, centroids)
                .groupBy("cluster")
                .count()
                .collectAsList()) {
            documents += r.getLong(1);
            if (r.getInt(0) != UNREADABLE) {
                counts[r.getInt(0)] = r.getLong(1);
                counted += r.getLong(1);
            }
        }
        if (documents == 0) {
            throw new IllegalArgumentException("the specialist set is empty: give at least one document");
        }
        if (counted == 0) {
            throw new IllegalArgumentException("the specialist set holds no text: all " + documents
                    + " of its documents are empty or blank in what the embedder reads");
        }
        double[] h = new double[counts.length];
        double total = counted + counts.length * smoothing;
        for (int i = 0; i < h.length; i++) {
            h[i] = (counts[i] + smoothing) / total;
        }
        return h;
    }

    /**
     * The rows of {@code it} mapped {@value #BATCH} at a time by {@code f}, lazily: a partition is
     * never held whole, and an empty one makes no call.
     */
    private static Iterator<Row> inBatches(Iterator<Row> it, Function<List<Row>, List<Row>> f) {
        return new Iterator<>() {
            private Iterator<Row> done = Collections.emptyIterator();

            @Override
            public boolean hasNext() {
                while (!done.hasNext() && it.hasNext()) {
                    List<Row> batch = new ArrayList<>(BATCH);
                    while (batch.size() < BATCH && it.hasNext()) {
                        batch.add(it.next());
                    }
                    done = f.apply(batch).iterator();
                }
                return done.hasNext();
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return done.next();
            }
        };
    }

    private static List<String> texts(List<Row> rows) {
        List<String> t = new ArrayList<>(rows.size());
        for (Row r : rows) {
            t.add(r.getString(1));
        }
        return t;
    }

    private static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    private static float[] toFloats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }
}
