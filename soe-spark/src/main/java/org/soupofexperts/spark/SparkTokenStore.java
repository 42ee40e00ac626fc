package org.soupofexperts.spark;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.soupofexperts.data.store.ShardWriter;
import org.soupofexperts.data.store.ShardedStore;
import org.soupofexperts.data.store.TokenShard;
import org.soupofexperts.data.store.TokenStore;
import org.soupofexperts.data.tokenize.Tokenizer;

/**
 * Writes assigned documents as a token store in shards, on the executors: the documents are
 * range-partitioned by (cluster, id), so each task holds whole runs of a few clusters in id
 * order, and writes one train and one valid shard per cluster it holds ({@code
 * train-c<cluster>-p<partition>.tok} and its index), each to a temporary name renamed when
 * complete. The driver collects what the tasks wrote and lists it, in cluster then partition
 * order, in a manifest that the single-machine {@link TokenStore#open} reads as one store. The
 * validation split holds out the documents a single-machine build would ({@link
 * TokenStore#heldOut}). Stateless and thread-safe.
 */
public final class SparkTokenStore {

    private SparkTokenStore() {}

    /**
     * What {@link #write} wrote.
     *
     * @param manifestJson the manifest's text
     * @param shards the shards it lists (train and valid, empty ones included)
     * @param documents documents written
     */
    public record Result(String manifestJson, int shards, long documents) {}

    /** What a task wrote: one shard of one cluster's train or valid split. */
    record Written(
            int cluster,
            boolean valid,
            int partition,
            String file,
            String index,
            long tokens,
            long documents,
            long bytes,
            String sha256,
            String indexSha256)
            implements Serializable {

        TokenShard shard() {
            return new TokenShard(file, index, tokens, documents, bytes, sha256, indexSha256);
        }
    }

    /**
     * Writes the store into {@code dir} (a local or Hadoop-compatible folder, created if needed)
     * from a dataset with columns {@code id} (long), {@code text} and {@code cluster} (int, the
     * index into {@code domainNames}).
     *
     * @param partitions tasks (and so shards per large cluster); at least 1
     */
    public static Result write(
            Dataset<Row> assigned,
            String dir,
            TokenizerSpec tokenizer,
            List<String> domainNames,
            double validFraction,
            long seed,
            int partitions,
            String fingerprint)
            throws IOException {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be >= 1, got " + partitions);
        }
        if (!(validFraction >= 0 && validFraction < 1)) {
            throw new IllegalArgumentException("validation fraction must be in [0, 1), got " + validFraction);
        }
        int k = domainNames.size();
        try (FileSystem fs = HadoopFiles.fileSystem(dir)) {
            fs.mkdirs(new Path(dir));
        }
        List<Written> written = assigned.select("id", "text", "cluster")
                .repartitionByRange(partitions, functions.col("cluster"), functions.col("id"))
                .sortWithinPartitions("cluster", "id")
                .toJavaRDD()
                .mapPartitions(rows -> writePartition(rows, dir, tokenizer, k, validFraction, seed))
                .collect();
        List<Written> ordered = new ArrayList<>(written);
        ordered.sort(Comparator.comparingInt(Written::cluster).thenComparingInt(Written::partition));
        Tokenizer tok = tokenizer.create();
        try {
            ShardedStore.Builder b =
                    ShardedStore.builder(tok).validation(validFraction, seed).fingerprint(fingerprint);
            for (int c = 0; c < k; c++) {
                List<TokenShard> train = new ArrayList<>();
                List<TokenShard> valid = new ArrayList<>();
                for (Written w : ordered) {
                    if (w.cluster() == c) {
                        (w.valid() ? valid : train).add(w.shard());
                    }
                }
                b.domain(domainNames.get(c), train, valid);
            }
            String json = b.toJson();
            try (FileSystem fs = HadoopFiles.fileSystem(dir)) {
                HadoopFiles.writeAtomically(fs, new Path(dir, "manifest.json"), json.getBytes(StandardCharsets.UTF_8));
            }
            return new Result(
                    json,
                    ordered.size(),
                    ordered.stream().mapToLong(Written::documents).sum());
        } finally {
            close(tok);
        }
    }

    /** One task: a train and a valid shard per cluster run of the (cluster, id)-sorted partition. */
    private static Iterator<Written> writePartition(
            Iterator<Row> rows, String dir, TokenizerSpec spec, int k, double validFraction, long seed)
            throws IOException {
        Tokenizer tok = spec.create();
        try (FileSystem fs = HadoopFiles.fileSystem(dir)) {
            return writeShards(rows, fs, dir, tok, k, validFraction, seed).iterator();
        } finally {
            close(tok);
        }
    }

    private static List<Written> writeShards(
            Iterator<Row> rows, FileSystem fs, String dir, Tokenizer tok, int k, double validFraction, long seed)
            throws IOException {
        int partition = TaskContext.getPartitionId();
        List<Written> out = new ArrayList<>();
        Pending[] open = null;
        try {
            int current = -1;
            while (rows.hasNext()) {
                Row r = rows.next();
                int cluster = r.getInt(2);
                if (cluster < 0 || cluster >= k) {
                    throw new IllegalArgumentException(
                            "document " + r.getLong(0) + " has cluster " + cluster + " outside [0, " + k + ")");
                }
                if (cluster != current) {
                    finish(open, out);
                    open = null;
                    current = cluster;
                    open = new Pending[] {
                        Pending.open(fs, dir, "train-c" + cluster + "-p" + partition, cluster, false, partition, tok),
                        Pending.open(fs, dir, "valid-c" + cluster + "-p" + partition, cluster, true, partition, tok)
                    };
                }
                String text = r.getString(1);
                open[TokenStore.heldOut(text, validFraction, seed) ? 1 : 0].writer.add(text);
            }
            finish(open, out);
            open = null;
        } finally {
            if (open != null) { // a failure: no half-written shard stays behind
                for (Pending p : open) {
                    p.abort();
                }
            }
        }
        return out;
    }

    private static void finish(Pending[] open, List<Written> out) throws IOException {
        if (open != null) {
            for (Pending p : open) {
                out.add(p.finish());
            }
        }
    }

    /** A shard being written under temporary names, renamed to its own when finished. */
    private static final class Pending {
        final FileSystem fs;
        final Path tok;
        final Path idx;
        final Path tmpTok;
        final Path tmpIdx;
        final int cluster;
        final boolean valid;
        final int partition;
        final ShardWriter writer;

        private Pending(FileSystem fs, String dir, String name, int cluster, boolean valid, int partition, Tokenizer t)
                throws IOException {
            this.fs = fs;
            this.cluster = cluster;
            this.valid = valid;
            this.partition = partition;
            String attempt = UUID.randomUUID().toString();
            tok = new Path(dir, name + ".tok");
            idx = new Path(dir, name + ".idx");
            tmpTok = new Path(dir, "." + name + ".tok.tmp-" + attempt);
            tmpIdx = new Path(dir, "." + name + ".idx.tmp-" + attempt);
            OutputStream a = fs.create(tmpTok, true);
            OutputStream b = fs.create(tmpIdx, true);
            writer = new ShardWriter(tok.getName(), a, idx.getName(), b, t);
        }

        static Pending open(
                FileSystem fs, String dir, String name, int cluster, boolean valid, int partition, Tokenizer t)
                throws IOException {
            return new Pending(fs, dir, name, cluster, valid, partition, t);
        }

        void abort() {
            try {
                writer.close();
                fs.delete(tmpTok, false);
                fs.delete(tmpIdx, false);
            } catch (IOException e) {
                // the task fails with its own error; a leftover hidden .tmp file is harmless
            }
        }

        Written finish() throws IOException {
            TokenShard s = writer.finish();
            // A retried or speculative attempt writes the same bytes: whichever rename lands last is equal.
            HadoopFiles.replace(fs, tmpTok, tok);
            HadoopFiles.replace(fs, tmpIdx, idx);
            return new Written(
                    cluster,
                    valid,
                    partition,
                    s.file(),
                    s.index(),
                    s.tokens(),
                    s.documents(),
                    s.bytes(),
                    s.sha256(),
                    s.indexSha256());
        }
    }

    private static void close(Tokenizer tok) {
        if (tok instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                throw new UncheckedIOException(new IOException("cannot close the tokenizer", e));
            }
        }
    }
}
