package org.soupofexperts.cli;

import org.soupofexperts.core.Specialist;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code soe export}: a saved specialist (or baseline) in another format: a DJL model folder that
 * DJL's {@code Criteria} and DJL Serving load, or one safetensors file for Python tools.
 */
@Command(name = "export", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Write a saved specialist as a DJL model folder (for DJL's Criteria and DJL Serving) or as safetensors.")
final class Export implements Callable<Integer> {

    /** The formats {@code export} writes. */
    enum Format {
        djl,
        safetensors
    }

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, description = "a model saved by 'soe instantiate', 'baseline' or 'finetune'")
    Path modelDir;

    @Option(names = "--format", defaultValue = "djl", description = "djl (a model folder) or safetensors (one file)")
    Format format;

    @Option(names = "--out", required = true, description = "the new folder (djl) or file (safetensors)")
    Path out;

    @Option(names = "--force", description = "replace an existing safetensors file (a DJL folder is never replaced)")
    boolean force;

    @Override
    public Integer call() throws IOException {
        if (Files.exists(out) && (format == Format.djl || !force)) {
            throw new IllegalArgumentException(out + " already exists; " + (format == Format.djl
                    ? "choose a new folder" : "pass --force to replace it"));
        }
        try (Specialist s = Specialist.load(modelDir)) {
            if (format == Format.djl) {
                s.exportForDjl(out);
                spec.commandLine().getOut().printf("wrote %s: load it with Criteria.builder().setTypes(int[].class,"
                        + " float[].class).optModelPath(...) and optTranslatorFactory(new NextTokenTranslatorFactory()),"
                        + " or serve it with DJL Serving%n", out);
            } else {
                s.exportSafetensors(out);
                spec.commandLine().getOut().printf("wrote %s (%,d parameters, float32)%n", out, s.parameterCount());
            }
        }
        return 0;
    }
}
