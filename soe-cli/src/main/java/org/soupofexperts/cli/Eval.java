package org.soupofexperts.cli;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.soupofexperts.core.DenseModel;
import org.soupofexperts.data.eval.Evaluation;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code soe eval}: a model's bits per byte on documents, read with the tokenizer it records. */
@Command(
        name = "eval",
        footerHeading = "%nExamples:%n",
        footer = {"  soe eval --model spec held-out.txt"},
        mixinStandardHelpOptions = true,
        showDefaultValues = true,
        description = "Bits per byte of a specialist on text files, or on the documents of JSONL files"
                + " (.jsonl, .jsonl.gz, .jsonl.zst: each line's --text-field).")
final class Eval implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, description = "a specialist saved by 'soe instantiate'")
    Path modelDir;

    @Option(names = "--text-field", defaultValue = "text", description = "the text field of JSONL lines")
    String textField;

    @Option(
            names = "--max-documents",
            defaultValue = "100000",
            description = "read at most this many documents from JSONL files (memory holds them all)")
    int maxDocuments;

    @Option(names = "--json", description = "print {\"bitsPerByte\": ..., \"natsPerToken\": ..., \"tokens\": ...}")
    boolean json;

    @Parameters(arity = "1..*", paramLabel = "FILE")
    List<Path> files;

    @Override
    public Integer call() throws IOException {
        if (maxDocuments < 1) {
            throw new IllegalArgumentException("--max-documents must be >= 1");
        }
        List<String> texts = new ArrayList<>(); // the cheap checks first
        Inputs.Budget budget = new Inputs.Budget(); // one for all the files
        for (Path f : files) {
            if (Inputs.isJsonl(f)) {
                texts.addAll(Inputs.jsonlDocuments(f, textField, maxDocuments - texts.size(), budget));
            } else {
                texts.addAll(Inputs.documents(List.of(f), budget));
            }
        }
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("no documents in " + files);
        }
        try (DenseModel s = DenseModel.load(modelDir);
                Inputs.RecordedTokenizer tok = Inputs.recordedTokenizer(modelDir, s.labels())) {
            Evaluation.Loss l = Evaluation.onDocuments(
                    s::loss, tok.tokenizer(), texts, s.config().contextLength());
            if (!Double.isFinite(l.natsPerToken())) {
                throw new IllegalArgumentException(modelDir + " gives a non-finite loss (" + l.natsPerToken()
                        + ") on these documents: its weights are damaged or too large for float32");
            }
            if (json) {
                JsonObject o = new JsonObject();
                o.addProperty("bitsPerByte", l.bitsPerByte());
                o.addProperty("natsPerToken", l.natsPerToken());
                o.addProperty("tokens", l.tokens());
                o.addProperty("documents", texts.size());
                spec.commandLine().getOut().println(o);
            } else {
                spec.commandLine()
                        .getOut()
                        .printf(
                                "%.4f bits/byte (%.4f nats/token) over %,d predicted tokens%n",
                                l.bitsPerByte(), l.natsPerToken(), l.tokens());
            }
        }
        return 0;
    }
}
