package org.soupofexperts.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.Specialist;
import org.soupofexperts.core.config.DomainWeights;
import org.soupofexperts.core.config.ExpertInit;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.data.finetune.DomainWeightFit;
import org.soupofexperts.data.tokenize.ByteTokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Wall time of fitting h (and tuning alpha) to a specialist set ({@link DomainWeightFit}): what
 * {@code soe instantiate --fit} and a serving fit cost on top of the milliseconds of an
 * instantiation. The soup's experts hold seeded noise; the cost is the losses the search computes
 * (up to its budget; fewer when its step falls below the minimum first, which the table shows), so
 * a trained soup's fit of the same budget costs about the same.
 */
@Command(name = "fit", mixinStandardHelpOptions = true, description = "Seconds to fit h (and alpha) to documents.")
final class FitBench implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(FitBench.class);

    @Option(names = "--out", defaultValue = "target/bench")
    Path out;

    @Option(names = "--base", defaultValue = "0.84M")
    String base;

    @Option(names = "--context", defaultValue = "128")
    int context;

    @Option(names = "--domains", defaultValue = "10")
    int domains;

    @Option(names = "--experts", defaultValue = "16")
    int experts;

    @Option(
            names = "--fits",
            split = ",",
            defaultValue = "64x120x0,64x120x160,64x120x160x50,4x27x0",
            description = "WINDOWSxEVALUATIONSxALPHA_EVALUATIONS[xLAYER_STEPS], one per fit timed")
    List<String> fits;

    @Option(names = "--documents", defaultValue = "100", description = "specialist documents of 2,000 bytes each")
    int documents;

    @Option(names = "--repeats", defaultValue = "3", description = "timed fits of each setting after one untimed")
    int repeats;

    @Override
    public Integer call() throws Exception {
        if (repeats < 1 || documents < 1) {
            throw new IllegalArgumentException("--repeats and --documents must be at least 1");
        }
        ModelConfig config =
                BenchModels.of(base).toBuilder().contextLength(context).build();
        List<String> docs = documents(documents, 2_000);
        StringBuilder md = new StringBuilder(String.format(
                "Machine: %s. Base %s (context %d), k = %d, n = %d, %d documents of 2,000 bytes; %d timed fits of"
                        + " each setting after one untimed (median, range).%n%n"
                        + "| windows x losses (h) x losses (alpha) [x layer steps] | token positions of the losses"
                        + " | fit s | positions/s |"
                        + " instantiate ms |%n|---|---:|---:|---:|---:|%n",
                BenchMain.machine(), base, context, domains, experts, docs.size(), repeats));
        try (SoupOfExperts soup = SoupOfExperts.builder()
                .model(config)
                .domains(domains)
                .experts(experts)
                .expertInit(ExpertInit.SCALED_NOISE)
                .seed(1)
                .build()) {
            for (String spec : fits) {
                md.append(row(soup, spec, docs));
            }
        }
        Files.createDirectories(out);
        BenchMain.write(out.resolve("fit.md"), md.toString());
        LOG.info("fit benchmark:\n{}", md);
        return 0;
    }

    private String row(SoupOfExperts soup, String spec, List<String> docs) {
        String[] p = spec.split("x", -1);
        if (p.length != 3 && p.length != 4) {
            throw new IllegalArgumentException(
                    "--fits takes WINDOWSxEVALUATIONSxALPHA_EVALUATIONS[xLAYER_STEPS], got " + spec);
        }
        int layers = p.length == 4 ? Integer.parseInt(p[3]) : 0;
        int windows = Integer.parseInt(p[0]);
        int evaluations = Integer.parseInt(p[1]);
        int alpha = Integer.parseInt(p[2]);
        DomainWeightFit fit = DomainWeightFit.builder()
                .soup(soup)
                .tokenizer(new ByteTokenizer())
                .contextLength(context)
                .windows(windows)
                .maxEvaluations(evaluations)
                .alphaEvaluations(alpha)
                .layerSteps(layers)
                .build();
        double[] start = DomainWeights.uniform(domains);
        double[] seconds = new double[repeats];
        double[] instantiate = new double[repeats];
        int computed = 0;
        for (int r = -1; r < repeats; r++) {
            long t0 = System.nanoTime();
            DomainWeightFit.Result result = fit.fit(docs, start);
            long t1 = System.nanoTime();
            try (Specialist s = layers > 0
                    ? soup.instantiateLayerAlpha(result.layerAlpha(), result.h())
                    : soup.instantiateAlpha(result.alpha(), result.h())) {
                long t2 = System.nanoTime();
                if (r >= 0) {
                    seconds[r] = (t1 - t0) / 1e9;
                    instantiate[r] = (t2 - t1) / 1e6;
                }
            }
            computed = result.evaluations();
        }
        // Every loss reads the same windows: as many as the documents hold (about: a blank line joins
        // them), up to the setting.
        long tokens = docs.stream()
                .mapToLong(d -> new ByteTokenizer().encode(d).length + 2L)
                .sum();
        long held = (tokens - 1) / context;
        // A layer step's pass (forward and backward) is counted as its forward positions.
        long positions = (computed + (layers > 0 ? layers + 1L : 0)) * Math.min(windows, held) * (context + 1L);
        Stats s = Stats.of(seconds);
        return String.format(
                "| %s (%d losses computed) | %,d | %s | %,.0f | %s |%n",
                spec,
                computed,
                positions,
                s.format("%.1f"),
                positions / s.median(),
                Stats.of(instantiate).format("%.1f"));
    }

    /** Seeded text of words of 2-9 letters: bytes enough for every window, no corpus needed. */
    static List<String> documents(int count, int bytes) {
        SplittableRandom rng = new SplittableRandom(7);
        List<String> docs = new ArrayList<>();
        for (int d = 0; d < count; d++) {
            StringBuilder b = new StringBuilder();
            while (b.length() < bytes) {
                int len = 2 + rng.nextInt(8);
                for (int i = 0; i < len; i++) {
                    b.append((char) ('a' + rng.nextInt(26)));
                }
                b.append(rng.nextInt(12) == 0 ? ". " : " ");
            }
            docs.add(b.substring(0, bytes));
        }
        return docs;
    }
}
