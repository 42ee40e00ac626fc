package org.soupofexperts.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.batch.MetaDistribution;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.config.SoupConfig;
import org.soupofexperts.core.io.internal.ArtifactDirectory;
import org.soupofexperts.core.train.CheckpointFolder;
import org.soupofexperts.core.train.CheckpointPolicy;
import org.soupofexperts.core.train.TrainingPlan;
import org.soupofexperts.data.embed.Embedder;
import org.soupofexperts.data.eval.DomainSplit;
import org.soupofexperts.data.sample.MetaDistributions;
import org.soupofexperts.data.sample.WindowSampler;
import org.soupofexperts.data.store.TokenStore;
import org.soupofexperts.data.tokenize.Tokenizer;
import org.soupofexperts.data.tokenize.Tokenizers;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code soe train}: a soup over a corpus's labelled domains or k-means clusters of its documents,
 * saved in {@code <out>/soup} with its domains' centroids and its tokenizer. Not thread-safe
 * (picocli fills it once per invocation).
 */
@Command(
        name = "train",
        footerHeading = "%nExamples:%n",
        footer = {
            "  soe train --corpus train.jsonl.gz --out run --steps 1000",
            "  soe train --corpus my.jsonl --out run-s --text-field body --domain-field source.kind --valid-fraction 0.2",
            "  soe train --corpus my-unlabelled.jsonl.gz --out run-c --unlabelled --domains clusters:16 --embedder minilm"
        },
        mixinStandardHelpOptions = true,
        showDefaultValues = true,
        description = "Train a soup on a Pile-style JSONL corpus (text field 'text', domain 'meta.pile_set_name'); "
                + "the defaults fit a laptop: about three minutes per 1,000 steps on 2 cores.")
final class Train implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    BudgetOptions budget;

    @Option(
            names = "--experts",
            defaultValue = "16",
            description = "expert banks n, at least 1 (the plain model of the same budget is 'soe baseline')")
    int experts;

    @Option(
            names = "--expert-rank",
            defaultValue = "0",
            description = "rank r of every matrix's experts, each stored as two thin factors (0 = dense)")
    int expertRank;

    @Option(
            names = "--h-per-step",
            defaultValue = "0",
            description =
                    "domain weights drawn per step, m (0 = one per sequence, the default; 1 = the paper's one per step)")
    int hPerStep;

    @Option(
            names = "--bank-moments",
            defaultValue = "FLOAT32",
            description = "precision of the experts' optimizer moments: FLOAT32 or BFLOAT16 (half the bytes;"
                    + " CPU only; see docs/performance.md)")
    TrainingPlan.MomentPrecision bankMoments;

    @Option(
            names = "--checkpoint-every",
            defaultValue = "0",
            description = "write a checkpoint into <out>/checkpoints every N steps (0: by time only)")
    int checkpointEvery;

    @Option(
            names = "--checkpoint-minutes",
            defaultValue = "10",
            description = "write a checkpoint every M minutes of training (0: by steps only)")
    double checkpointMinutes;

    @Option(names = "--resume", description = "continue from the newest checkpoint in <out>/checkpoints (same options)")
    boolean resume;

    @Option(
            names = "--embedder",
            defaultValue = "hashed",
            description = "embedder of the domain centroids that histogram, instantiate --docs, compare and serve"
                    + " use: hashed (n-grams), minilm (MiniLM on each document's first 512 characters) or"
                    + " minilm:<characters>")
    String embedder;

    @Option(
            names = "--domains",
            defaultValue = "labels",
            description = "what the soup's domains are: labels (the corpus's own) or clusters:K (k-means of"
                    + " every training document by --embedder, as the paper trains over clusters; for unlabelled"
                    + " or coarse corpora)")
    String domains;

    @Option(
            names = "--meta",
            defaultValue = "recommended",
            description = "meta-distribution of h: recommended (half natural, half one domain) or sparse:S1-S2"
                    + " (a quarter natural, else S1 to S2 domains with Dirichlet(1) weights)")
    String meta;

    /**
     * Bytes one centroid value takes in the pretty-printed manifest, an upper estimate: its line's
     * indentation, the digits of a float, a comma and a newline.
     */
    private static final int BYTES_PER_CENTROID_VALUE = 32;

    /**
     * Refuses, before any work, clusters whose centroids would not fit the soup's manifest (64 MiB):
     * the soup would train for hours and then be refused by its save.
     */
    private void checkCentroidsFit() {
        if (!domains.startsWith("clusters:")) {
            return;
        }
        long k = Long.parseLong(domains.substring("clusters:".length()));
        int dimension = Embedders.dimension(embedder);
        long room = ArtifactDirectory.MAX_MANIFEST_BYTES - (1L << 20); // the rest of the manifest
        long most = room / ((long) BYTES_PER_CENTROID_VALUE * dimension);
        if (k > most) {
            throw new IllegalArgumentException("--domains " + domains + " with --embedder " + embedder + " ("
                    + dimension + " dimensions): the soup's manifest, which carries the centroids, would pass the "
                    + (ArtifactDirectory.MAX_MANIFEST_BYTES >> 20) + " MiB a load takes; use at most " + most
                    + " clusters" + (dimension > MINILM ? ", or --embedder minilm" : ""));
        }
    }

    private static final int MINILM = 384;

    @Override
    public Integer call() throws IOException {
        try {
            return run();
        } finally {
            budget.closeTokenizer();
        }
    }

    private Integer run() throws IOException {
        Path out = budget.out;
        Path soupDir = out.resolve("soup");
        // Checked before the token store is built, which may take minutes.
        if (experts < 1 || expertRank < 0 || hPerStep < 0) {
            throw new IllegalArgumentException("--experts must be >= 1 (the plain model is 'soe baseline'), and"
                    + " --expert-rank and --h-per-step >= 0; got " + experts + ", " + expertRank + ", " + hPerStep);
        }
        budget.checkBudget();
        if (hPerStep > 0 && budget.batch % hPerStep != 0) {
            throw new IllegalArgumentException(
                    "--h-per-step must divide --batch (" + budget.batch + "), got " + hPerStep);
        }
        budget.requireWritable(soupDir, "soup", "soup");
        Function<List<String>, Embedder> centroidEmbedder = Embedders.parse(embedder);
        DomainSplit split = DomainSplit.fromSpec(domains, centroidEmbedder); // names the forms of a bad spec
        checkCentroidsFit();
        if (budget.unlabelled && !domains.startsWith("clusters:")) {
            throw new IllegalArgumentException("--unlabelled: a corpus without domain labels trains over clusters of"
                    + " its documents; add --domains clusters:K");
        }
        Function<long[], MetaDistribution> pi = MetaDistributions.fromSpec(meta);
        if (checkpointEvery < 0 || !(checkpointMinutes >= 0) || Double.isInfinite(checkpointMinutes)) {
            throw new IllegalArgumentException("--checkpoint-every and --checkpoint-minutes must be >= 0");
        }
        if (checkpointMinutes > 0 && checkpointMinutes * 60_000 < 1) {
            throw new IllegalArgumentException(
                    "--checkpoint-minutes must be 0 (none) or at least one millisecond, got " + checkpointMinutes);
        }
        Path checkpoints = out.resolve("checkpoints");
        Path resumeFrom = null;
        if (resume) {
            resumeFrom = CheckpointFolder.latest(checkpoints)
                    .orElseThrow(() -> new IllegalArgumentException(
                            "--resume: " + checkpoints + " holds no checkpoint to continue from"));
        } else if (!CheckpointFolder.list(checkpoints).isEmpty()) {
            // A new run would delete them as it writes its own: they may be all that is left of a long run.
            throw new IllegalArgumentException(checkpoints + " holds checkpoints of an earlier run: add --resume to"
                    + " continue it, or delete that folder to start over");
        }
        Progress progress = budget.progress(spec.commandLine().getErr());
        Tokenizer tok = budget.tokenizer();
        TokenStore store = budget.store(spec.commandLine().getErr());
        List<Integer> all = new ArrayList<>();
        for (int d = 0; d < store.domains().count(); d++) {
            all.add(d);
        }
        DomainSplit.Training soupDomains = split.domains(store, tok, all, budget.context, budget.seed);
        WindowSampler sampler = soupDomains.sampler();
        List<String> names = soupDomains.domains().names();
        int k = names.size();
        ModelConfig model = budget.model(tok.vocabSize());
        PrintWriter o = spec.commandLine().getOut();
        o.printf(
                "%d domains %s; base model %,d parameters; %d %s experts%n",
                k,
                names.size() <= 16 ? names : names.subList(0, 16) + " ...",
                model.parameterCount(),
                experts,
                expertRank == 0 ? "dense" : "rank-" + expertRank);
        TrainingPlan tc = TrainingPlan.builder()
                .source(sampler)
                .metaDistribution(pi.apply(sampler.domains().sizes()))
                .steps(budget.steps)
                .batchSize(budget.batch)
                .hPerStep(hPerStep)
                .bankMoments(bankMoments)
                .contextLength(budget.context)
                .learningRate(budget.lr)
                .logEvery(0)
                .seed(budget.seed)
                .checkpoints(
                        checkpointEvery == 0 && checkpointMinutes == 0
                                ? null
                                : CheckpointPolicy.builder()
                                        .directory(checkpoints)
                                        .everySteps(checkpointEvery)
                                        .interval(
                                                checkpointMinutes == 0
                                                        ? null
                                                        : Duration.ofMillis((long) (checkpointMinutes * 60_000)))
                                        .build())
                .resumeFrom(resumeFrom)
                .listener(progress::step)
                .build();
        try (SoupOfExperts soup = SoupOfExperts.create(SoupConfig.builder()
                .model(model)
                .domains(k)
                .experts(experts)
                .expertRank(expertRank)
                .seed(budget.seed)
                .build())) {
            soup.train(tc);
            progress.done();
            // The domains' centroids travel with the soup, so `soe histogram` can map text to h.
            soupDomains.assigner().withDomainNames(names).attachTo(soup);
            soup.label(Tokenizers.labels(names, tok));
            soup.save(soupDir);
            o.printf("saved %s (%,d stored parameters)%n", soupDir, soup.parameterCount());
            // The run is safe in the soup now; its checkpoints (three times the soup's size each) go.
            CheckpointFolder.deleteAll(checkpoints);
        }
        return 0;
    }
}
