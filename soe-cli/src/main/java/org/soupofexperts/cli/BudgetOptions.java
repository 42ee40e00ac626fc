package org.soupofexperts.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.io.internal.ArtifactDirectory;
import org.soupofexperts.data.corpus.Corpus;
import org.soupofexperts.data.corpus.JsonlCorpus;
import org.soupofexperts.data.store.TokenStore;
import org.soupofexperts.data.tokenize.Tokenizer;
import org.soupofexperts.data.tokenize.Tokenizers;
import picocli.CommandLine.Option;

/**
 * The options that fix a training budget and a base model, shared by {@code train} and
 * {@code baseline} so that a soup and its generic baseline are built the same way from the same
 * words on the command line. Not thread-safe (picocli fills it once per invocation).
 */
final class BudgetOptions {

    @Option(names = "--corpus", description = "train JSONL (.gz/.zst), Pile-style (or --store)")
    Path corpus;

    @Option(
            names = "--store",
            description = "an existing token store of byte tokens instead of --corpus, e.g. the sharded store"
                    + " of the Spark job's --tokens")
    Path store;

    @Option(
            names = "--out",
            required = true,
            description = "output folder (its token store is shared by train and baseline)")
    Path out;

    /** The one domain of an --unlabelled corpus, before it is clustered. */
    static final String UNLABELLED_DOMAIN = "corpus";

    @Option(
            names = "--text-field",
            defaultValue = "text",
            description = "JSON field of a --corpus line's text (default ${DEFAULT-VALUE})")
    String textField;

    @Option(
            names = "--domain-field",
            defaultValue = "meta.pile_set_name",
            description = "dotted JSON path of a --corpus line's domain label (default ${DEFAULT-VALUE})")
    String domainField;

    @Option(
            names = "--unlabelled",
            description = "the --corpus lines carry no domain label: every document goes into one domain, which"
                    + " 'soe train' splits into clusters (needs --domains clusters:K)")
    boolean unlabelled;

    @Option(
            names = "--valid",
            description = "a JSONL file (same fields as --corpus) whose documents are the validation split; then no"
                    + " --corpus document is held out and --valid-fraction is not used. Give 'soe train' and 'soe"
                    + " baseline' the same one: other options rebuild <out>/token-store")
    Path valid;

    @Option(
            names = "--valid-fraction",
            defaultValue = "0.05",
            description = "share of each domain's --corpus documents held out for validation, whole documents"
                    + " (default ${DEFAULT-VALUE}); raise it for a small corpus")
    double validFraction;

    @Option(
            names = "--tokenizer",
            defaultValue = Tokenizers.BYTES,
            description = "bytes (UTF-8 bytes as tokens, vocabulary 256), or a Hugging Face tokenizer.json: the model"
                    + " records it, and eval, generate, finetune, compare and serve read text with it"
                    + " (default ${DEFAULT-VALUE})")
    String tokenizer;

    private Tokenizer tokenizerInstance;

    /** The tokenizer --tokenizer names, loaded once. */
    Tokenizer tokenizer() throws IOException {
        if (tokenizerInstance == null) {
            tokenizerInstance = Tokenizers.named(tokenizer);
        }
        return tokenizerInstance;
    }

    /** Frees the tokenizer if one was loaded (a Hugging Face tokenizer holds native memory). */
    void closeTokenizer() {
        if (tokenizerInstance != null) {
            Tokenizers.close(tokenizerInstance);
            tokenizerInstance = null;
        }
    }

    @Option(names = "--steps", defaultValue = "1000", description = "training steps")
    int steps;

    @Option(names = "--layers", defaultValue = "2", description = "transformer layers of the base model")
    int layers;

    @Option(names = "--width", defaultValue = "128", description = "model width (d_model); heads = width / 32")
    int width;

    @Option(names = "--context", defaultValue = "128", description = "context length in tokens")
    int context;

    @Option(names = "--batch", defaultValue = "16", description = "sequences per step")
    int batch;

    @Option(names = "--lr", defaultValue = "3e-3", description = "peak learning rate (warm-up, then cosine decay)")
    double lr;

    @Option(names = "--seed", defaultValue = "1", description = "seed of initialisation, h sampling and data streams")
    long seed;

    @Option(names = "--quiet", description = "no progress on stderr")
    boolean quiet;

    @Option(
            names = "--progress-every",
            defaultValue = "0",
            description = "in a log or pipe, a progress line every N steps (default 0: every tenth of the run)")
    int progressEvery;

    /** The progress printer these options ask for, on {@code err}. */
    Progress progress(PrintWriter err) {
        if (progressEvery < 0) {
            throw new IllegalArgumentException(
                    "--progress-every must be >= 0 (0: every tenth of the run), got " + progressEvery);
        }
        return new Progress(err, quiet, progressEvery);
    }

    @Option(names = "--force", description = "replace a model already saved where this command saves")
    boolean force;

    /**
     * The token store: {@code --store} as it is, or the corpus's in {@code <out>/token-store},
     * built on first use (bytes as tokens).
     */
    TokenStore store() throws IOException {
        if ((corpus == null) == (store == null)) {
            throw new IllegalArgumentException("give either --corpus (a JSONL file) or --store (a token store)");
        }
        if (store != null) {
            return openStore(store, tokenizer(), "give the --tokenizer it was written with");
        }
        if (!Files.isRegularFile(corpus)) {
            throw new IllegalArgumentException("--corpus " + corpus + " is not a file");
        }
        if (!(validFraction >= 0 && validFraction < 1)) {
            throw new IllegalArgumentException("--valid-fraction must be in [0, 1), got " + validFraction);
        }
        if (textField.isBlank() || domainField.isBlank()) {
            throw new IllegalArgumentException("--text-field and --domain-field must not be empty");
        }
        if (valid != null && !Files.isRegularFile(valid)) {
            throw new IllegalArgumentException("--valid " + valid + " is not a file");
        }
        Path dir = out.resolve("token-store");
        Corpus train = jsonl(corpus);
        Corpus validation = valid == null ? null : jsonl(valid);
        TokenStore.Options options = TokenStore.Options.defaults().withValidation(validFraction, 0);
        Tokenizer tok = tokenizer();
        boolean trained = Files.exists(out.resolve("soup").resolve("manifest.json"))
                || Files.exists(out.resolve("baseline").resolve("manifest.json"));
        if (trained && Files.exists(dir) && !TokenStore.isCurrent(dir, train, validation, tok, options)) {
            // Rebuilding would move documents between the splits under a model already trained
            // on them: 'soe compare' would then score it on its own training data.
            throw new IllegalArgumentException(dir + " was built from other data or options (--corpus, --valid,"
                    + " --valid-fraction, --text-field, --domain-field, --unlabelled, --tokenizer) than these, and a model in "
                    + out
                    + " was trained on it: give the same options as before, or another --out (--force replaces a"
                    + " model, not the data it was trained on)");
        }
        return TokenStore.openOrBuild(dir, train, validation, tok, options);
    }

    /** A JSONL file of documents with the options' fields, in one domain when --unlabelled. */
    private Corpus jsonl(Path file) {
        if (unlabelled) {
            return JsonlCorpus.builder()
                    .file(file)
                    .textField(textField)
                    .unlabelled()
                    .build()
                    .labelledAs(UNLABELLED_DOMAIN);
        }
        return JsonlCorpus.builder()
                .file(file)
                .textField(textField)
                .domainField(domainField)
                .build();
    }

    /**
     * The token store, with a warning on {@code err} naming the domains whose validation split
     * holds no document (a small corpus at a small --valid-fraction): 'soe compare' cannot score
     * them. Not with --quiet, which keeps stderr for errors.
     */
    TokenStore store(PrintWriter err) throws IOException {
        TokenStore s = store();
        List<String> empty = new ArrayList<>();
        for (int d = 0; d < s.domains().count(); d++) {
            if (s.validDocuments(d) == 0) {
                empty.add(s.domains().name(d));
            }
        }
        if (!empty.isEmpty() && !quiet) {
            err.println("warning: " + empty.size() + " of " + s.domains().count() + " domains hold out no validation"
                    + " document " + (empty.size() <= 8 ? empty : empty.subList(0, 8) + " ...")
                    + "; 'soe compare' cannot score them. Raise --valid-fraction (a fraction of each domain's"
                    + " documents) when the corpus is small.");
            err.flush();
        }
        return s;
    }

    /** Opens a store written with {@code tok}, refusing one of another tokenizer; {@code remedy} ends the error. */
    static TokenStore openStore(Path dir, Tokenizer tok, String remedy) throws IOException {
        TokenStore s = TokenStore.open(dir);
        if (!tok.id().equals(s.tokenizerId())) {
            throw new IllegalArgumentException("the token store " + dir + " holds tokens of " + s.tokenizerId()
                    + ", not of " + tok.id() + ": " + remedy);
        }
        return s;
    }

    /** The most token positions one step's batch may hold: a batch is one int array in the engine. */
    static final long MAX_BATCH_POSITIONS = 1L << 27;

    /**
     * Checks the budget and model options before any work (the token store and the clustering
     * can take minutes), naming the option: what the library would refuse only later, or not
     * at all (a batch too large for one array).
     */
    void checkBudget() {
        if (steps < 1 || layers < 1 || width < 1 || context < 1 || batch < 1) {
            throw new IllegalArgumentException("--steps, --layers, --width, --context and --batch must be >= 1, got "
                    + steps + ", " + layers + ", " + width + ", " + context + ", " + batch);
        }
        if (!(lr > 0 && lr < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("--lr must be a positive finite number, got " + lr);
        }
        if ((long) batch * (context + 1L) > MAX_BATCH_POSITIONS) {
            throw new IllegalArgumentException("--batch x (--context + 1) must be at most " + MAX_BATCH_POSITIONS
                    + " token positions, got " + batch + " x " + (context + 1L));
        }
        try {
            model(256); // the vocabulary is checked with the tokenizer, later
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--layers " + layers + ", --width " + width + ", --context " + context
                    + ": " + e.getMessage() + " (heads = width / 32, at least 1)");
        }
    }

    /** The base model these options describe, for a vocabulary of {@code vocab} tokens. */
    ModelConfig model(int vocab) {
        return ModelConfig.builder()
                .vocabSize(vocab)
                .layers(layers)
                .dModel(width)
                .heads(ModelConfig.defaultHeads(width))
                .contextLength(context)
                .build();
    }

    /** Refuses to replace a saved artefact (a {@code what}) in {@code dir} unless --force was given. */
    void requireWritable(Path dir, String what, String kind) throws IOException {
        requireWritable(dir, what, kind, force);
    }

    /**
     * Refuses, before any work, an output folder that already holds a saved artefact (without
     * {@code force}) or that a save of {@code kind} would refuse (a link, a file, other files).
     */
    static void requireWritable(Path dir, String what, String kind, boolean force) throws IOException {
        if (Files.exists(dir.resolve("manifest.json")) && !force) {
            throw new IllegalArgumentException(dir + " already holds a " + what + "; pass --force to replace it");
        }
        ArtifactDirectory.checkWritable(dir, kind);
    }
}
