package org.soupofexperts.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.soupofexperts.core.DenseModel;
import org.soupofexperts.core.Generation;
import org.soupofexperts.data.generate.TextGenerator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code soe generate}: text continuing a prompt, printed as it is generated. */
@Command(
        name = "generate",
        footerHeading = "%nExamples:%n",
        footer = {"  soe generate --model spec --prompt \"def \" --tokens 200 --seed 1"},
        mixinStandardHelpOptions = true,
        showDefaultValues = true,
        description = "Continue a prompt with a specialist.")
final class Generate implements Callable<Integer> {
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
        try (DenseModel s = DenseModel.load(modelDir);
                Inputs.RecordedTokenizer tok = Inputs.recordedTokenizer(modelDir, s.labels())) {
            Generation g = temperature == 0
                    ? Generation.greedy(tokens)
                    : Generation.sampling(tokens, temperature, topK, topP, seed);
            PrintWriter out = spec.commandLine().getOut();
            out.print(prompt);
            out.flush();
            try {
                // The text is printed as it is made.
                TextGenerator.of(s, tok.tokenizer()).stream(prompt, g, stop, piece -> {
                    out.print(piece);
                    out.flush();
                });
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException(modelDir + ": " + e.getMessage(), e);
            }
            out.println();
        }
        return 0;
    }
}
