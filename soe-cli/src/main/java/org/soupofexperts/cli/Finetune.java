package org.soupofexperts.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.soupofexperts.core.DenseModel;
import org.soupofexperts.core.train.TrainingReport;
import org.soupofexperts.data.eval.Evaluation;
import org.soupofexperts.data.finetune.FineTuning;
import org.soupofexperts.data.tokenize.Tokenizer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code soe finetune}: continue training a saved model (a specialist or a baseline) on a few
 * documents of a domain, with early stopping on held-out documents, and save the result. Prints
 * the held-out bits per byte before and after.
 */
@Command(
        name = "finetune",
        footerHeading = "%nExamples:%n",
        footer = {"  soe finetune --model spec --train a.txt,b.txt,c.txt --out spec-ft"},
        mixinStandardHelpOptions = true,
        showDefaultValues = true,
        description = "Fine-tune a specialist or baseline on document files, with early stopping on held-out documents"
                + " (--validation, or the last tenth of --train), and save it.")
final class Finetune implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, description = "a model saved by 'soe instantiate' or 'soe baseline'")
    Path modelDir;

    @Option(
            names = "--train",
            required = true,
            split = ",",
            description = "document files to fine-tune on (UTF-8 text)")
    List<Path> train;

    @Option(
            names = "--validation",
            split = ",",
            description = "held-out document files (default: the last tenth of --train)")
    List<Path> validation;

    @Option(names = "--out", required = true, description = "folder for the fine-tuned model")
    Path out;

    @Option(names = "--steps", defaultValue = "400", description = "at most this many steps")
    int steps;

    @Option(names = "--batch", defaultValue = "8", description = "sequences per step")
    int batch;

    @Option(names = "--lr", defaultValue = "3e-4", description = "peak learning rate")
    double lr;

    @Option(names = "--patience", defaultValue = "3", description = "validations without improvement before stopping")
    int patience;

    @Option(names = "--seed", defaultValue = "1", description = "seed of the data stream")
    long seed;

    @Option(names = "--quiet", description = "no progress on stderr")
    boolean quiet;

    @Option(names = "--force", description = "replace a model already saved in --out")
    boolean force;

    @Override
    public Integer call() throws IOException {
        Inputs.Budget budget = new Inputs.Budget(); // one for both lists
        List<String> docs = Inputs.documents(train, budget); // the cheap checks first
        List<String> held = validation == null ? null : Inputs.documents(validation, budget);
        BudgetOptions.requireWritable(out, "saved model", "specialist", force);
        if (out.toAbsolutePath().normalize().equals(modelDir.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException("--out is the model's own folder; save the fine-tuned model elsewhere");
        }
        PrintWriter o = spec.commandLine().getOut();
        try (DenseModel s = DenseModel.load(modelDir);
                Inputs.RecordedTokenizer recorded = Inputs.recordedTokenizer(modelDir, s.labels())) {
            Tokenizer tok = recorded.tokenizer();
            FineTuning ft = FineTuning.builder()
                    .tokenizer(tok)
                    .documents(docs)
                    .validation(held)
                    .steps(steps)
                    .batch(batch)
                    .learningRate(lr)
                    .patience(patience)
                    .seed(seed)
                    .build();
            int context = s.config().contextLength();
            double before = Evaluation.onDocuments(s::loss, tok, ft.validation(), context)
                    .bitsPerByte();
            TrainingReport r = ft.run(s);
            double after = Evaluation.onDocuments(s::loss, tok, ft.validation(), context)
                    .bitsPerByte();
            s.save(out);
            o.printf(
                    "held-out %.4f -> %.4f bits/byte; %d steps, best at step %d%s; saved %s%n",
                    before, after, r.steps(), r.bestStep(), r.steps() < steps ? " (stopped early)" : "", out);
        }
        return 0;
    }
}
