package org.soupofexperts.cli;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.soupofexperts.data.synth.SyntheticCorpus;

/** Test fixtures of the tool: run a command in-process, write a small labelled corpus. */
final class Cli {

    private Cli() {}

    /** What a command did: its exit code and what it printed. */
    record Result(int code, String out, String err) {}

    /** Runs {@code soe args} in this JVM. */
    static Result soe(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Soe.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    /**
     * Runs {@code soe args} in this JVM and runs {@code action} once, on the command's own thread,
     * as soon as its stderr holds {@code text}: a fault placed at a point of its progress.
     */
    static Result soeThen(String text, IoAction action, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter() {
            private boolean done;

            @Override
            public void flush() {
                super.flush();
                if (!done && toString().contains(text)) {
                    done = true;
                    try {
                        action.run();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            }
        };
        int code = Soe.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    /** What {@link #soeThen} runs. */
    interface IoAction {
        void run() throws IOException;
    }

    /** {@code dir/train.jsonl}: the synthetic corpus's first documents of 80 words, domains "dom0" and "dom1". */
    static Path corpus(Path dir, SyntheticCorpus synth, int documentsPerDomain) throws IOException {
        return jsonl(dir.resolve("train.jsonl"), synth, 0, documentsPerDomain, true);
    }

    /**
     * A Pile-style JSONL file of {@code perDomain} documents of each of the corpus's first two
     * domains, from document {@code from} on, labelled "dom0" and "dom1" or not labelled at all.
     */
    static Path jsonl(Path file, SyntheticCorpus synth, long from, int perDomain, boolean labelled) throws IOException {
        List<String> lines = new ArrayList<>();
        for (int d = 0; d < 2; d++) {
            for (String text : synth.documents(d, from, perDomain, 80)) {
                JsonObject o = new JsonObject();
                o.addProperty("text", text);
                if (labelled) {
                    JsonObject meta = new JsonObject();
                    meta.addProperty("pile_set_name", "dom" + d);
                    o.add("meta", meta);
                }
                lines.add(o.toString());
            }
        }
        return Files.write(file, lines);
    }

    /** {@code command} (train or baseline) of {@code corpus} into {@code out}: a tiny model, two steps. */
    static String[] tiny(String command, Path corpus, Path out) {
        return new String[] {
            command,
            "--corpus",
            corpus.toString(),
            "--out",
            out.toString(),
            "--steps",
            "2",
            "--layers",
            "1",
            "--width",
            "32",
            "--context",
            "32"
        };
    }

    static String[] concat(String[] a, String... b) {
        String[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
