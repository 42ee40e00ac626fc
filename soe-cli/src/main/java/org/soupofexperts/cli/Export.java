package org.soupofexperts.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.soupofexperts.core.DenseModel;
import org.soupofexperts.core.io.Dtype;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code soe export}: a saved specialist (or baseline) in another format: a DJL model folder that
 * DJL's {@code Criteria} and DJL Serving load, a Hugging Face GPT-2 folder, or one safetensors
 * file for Python tools.
 */
@Command(
        name = "export",
        footerHeading = "%nExamples:%n",
        footer = {
            "  soe export --model spec --out spec-djl",
            "  soe export --model spec --format hf --dtype BF16 --out spec-hf"
        },
        mixinStandardHelpOptions = true,
        showDefaultValues = true,
        description =
                "Write a saved specialist as a DJL model folder (for DJL's Criteria and DJL Serving), a Hugging Face"
                        + " GPT-2 folder, or one safetensors file.")
final class Export implements Callable<Integer> {

    /** The formats {@code export} writes. */
    enum Format {
        djl,
        hf,
        safetensors
    }

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(
            names = "--model",
            required = true,
            description = "a model saved by 'soe instantiate', 'baseline' or 'finetune'")
    Path modelDir;

    @Option(
            names = "--format",
            defaultValue = "djl",
            description = "djl (a DJL model folder), hf (a Hugging Face GPT-2 folder) or safetensors (one file)")
    Format format;

    @Option(names = "--dtype", defaultValue = "F32", description = "F32, F16 or BF16 (hf and safetensors)")
    Dtype dtype;

    @Option(names = "--out", required = true, description = "the new folder (djl) or file (safetensors)")
    Path out;

    @Option(names = "--force", description = "replace an existing safetensors file (a DJL folder is never replaced)")
    boolean force;

    @Override
    public Integer call() throws IOException {
        boolean folder = format != Format.safetensors;
        if (Files.exists(out) && (folder || !force)) {
            throw new IllegalArgumentException(
                    out + " already exists; " + (folder ? "choose a new folder" : "pass --force to replace it"));
        }
        if (format == Format.djl && dtype != Dtype.F32) {
            throw new IllegalArgumentException("--dtype applies to hf and safetensors; a DJL folder is float32");
        }
        try (DenseModel s = DenseModel.load(modelDir)) {
            if (format == Format.djl) {
                s.exportForDjl(out);
                spec.commandLine()
                        .getOut()
                        .printf(
                                "wrote %s: load it with Criteria.builder().setTypes(int[].class,"
                                        + " float[].class).optModelPath(...) and optTranslatorFactory(new NextTokenTranslatorFactory()),"
                                        + " or serve it with DJL Serving%n",
                                out);
            } else if (format == Format.hf) {
                s.exportHuggingFace(out, dtype);
                spec.commandLine()
                        .getOut()
                        .printf(
                                "wrote %s: config.json, model.safetensors (%s) and README.md; load it with"
                                        + " transformers' GPT2LMHeadModel.from_pretrained%n",
                                out, dtype);
            } else {
                s.exportSafetensors(out, dtype);
                spec.commandLine().getOut().printf("wrote %s (%,d parameters, %s)%n", out, s.parameterCount(), dtype);
            }
        }
        return 0;
    }
}
