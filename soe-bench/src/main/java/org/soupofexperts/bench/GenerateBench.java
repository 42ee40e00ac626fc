package org.soupofexperts.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.core.DenseModel;
import org.soupofexperts.core.Generation;
import org.soupofexperts.core.config.ModelConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Generation throughput of a specialist with the key/value cache ({@link DenseModel#generate})
 * against a forward pass over the whole window per new token (the path before the cache, written
 * here with {@link DenseModel#logits}), greedy, alternated run by run in one process; both must
 * choose the same tokens.
 */
@Command(name = "generate", mixinStandardHelpOptions = true, description = "Generation tokens/s, KV cache vs none.")
final class GenerateBench implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(GenerateBench.class);

    @Option(names = "--out", defaultValue = "target/bench")
    Path out;

    @Option(names = "--base", defaultValue = "0.84M")
    String base;

    @Option(names = "--context", defaultValue = "128")
    int context;

    @Option(names = "--new-tokens", split = ",", defaultValue = "120,256")
    List<Integer> newTokens;

    @Option(names = "--prompt-tokens", defaultValue = "8")
    int promptTokens;

    @Option(names = "--repeats", defaultValue = "5", description = "timed runs of each way, alternated")
    int repeats;

    @Override
    public Integer call() throws Exception {
        ModelConfig config =
                BenchModels.of(base).toBuilder().contextLength(context).build();
        int[] prompt = new int[promptTokens];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = 'a' + i % 26;
        }
        StringBuilder md = new StringBuilder(String.format(
                "Machine: %s. Base %s (context %d), greedy, a prompt of %d tokens; %d alternated runs of each way"
                        + " after one untimed run (median, range).%n%n"
                        + "| new tokens | KV cache tokens/s | no cache tokens/s | speed-up |%n|---:|---:|---:|---:|%n",
                BenchMain.machine(), base, context, promptTokens, repeats));
        try (DenseModel m = DenseModel.create(config, 1)) {
            for (int n : newTokens) {
                double[] cached = new double[repeats];
                double[] plain = new double[repeats];
                for (int r = -1; r < repeats; r++) {
                    long t0 = System.nanoTime();
                    int[] a = m.generate(prompt, Generation.greedy(n));
                    long t1 = System.nanoTime();
                    int[] b = uncached(m, prompt, n);
                    long t2 = System.nanoTime();
                    if (!Arrays.equals(a, b)) {
                        throw new IllegalStateException("the cached and uncached generations differ");
                    }
                    if (r >= 0) {
                        cached[r] = n / ((t1 - t0) / 1e9);
                        plain[r] = n / ((t2 - t1) / 1e9);
                    }
                }
                Stats c = Stats.of(cached);
                Stats p = Stats.of(plain);
                md.append(String.format(
                        "| %d | %s | %s | %.1fx |%n", n, c.format("%.0f"), p.format("%.0f"), c.median() / p.median()));
            }
        }
        Files.createDirectories(out);
        BenchMain.write(out.resolve("generate.md"), md.toString());
        LOG.info("generation benchmark:\n{}", md);
        return 0;
    }

    /** Greedy generation by a full forward pass over the last context-length tokens per new token. */
    private int[] uncached(DenseModel m, int[] prompt, int n) {
        int[] text = Arrays.copyOf(prompt, prompt.length + n);
        try (NDManager mgr = NDManager.newBaseManager()) {
            for (int i = prompt.length; i < text.length; i++) {
                int from = Math.max(0, i - context);
                try (NDManager tmp = mgr.newSubManager()) {
                    NDArray out = m.logits(tmp.create(Arrays.copyOfRange(text, from, i), new Shape(1, i - from)));
                    float[] last = out.get(new NDIndex("0, -1")).toFloatArray();
                    int best = 0;
                    for (int v = 1; v < last.length; v++) {
                        best = last[v] > last[best] ? v : best;
                    }
                    text[i] = best;
                }
            }
        }
        return Arrays.copyOfRange(text, prompt.length, text.length);
    }
}
