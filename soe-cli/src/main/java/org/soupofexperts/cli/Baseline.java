package org.soupofexperts.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.soupofexperts.core.DenseModel;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.train.TrainingPlan;
import org.soupofexperts.core.train.TrainingReport;
import org.soupofexperts.data.sample.MetaDistributions;
import org.soupofexperts.data.sample.WindowSampler;
import org.soupofexperts.data.store.TokenStore;
import org.soupofexperts.data.tokenize.Tokenizer;
import org.soupofexperts.data.tokenize.Tokenizers;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

/**
 * {@code soe baseline}: the generic model a soup's specialists must beat, trained on the natural
 * mixture of the same corpus with the same base model, steps, batch, learning rate and seed as
 * {@code soe train} takes (the same options), saved as a model in {@code <out>/baseline} that
 * {@code eval}, {@code generate}, {@code finetune} and {@code compare} read.
 */
@Command(
        name = "baseline",
        footerHeading = "%nExamples:%n",
        footer = {"  soe baseline --corpus train.jsonl.gz --out run --steps 1000   (the options of the soup's train)"},
        mixinStandardHelpOptions = true,
        showDefaultValues = true,
        description = "Train the generic model at the same budget as 'soe train' (same options, natural mixture of the"
                + " domains), saved in <out>/baseline; compare a soup's specialists with it by 'soe compare'.")
final class Baseline implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    BudgetOptions budget;

    @Override
    public Integer call() throws IOException {
        try {
            return run();
        } finally {
            budget.closeTokenizer();
        }
    }

    private Integer run() throws IOException {
        Path dir = budget.out.resolve("baseline");
        budget.checkBudget();
        budget.requireWritable(dir, "baseline", "specialist");
        Progress progress = budget.progress(spec.commandLine().getErr());
        Tokenizer tok = budget.tokenizer();
        TokenStore store = budget.store(spec.commandLine().getErr());
        WindowSampler sampler = store.trainSampler();
        ModelConfig model = budget.model(tok.vocabSize());
        PrintWriter o = spec.commandLine().getOut();
        o.printf(
                "%d domains %s; generic model %,d parameters at lr %s%n",
                store.domains().count(), store.domains().names(), model.parameterCount(), budget.lr);
        TrainingPlan tc = TrainingPlan.builder()
                .source(sampler)
                .metaDistribution(MetaDistributions.natural(sampler.domains().sizes()))
                .steps(budget.steps)
                .batchSize(budget.batch)
                .contextLength(budget.context)
                .learningRate(budget.lr)
                .logEvery(0)
                .seed(budget.seed)
                .listener(progress::step)
                .build();
        try (DenseModel generic = DenseModel.create(model, budget.seed)) {
            TrainingReport r = generic.train(tc);
            progress.done();
            generic.label(Tokenizers.labels(store.domains().names(), tok));
            generic.save(dir);
            o.printf(
                    "saved %s (%,d parameters; final training loss %.4f nats/token, %.0f s)%n",
                    dir, generic.parameterCount(), r.finalLoss(0.1), r.seconds());
        }
        return 0;
    }
}
