package org.soupofexperts.cli;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import org.soupofexperts.core.DenseModel;
import org.soupofexperts.core.Generation;
import org.soupofexperts.core.Labels;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.Specialist;
import org.soupofexperts.core.batch.MetaDistribution;
import org.soupofexperts.core.config.DomainWeights;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.config.SoupConfig;
import org.soupofexperts.core.io.ArtifactConflictException;
import org.soupofexperts.core.io.BoundedRead;
import org.soupofexperts.core.io.SoupFormatException;
import org.soupofexperts.core.io.Version;
import org.soupofexperts.core.train.CheckpointPolicy;
import org.soupofexperts.core.train.Checkpoints;
import org.soupofexperts.core.train.SoupTrainingConfig;
import org.soupofexperts.data.cluster.NearestCentroidAssigner;
import org.soupofexperts.data.corpus.JsonlCorpus;
import org.soupofexperts.data.embed.Embedder;
import org.soupofexperts.data.eval.DomainSplit;
import org.soupofexperts.data.eval.Evaluation;
import org.soupofexperts.data.generate.TextGenerator;
import org.soupofexperts.data.sample.MetaDistributions;
import org.soupofexperts.data.sample.WindowSampler;
import org.soupofexperts.data.store.TokenStore;
import org.soupofexperts.data.tokenize.Tokenizer;
import org.soupofexperts.data.tokenize.Tokenizers;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The {@code soe} command-line tool: train a soup on a Pile-style JSONL corpus, turn specialist
 * documents into domain weights h, instantiate a specialist, evaluate a model on text, generate
 * text. Exit codes: 0 done, 1 bad input (the message says what to fix), 2 failure.
 */
@Command(
        name = "soe",
        mixinStandardHelpOptions = true,
        versionProvider = Soe.VersionProvider.class,
        description =
                "Soup-of-Experts: train one soup, then make a specialist language model for any domain mix in milliseconds."
                        + " Errors are one line; add --verbose anywhere for the stack trace.",
        subcommands = {
            Soe.Train.class,
            Baseline.class,
            Soe.Histogram.class,
            Soe.Instantiate.class,
            Soe.Eval.class,
            Soe.Generate.class,
            Finetune.class,
            Compare.class,
            Export.class,
            Serve.class,
            Info.class
        })
public final class Soe implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    /** Runs the {@code soe} tool and exits with its code. */
    public static void main(String[] args) {
        // The tool, as an application, keeps DJL offline: LibTorch comes from its own jar.
        if (System.getProperty("ai.djl.offline") == null && System.getenv("DJL_OFFLINE") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the tool with the given streams; returns the exit code. */
    static int run(String[] args, PrintWriter out, PrintWriter err) {
        boolean verbose = Arrays.asList(args).contains("--verbose");
        String[] rest = Arrays.stream(args).filter(a -> !a.equals("--verbose")).toArray(String[]::new);
        CommandLine cl = new CommandLine(new Soe())
                .setOut(out)
                .setErr(err)
                .setExecutionExceptionHandler((e, cmd, parsed) -> fail(e, cmd.getCommandName(), cmd.getErr(), verbose));
        try {
            return cl.execute(rest);
        } catch (Error e) {
            // OutOfMemoryError, StackOverflowError: still one line, and the exit code of a failure.
            return fail(e, "soe", err, verbose);
        }
    }

    /**
     * One line naming the problem (the exception's type when it has no message); the stack
     * trace only with --verbose. Exit 1 for bad input, 2 for failures.
     */
    private static int fail(Throwable e, String command, PrintWriter err, boolean verbose) {
        // A refusal wrapped to cross an interface without checked exceptions is still a refusal.
        Throwable cause = e instanceof UncheckedIOException && e.getCause() != null ? e.getCause() : e;
        boolean userError = cause instanceof IllegalArgumentException
                || cause instanceof NotDirectoryException
                || cause instanceof SoupFormatException
                || cause instanceof ArtifactConflictException
                || cause instanceof NoSuchFileException;
        String message = e instanceof NoSuchFileException
                ? "no such file: " + e.getMessage()
                : e.getMessage() == null || e.getMessage().isBlank()
                        ? e.getClass().getSimpleName()
                        : e.getMessage();
        if (e instanceof OutOfMemoryError) {
            message = "out of memory (" + message + "); give the JVM more heap with -Xmx or use a smaller model";
        } else if (e instanceof StackOverflowError) {
            message = "stack overflow; the input is nested too deeply";
        }
        err.println((command.equals("soe") ? "soe" : "soe " + command) + ": " + message.replace('\n', ' ')
                + (verbose ? "" : " (--verbose for details)"));
        if (verbose) {
            e.printStackTrace(err);
        }
        err.flush();
        return userError ? 1 : 2;
    }

    /** No command: the usage, on stderr, and exit code 2 (a script that forgot the command fails). */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return 2;
    }

    /** The library version, for --version. */
    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"soe " + Version.get()};
        }
    }

    @Command(
            name = "train",
            footerHeading = "%nExamples:%n",
            footer = {
                "  soe train --corpus train.jsonl.gz --out run --steps 1000",
                "  soe train --corpus my.jsonl --out run-s --text-field body --domain-field source.kind --valid-fraction 0.2",
                "  soe train --corpus my-unlabelled.jsonl.gz --out run-c --domains clusters:64 --embedder minilm --meta sparse:1-4"
            },
            mixinStandardHelpOptions = true,
            showDefaultValues = true,
            description = "Train a soup on a Pile-style JSONL corpus (text field 'text', domain 'meta.pile_set_name'); "
                    + "the defaults fit a laptop: about three minutes per 1,000 steps on 2 cores.")
    static final class Train implements Callable<Integer> {
        @Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Mixin
        BudgetOptions budget;

        @Option(names = "--experts", defaultValue = "16", description = "expert banks n (0: a plain model)")
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
        SoupTrainingConfig.MomentPrecision bankMoments;

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

        @Option(
                names = "--resume",
                description = "continue from the newest checkpoint in <out>/checkpoints (same options)")
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

        @Override
        public Integer call() throws IOException {
            Path out = budget.out;
            Path soupDir = out.resolve("soup");
            // Checked before the token store is built, which may take minutes.
            if (experts < 0 || expertRank < 0 || hPerStep < 0) {
                throw new IllegalArgumentException("--experts, --expert-rank and --h-per-step must be >= 0, got "
                        + experts + ", " + expertRank + ", " + hPerStep);
            }
            budget.requireWritable(soupDir, "soup");
            Function<List<String>, Embedder> centroidEmbedder = Embedders.parse(embedder);
            DomainSplit split = DomainSplit.fromSpec(domains, centroidEmbedder);
            if (budget.unlabelled && !domains.startsWith("clusters:")) {
                throw new IllegalArgumentException(
                        "--unlabelled: a corpus without domain labels trains over clusters of"
                                + " its documents; add --domains clusters:K");
            }
            Function<long[], MetaDistribution> pi = MetaDistributions.fromSpec(meta);
            if (checkpointEvery < 0 || !(checkpointMinutes >= 0) || Double.isInfinite(checkpointMinutes)) {
                throw new IllegalArgumentException("--checkpoint-every and --checkpoint-minutes must be >= 0");
            }
            Path checkpoints = out.resolve("checkpoints");
            Path resumeFrom = null;
            if (resume) {
                resumeFrom = Checkpoints.latest(checkpoints)
                        .orElseThrow(() -> new IllegalArgumentException(
                                "--resume: " + checkpoints + " holds no checkpoint to continue from"));
            }
            Progress progress = budget.progress(spec.commandLine().getErr());
            Tokenizer tok = budget.tokenizer();
            TokenStore store = budget.store(spec.commandLine().getErr());
            List<Integer> all = new ArrayList<>();
            for (int d = 0; d < store.domains().size(); d++) {
                all.add(d);
            }
            DomainSplit.Domains soupDomains = split.domains(store, tok, all, budget.context, budget.seed);
            WindowSampler sampler = soupDomains.sampler();
            List<String> names = soupDomains.names();
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
            SoupTrainingConfig tc = SoupTrainingConfig.builder()
                    .source(sampler)
                    .metaDistribution(pi.apply(sampler.sizes()))
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
                Checkpoints.deleteAll(checkpoints);
            }
            return 0;
        }
    }

    /** Specialist documents: each file is one document (UTF-8 text). */
    /** The most bytes of plain document files one command reads. */
    static final long MAX_DOCUMENT_BYTES = 256L << 20;

    static List<String> documents(List<Path> files) throws IOException {
        if (files == null || files.isEmpty()) {
            throw new IllegalArgumentException("give at least one document file");
        }
        List<String> docs = new ArrayList<>();
        long total = 0;
        for (Path f : files) {
            if (!Files.isRegularFile(f)) {
                // A FIFO would block and /dev/zero never end.
                throw new IllegalArgumentException(f + " is not a regular file (a folder, device or pipe)");
            }
            // Held whole as a String (two bytes a character): bounded before it is read.
            total += Files.size(f);
            if (total > MAX_DOCUMENT_BYTES) {
                throw new IllegalArgumentException(f + ": the document files add up to more than "
                        + (MAX_DOCUMENT_BYTES >> 20) + " MiB, more than this tool holds in memory;"
                        + " give them as JSONL (one document per line, streamed) or fewer at a time");
            }
            docs.add(BoundedRead.utf8(f, MAX_DOCUMENT_BYTES, "a document"));
        }
        return docs;
    }

    @Command(
            name = "histogram",
            footerHeading = "%nExamples:%n",
            footer = {"  soe histogram --soup run/soup my-docs/*.txt"},
            mixinStandardHelpOptions = true,
            description = "Domain weights h of a specialist set: each document goes to its nearest domain centroid.")
    static final class Histogram implements Callable<Integer> {
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--soup", required = true, description = "a soup saved by 'soe train'")
        Path soupDir;

        @Parameters(arity = "1..*", paramLabel = "DOC", description = "document files (UTF-8 text)")
        List<Path> docs;

        @Option(names = "--json", description = "print {\"domains\": [...], \"h\": [...]} for scripts")
        boolean json;

        @Override
        public Integer call() throws IOException {
            List<String> texts = documents(docs); // the cheap checks first
            try (SoupOfExperts soup = SoupOfExperts.load(soupDir)) {
                double[] h = NearestCentroidAssigner.fromSoup(soup, 0).domainWeights(texts);
                if (json) {
                    JsonObject o = new JsonObject();
                    o.add(
                            "domains",
                            JsonParser.parseString(
                                    new Gson().toJson(soup.labels().domains())));
                    o.add("h", JsonParser.parseString(new Gson().toJson(h)));
                    spec.commandLine().getOut().println(o);
                } else {
                    spec.commandLine().getOut().println(soup.labels().format(h));
                }
            }
            return 0;
        }
    }

    /** h from --h: numbers in domain order, or name=weight pairs (the soup must know its domains' names). */
    static double[] weights(List<String> given, SoupOfExperts soup) {
        if (given.stream().allMatch(s -> s.contains("="))) {
            Map<String, Double> byName = new LinkedHashMap<>();
            for (String s : given) {
                String[] kv = s.split("=", 2);
                try {
                    if (byName.put(kv[0].trim(), Double.parseDouble(kv[1].trim())) != null) {
                        throw new IllegalArgumentException("--h names domain '" + kv[0].trim() + "' twice");
                    }
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--h: '" + s + "' is not name=weight");
                }
            }
            return soup.labels().weights(byName);
        }
        double[] h = new double[given.size()];
        for (int i = 0; i < h.length; i++) {
            try {
                h[i] = Double.parseDouble(given.get(i).trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--h: '" + given.get(i)
                        + "' is not a number; give numbers, or name=weight" + " for every entry");
            }
        }
        return DomainWeights.validate(h, soup.config().domains());
    }

    @Command(
            name = "instantiate",
            footerHeading = "%nExamples:%n",
            footer = {
                "  soe instantiate --soup run/soup --docs a.txt,b.txt --out spec --safetensors spec.safetensors",
                "  soe instantiate --soup run/soup --h Python=0.7,C=0.3 --out spec-py"
            },
            mixinStandardHelpOptions = true,
            description =
                    "Make the specialist for h (given, or from documents) and save it; optionally also as safetensors.")
    static final class Instantiate implements Callable<Integer> {
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--soup", required = true, description = "a soup saved by 'soe train'")
        Path soupDir;

        @Option(
                names = "--h",
                split = ",",
                description = "domain weights: one number per domain (0.7,0.3,0), or by name"
                        + " (python=0.7,c=0.3; unnamed domains get 0)")
        List<String> h;

        @Option(names = "--docs", split = ",", description = "or: document files whose histogram is h")
        List<Path> docs;

        @Option(names = "--out", required = true, description = "folder for the specialist")
        Path out;

        @Option(names = "--safetensors", description = "also write the weights here in the safetensors format")
        Path safetensors;

        @Option(names = "--force", description = "replace a specialist already saved in --out")
        boolean force;

        @Option(
                names = "--json",
                description = "print {\"h\": [...], \"milliseconds\": ..., \"saved\": ...} for scripts")
        boolean json;

        @Override
        public Integer call() throws IOException {
            if ((h == null) == (docs == null)) {
                throw new IllegalArgumentException("give either --h or --docs");
            }
            if (Files.exists(out.resolve("manifest.json")) && !force) {
                throw new IllegalArgumentException(out + " already holds a saved artefact; pass --force to replace it");
            }
            try (SoupOfExperts soup = SoupOfExperts.load(soupDir)) {
                double[] weights = h != null
                        ? weights(h, soup)
                        : NearestCentroidAssigner.fromSoup(soup, 0).domainWeights(documents(docs));
                long t0 = System.nanoTime();
                try (Specialist s = soup.instantiate(weights)) {
                    double ms = (System.nanoTime() - t0) / 1e6;
                    s.save(out);
                    if (safetensors != null) {
                        s.exportSafetensors(safetensors);
                    }
                    if (json) {
                        JsonObject o = new JsonObject();
                        o.add(
                                "domains",
                                JsonParser.parseString(
                                        new Gson().toJson(soup.labels().domains())));
                        o.add("h", JsonParser.parseString(new Gson().toJson(weights)));
                        o.addProperty("milliseconds", ms);
                        o.addProperty("saved", out.toString());
                        spec.commandLine().getOut().println(o);
                    } else {
                        spec.commandLine()
                                .getOut()
                                .printf(
                                        "h=%s; instantiated in %.1f ms; saved %s%n",
                                        soup.labels().format(weights), ms, out);
                    }
                }
            }
            return 0;
        }
    }

    @Command(
            name = "eval",
            footerHeading = "%nExamples:%n",
            footer = {"  soe eval --model spec held-out.txt"},
            mixinStandardHelpOptions = true,
            showDefaultValues = true,
            description = "Bits per byte of a specialist on text files, or on the documents of JSONL files"
                    + " (.jsonl, .jsonl.gz, .jsonl.zst: each line's --text-field).")
    static final class Eval implements Callable<Integer> {
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
            for (Path f : files) {
                if (isJsonl(f)) {
                    texts.addAll(jsonlDocuments(f, textField, maxDocuments - texts.size()));
                } else {
                    texts.addAll(documents(List.of(f)));
                }
            }
            if (texts.isEmpty()) {
                throw new IllegalArgumentException("no documents in " + files);
            }
            try (DenseModel s = DenseModel.load(modelDir)) {
                Tokenizer tok = recordedTokenizer(modelDir, s.labels());
                Evaluation.Loss l;
                try {
                    l = Evaluation.onDocuments(s::loss, tok, texts, s.config().contextLength());
                } finally {
                    Tokenizers.close(tok);
                }
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

    /**
     * The tokenizer the model in {@code dir} was trained with, from its labels (close it with
     * {@link Tokenizers#close}): text is never read with another one, which would give meaningless
     * numbers.
     */
    static Tokenizer recordedTokenizer(Path dir, Labels labels) throws IOException {
        try {
            return Tokenizers.recorded(labels);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(dir + ": " + e.getMessage(), e);
        }
    }

    static boolean isJsonl(Path f) {
        String n = f.getFileName().toString();
        return n.endsWith(".jsonl") || n.endsWith(".jsonl.gz") || n.endsWith(".jsonl.zst");
    }

    /** Up to {@code max} documents' {@code field} from a JSONL file (plain, .gz or .zst). */
    static List<String> jsonlDocuments(Path f, String field, int max) throws IOException {
        if (!Files.isRegularFile(f)) {
            throw new IllegalArgumentException(f + " is not a regular file (a folder, device or pipe)");
        }
        List<String> out = new ArrayList<>();
        if (max <= 0) {
            return out;
        }
        JsonlCorpus.builder().file(f).textField(field).unlabelled().build().forEachWhile(d -> {
            out.add(d.text());
            return out.size() < max; // --max-documents reached: stop reading the file
        });
        return out;
    }

    @Command(
            name = "generate",
            footerHeading = "%nExamples:%n",
            footer = {"  soe generate --model spec --prompt \"def \" --tokens 200 --seed 1"},
            mixinStandardHelpOptions = true,
            showDefaultValues = true,
            description = "Continue a prompt with a specialist.")
    static final class Generate implements Callable<Integer> {
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--model", required = true, description = "a specialist saved by 'soe instantiate'")
        Path modelDir;

        @Option(names = "--prompt", required = true, description = "text to continue")
        String prompt;

        @Option(names = "--tokens", defaultValue = "200", description = "tokens (bytes) to generate")
        int tokens;

        @Option(names = "--temperature", defaultValue = "0.8", description = "0 for greedy")
        double temperature;

        @Option(
                names = "--top-k",
                defaultValue = "0",
                description = "sample from the k most likely tokens only (0: no limit)")
        int topK;

        @Option(
                names = "--top-p",
                defaultValue = "0.95",
                description = "sample from the smallest set of tokens holding this probability")
        double topP;

        @Option(
                names = "--seed",
                defaultValue = "1",
                description = "seed of the sampling: the same seed gives the same text")
        long seed;

        @Option(
                names = "--stop",
                description = "end the text before this sequence (repeatable, at most " + TextGenerator.MAX_STOPS + ")")
        List<String> stop = new ArrayList<>();

        @Override
        public Integer call() throws IOException {
            try (DenseModel s = DenseModel.load(modelDir)) {
                Generation g = temperature == 0
                        ? Generation.greedy(tokens)
                        : Generation.sampling(tokens, temperature, topK, topP, seed);
                Tokenizer tok = recordedTokenizer(modelDir, s.labels());
                PrintWriter out = spec.commandLine().getOut();
                out.print(prompt);
                out.flush();
                try {
                    // The text is printed as it is made.
                    TextGenerator.of(s, tok).stream(prompt, g, stop, piece -> {
                        out.print(piece);
                        out.flush();
                    });
                } catch (ArithmeticException e) {
                    throw new IllegalArgumentException(modelDir + ": " + e.getMessage(), e);
                } finally {
                    Tokenizers.close(tok);
                }
                out.println();
            }
            return 0;
        }
    }
}
