package org.soupofexperts.bench;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.config.SoupConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs {@link InstantiateJmhBenchmark} under JMH and turns its times into the figures the issue
 * asks for: merge throughput as bytes of expert bank read per second, and as a fraction of the
 * bandwidth the same engine attains on an in-place scale and add of bank-sized arrays (as in
 * STREAM: a scale reads and writes each value, an add reads two and writes one).
 */
@Command(
        name = "instantiate",
        mixinStandardHelpOptions = true,
        description = "soup.instantiate(h) time and merge bandwidth (JMH).")
final class InstantiateBench implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(InstantiateBench.class);

    @Option(names = "--out", defaultValue = "target/bench")
    Path out;

    @Option(names = "--bases", split = ",", defaultValue = "1M,10M,30M")
    List<String> bases;

    @Option(names = "--experts", split = ",", defaultValue = "4,16,64")
    List<Integer> experts;

    @Option(
            names = "--ranks",
            split = ",",
            defaultValue = "0",
            description = "expert ranks (0 = dense; default ${DEFAULT-VALUE}); low-rank rows have no merge throughput")
    List<Integer> ranks;

    @Option(names = "--iterations", defaultValue = "5", description = "JMH measurement iterations of 1 s")
    int iterations;

    @Override
    public Integer call() throws Exception {
        Files.createDirectories(out);
        ChainedOptionsBuilder opt = new OptionsBuilder()
                .include(InstantiateJmhBenchmark.class.getName())
                .param("base", bases.toArray(new String[0]))
                .param("experts", experts.stream().map(String::valueOf).toArray(String[]::new))
                .param("rank", ranks.stream().map(String::valueOf).toArray(String[]::new))
                .mode(Mode.AverageTime)
                .timeUnit(TimeUnit.MILLISECONDS)
                .warmupIterations(3)
                .warmupTime(TimeValue.seconds(1))
                .measurementIterations(iterations)
                .measurementTime(TimeValue.seconds(1))
                .forks(1)
                .jvmArgs("-Xmx4g", "-Dai.djl.offline=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
                .shouldFailOnError(false);
        Collection<RunResult> results = new Runner(opt.build()).run();

        // (base, n) -> benchmark -> [score ms, error ms]; instantiate under "instantiate/<rank>"
        Map<String, Map<String, double[]>> byConfig = new TreeMap<>();
        for (RunResult r : results) {
            String base = r.getParams().getParam("base");
            String n = r.getParams().getParam("experts");
            String bench = r.getParams().getBenchmark().replaceFirst(".*\\.", "");
            if (bench.equals("instantiate")) {
                bench += "/" + r.getParams().getParam("rank");
            }
            byConfig.computeIfAbsent(base + "/" + n, x -> new TreeMap<>()).put(bench, new double[] {
                r.getPrimaryResult().getScore(), r.getPrimaryResult().getScoreError()
            });
        }
        StringBuilder md = new StringBuilder();
        md.append("Machine: ")
                .append(BenchMain.machine())
                .append(". JMH average time, 1 fork, 3 warm-up and ")
                .append(iterations)
                .append(" measured iterations of 1 s; +- is JMH's 99.9% error. Merge throughput is"
                        + " bank bytes read per second, for dense experts only (a low-rank merge is a matrix product, bound by"
                        + " arithmetic rather than memory).\n\n");
        md.append(
                "| base | parameters | n | rank | bank MiB | instantiate ms | merge GB/s | sum (read) GB/s | scale GB/s | add GB/s | merge / best |\n"
                        + "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        JsonArray rows = new JsonArray();
        Map<String, double[][]> plot = new LinkedHashMap<>();
        for (String base : bases) {
            ModelConfig model = BenchModels.of(base);
            long p = model.parameterCount();
            for (int rank : ranks) {
                double[] xs = new double[experts.size()];
                double[] ys = new double[experts.size()];
                int i = 0;
                for (int n : experts) {
                    double bankBytes;
                    try {
                        bankBytes = 4.0
                                * SoupConfig.builder()
                                        .model(model)
                                        .domains(13)
                                        .experts(n)
                                        .expertRank(rank)
                                        .seed(1)
                                        .build()
                                        .bankParameterCount();
                    } catch (IllegalArgumentException e) {
                        md.append(String.format(
                                "| %s | %d | %d | %d | | not run: %s | | | | | |%n", base, p, n, rank, e.getMessage()));
                        continue;
                    }
                    String rankName = rank == 0 ? "dense" : String.valueOf(rank);
                    Map<String, double[]> b = byConfig.get(base + "/" + n);
                    double[] inst = b == null ? null : b.get("instantiate/" + rank);
                    if (inst == null
                            || !b.containsKey("scaleBankSized")
                            || !b.containsKey("addBankSized")
                            || !b.containsKey("sumBankSized")) {
                        md.append(String.format(
                                "| %s | %d | %d | %s | %.0f | not run (failed or out of memory: see the log) | | | | | |%n",
                                base, p, n, rankName, bankBytes / (1 << 20)));
                        continue;
                    }
                    double probe = 4.0 * Math.min((long) n * p, 1L << 28);
                    double merge = bankBytes / (inst[0] / 1e3) / 1e9;
                    double copy = 2 * probe / (b.get("scaleBankSized")[0] / 1e3) / 1e9;
                    double add = 3 * probe / (b.get("addBankSized")[0] / 1e3) / 1e9;
                    double read = probe / (b.get("sumBankSized")[0] / 1e3) / 1e9;
                    double best = Math.max(read, Math.max(copy, add));
                    md.append(String.format(
                            "| %s | %d | %d | %s | %.1f | %.2f +- %.2f | %s | %.1f | %.1f | %.1f | %s |%n",
                            base,
                            p,
                            n,
                            rankName,
                            bankBytes / (1 << 20),
                            inst[0],
                            inst[1],
                            rank == 0 ? String.format("%.1f", merge) : "-",
                            read,
                            copy,
                            add,
                            rank == 0 ? String.format("%.2f", merge / best) : "-"));
                    JsonObject row = new JsonObject();
                    row.addProperty("base", base);
                    row.addProperty("parameters", p);
                    row.addProperty("experts", n);
                    row.addProperty("rank", rank);
                    row.addProperty("bankBytes", bankBytes);
                    row.addProperty("instantiateMillis", inst[0]);
                    row.addProperty("instantiateErrorMillis", inst[1]);
                    row.addProperty("scaleGBps", copy);
                    row.addProperty("sumGBps", read);
                    row.addProperty("addGBps", add);
                    if (rank == 0) {
                        row.addProperty("mergeGBps", merge);
                        row.addProperty("fractionOfBandwidth", merge / best);
                    }
                    rows.add(row);
                    xs[i] = n;
                    ys[i] = inst[0];
                    i++;
                }
                plot.put(
                        base + (rank == 0 ? "" : " rank " + rank),
                        new double[][] {Arrays.copyOf(xs, i), Arrays.copyOf(ys, i)});
            }
        }
        JsonObject json = new JsonObject();
        json.addProperty("machine", BenchMain.machine());
        json.add("rows", rows);
        BenchMain.write(out.resolve("instantiate.md"), md.toString());
        BenchMain.write(
                out.resolve("instantiate.json"),
                new GsonBuilder().setPrettyPrinting().create().toJson(json));
        XYChart chart = new XYChartBuilder()
                .width(800)
                .height(500)
                .title("soup.instantiate(h) time vs number of experts")
                .xAxisTitle("experts n")
                .yAxisTitle("ms")
                .build();
        chart.getStyler()
                .setXAxisLogarithmic(true)
                .setYAxisLogarithmic(true)
                .setLegendPosition(Styler.LegendPosition.InsideNW);
        plot.forEach((name, xy) -> {
            if (xy[0].length > 0) {
                chart.addSeries(name, xy[0], xy[1]);
            }
        });
        BitmapEncoder.saveBitmap(chart, out.resolve("scaling-instantiate").toString(), BitmapEncoder.BitmapFormat.PNG);
        LOG.info("instantiate benchmark:\n{}", md);
        return 0;
    }
}
