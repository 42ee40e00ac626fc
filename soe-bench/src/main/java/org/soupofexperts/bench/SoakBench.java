package org.soupofexperts.bench;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.Specialist;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.config.SoupConfig;
import org.soupofexperts.core.train.TrainingPlan;
import org.soupofexperts.data.sample.InMemoryDomainSampler;
import org.soupofexperts.data.sample.MetaDistributions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Resident memory across many training steps and many instantiations of one soup: if any
 * per-step temporary outlived its step, RSS would climb with the count.
 */
@Command(
        name = "soak",
        mixinStandardHelpOptions = true,
        description = "RSS over 1,000 training steps and 10,000 instantiations.")
final class SoakBench implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(SoakBench.class);

    @Option(names = "--out", defaultValue = "target/bench")
    Path out;

    @Option(names = "--steps", defaultValue = "1000")
    int steps;

    @Option(names = "--instantiations", defaultValue = "10000")
    int instantiations;

    @Override
    public Integer call() throws Exception {
        if (steps < 10 || instantiations < 10) {
            throw new IllegalArgumentException("--steps and --instantiations must be >= 10 (RSS is sampled 10 times)");
        }
        int k = 4;
        SplittableRandom rng = new SplittableRandom(3);
        int[][] tokens = new int[k][200_000];
        for (int[] t : tokens) {
            for (int i = 0; i < t.length; i++) {
                t[i] = rng.nextInt(256);
            }
        }
        InMemoryDomainSampler sampler = new InMemoryDomainSampler(List.of("a", "b", "c", "d"), tokens);
        ModelConfig model = BenchModels.of("1M").toBuilder().contextLength(64).build();
        List<long[]> trainRss = new ArrayList<>();
        List<long[]> instRss = new ArrayList<>();
        try (SoupOfExperts soup = SoupOfExperts.create(
                SoupConfig.builder().model(model).domains(k).experts(16).seed(1).build())) {
            soup.train(TrainingPlan.builder()
                    .source(sampler)
                    .metaDistribution(MetaDistributions.dirichlet(k, 1.0))
                    .steps(steps)
                    .batchSize(8)
                    .contextLength(64)
                    .logEvery(0)
                    .seed(1)
                    .listener(e -> {
                        if (e.step() % (steps / 10) == 0) {
                            trainRss.add(new long[] {e.step(), Memory.rss()});
                        }
                    })
                    .build());
            double[] h = new double[k];
            for (int i = 1; i <= instantiations; i++) {
                // A different h each time: a point of the simplex between two domains.
                Arrays.fill(h, 0);
                h[i % k] = 1;
                h[(i + 1) % k] += (i % 7) / 7.0;
                double sum = h[0] + h[1] + h[2] + h[3];
                for (int j = 0; j < k; j++) {
                    h[j] /= sum;
                }
                try (Specialist s = soup.instantiate(h)) {
                    s.parameterCount();
                }
                if (i % (instantiations / 10) == 0) {
                    instRss.add(new long[] {i, Memory.rss()});
                }
            }
        }
        StringBuilder md =
                new StringBuilder("Machine: " + BenchMain.machine() + ". Soup: base " + model.parameterCount()
                        + " parameters, n = 16, batch 8 x 64.\n\n| phase | count | RSS MiB |\n|---|---:|---:|\n");
        for (long[] r : trainRss) {
            md.append(String.format("| training step | %d | %d |%n", r[0], r[1] >> 20));
        }
        for (long[] r : instRss) {
            md.append(String.format("| instantiation | %d | %d |%n", r[0], r[1] >> 20));
        }
        long trainGrowth = trainRss.get(trainRss.size() - 1)[1] - trainRss.get(0)[1];
        long instGrowth = instRss.get(instRss.size() - 1)[1] - instRss.get(0)[1];
        md.append(String.format(
                "%nGrowth from the first to the last sample: training %+d MiB, instantiation %+d MiB.%n",
                trainGrowth >> 20, instGrowth >> 20));
        JsonObject json = new JsonObject();
        json.add("training", new GsonBuilder().create().toJsonTree(trainRss));
        json.add("instantiation", new GsonBuilder().create().toJsonTree(instRss));
        BenchMain.write(out.resolve("soak.md"), md.toString());
        BenchMain.write(
                out.resolve("soak.json"),
                new GsonBuilder().setPrettyPrinting().create().toJson(json));
        LOG.info("soak:\n{}", md);
        return 0;
    }
}
