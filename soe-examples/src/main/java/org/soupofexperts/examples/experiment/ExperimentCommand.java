package org.soupofexperts.examples.experiment;

import java.nio.file.Path;
import org.soupofexperts.core.config.ModelConfig;
import picocli.CommandLine.Option;

/**
 * The options every experiment program shares (corpus, batch, context, base model shape, seed),
 * declared once: picocli reads the options of a command's superclasses too.
 */
public abstract class ExperimentCommand {

    @Option(
            names = "--corpus",
            description = "Pile-style train JSONL (.gz/.zst); default: the built-in synthetic corpus")
    protected Path corpus;

    @Option(names = "--batch", defaultValue = "16", description = "sequences per step (default ${DEFAULT-VALUE})")
    protected int batch;

    @Option(names = "--context", defaultValue = "128", description = "tokens per sequence (default ${DEFAULT-VALUE})")
    protected int context;

    @Option(names = "--layers", defaultValue = "2", description = "layers of the base model (default ${DEFAULT-VALUE})")
    protected int layers;

    @Option(
            names = "--width",
            defaultValue = "128",
            description = "width of the base model; heads of 32 (default ${DEFAULT-VALUE})")
    protected int width;

    @Option(names = "--seed", defaultValue = "1")
    protected long seed;

    /** The byte-level base model these options describe: heads of width 32, the context above. */
    protected ModelConfig model(int vocabSize) {
        return ModelConfig.builder()
                .vocabSize(vocabSize)
                .layers(layers)
                .dModel(width)
                .heads(ModelConfig.defaultHeads(width))
                .contextLength(context)
                .build();
    }

    /**
     * These options as a run's settings record them (corpus, batch, context, base shape, seed), for
     * a program's settings string, which kept parts are checked against.
     */
    protected String baseSettings() {
        return String.join(
                " ",
                "--corpus=" + corpusName(),
                "--batch=" + batch,
                "--context=" + context,
                "--layers=" + layers,
                "--width=" + width,
                "--seed=" + seed);
    }

    /** How the corpus is named in a run's settings. */
    protected String corpusName() {
        return corpus == null ? "synthetic" : corpus.toString();
    }
}
