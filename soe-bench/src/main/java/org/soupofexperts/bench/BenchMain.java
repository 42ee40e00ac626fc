package org.soupofexperts.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.soupofexperts.core.io.AtomicFile;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of the benchmarks: {@code instantiate} (JMH), {@code train} (whole training runs),
 * {@code soak} (memory over many steps and instantiations), {@code generate} (tokens/s with and
 * without the key/value cache), {@code fit} (seconds to fit h and alpha to documents). Each writes
 * a markdown table (some also JSON and PNG plots) into its output folder; docs/performance.md has
 * the commands and the figures.
 */
@Command(
        name = "soe-bench",
        mixinStandardHelpOptions = true,
        subcommands = {InstantiateBench.class, TrainBench.class, SoakBench.class, GenerateBench.class, FitBench.class},
        description = "Benchmarks of soup instantiation and training on this machine.")
public final class BenchMain implements Runnable {

    /** Runs a benchmark command; {@code --help} lists them. */
    public static void main(String[] args) {
        if (System.getProperty("ai.djl.offline") == null && System.getenv("DJL_OFFLINE") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        System.exit(new CommandLine(new BenchMain())
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    cmd.getErr().println("error: " + e);
                    e.printStackTrace(cmd.getErr());
                    return 2;
                })
                .execute(args));
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.err);
    }

    /** Writes through a temporary file and a rename, so a report is never half-written. */
    static void write(Path file, String text) throws IOException {
        AtomicFile.write(file, text);
    }

    /** One line about the machine, for the reports. */
    static String machine() {
        String cpu = "unknown CPU";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
        } catch (IOException e) {
            // not Linux: keep the placeholder
        }
        return String.format(
                "%s, %d cores visible to the JVM, %d GiB RAM (JVM max heap %d GiB), Java %s",
                cpu,
                Runtime.getRuntime().availableProcessors(),
                ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                                .getTotalMemorySize()
                        >> 30,
                Runtime.getRuntime().maxMemory() >> 30,
                System.getProperty("java.version"));
    }
}
