package org.soupofexperts.spark;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.apache.spark.sql.SparkSession;
import org.soupofexperts.data.synth.SyntheticCorpus;

/** A local[2] Spark session and a small labelled JSONL corpus, shared by the Spark tests. */
final class SparkFixtures {

    private SparkFixtures() {}

    static SparkSession session() {
        return SparkSession.builder()
                .master("local[2]")
                .appName("soe-spark-test")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .getOrCreate();
    }

    /** {@code perDomain} documents of 60 words per domain, interleaved as a shuffled corpus would be, gzipped. */
    static Path corpus(Path file, SyntheticCorpus synth, int perDomain) throws IOException {
        return corpus(file, synth, perDomain, GZIPOutputStream::new);
    }

    /** The same corpus through any compressing stream. */
    static Path corpus(Path file, SyntheticCorpus synth, int perDomain, Compressor compressor) throws IOException {
        try (Writer w = new OutputStreamWriter(compressor.wrap(Files.newOutputStream(file)), StandardCharsets.UTF_8)) {
            for (int i = 0; i < perDomain; i++) {
                for (int d = 0; d < synth.numDomains(); d++) {
                    JsonObject meta = new JsonObject();
                    meta.addProperty("pile_set_name", synth.domainNames().get(d));
                    JsonObject o = new JsonObject();
                    o.addProperty("text", synth.document(d, i, 60));
                    o.add("meta", meta);
                    w.write(o + "\n");
                }
            }
        }
        return file;
    }

    /** A compressing output stream. */
    interface Compressor {
        OutputStream wrap(OutputStream out) throws IOException;
    }
}
