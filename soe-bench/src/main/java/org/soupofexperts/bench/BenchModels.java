package org.soupofexperts.bench;

import java.util.List;
import org.soupofexperts.core.config.ModelConfig;

/**
 * The base models the benchmarks use, by name: byte-level GPTs of 0.84M (the experiments' base: 4
 * layers, width 128, 4 heads), about 1M, 3.3M (the reference configuration: 4 layers, width
 * 256, context 256), 10M and 30M parameters, with the library's heads rule ({@link
 * ModelConfig#defaultHeads}; until 2026-12-06 the benchmarks took width / 64, and 0.84M had 2
 * heads where the experiments' had 4).
 */
public final class BenchModels {

    private BenchModels() {}

    public static final List<String> NAMES = List.of("0.84M", "1M", "3M", "10M", "30M");

    /** The base model of a benchmark size name such as {@code 0.84M}, {@code 10M}. */
    public static ModelConfig of(String name) {
        return switch (name) {
            case "0.84M" -> config(4, 128);
            case "1M" -> config(4, 144);
            case "3M" -> config(4, 256);
            case "10M" -> config(6, 384);
            case "30M" -> config(8, 576);
            default -> throw new IllegalArgumentException("unknown base model '" + name + "'; known: " + NAMES);
        };
    }

    private static ModelConfig config(int layers, int width) {
        return ModelConfig.builder()
                .vocabSize(256)
                .layers(layers)
                .dModel(width)
                .heads(ModelConfig.defaultHeads(width))
                .contextLength(256)
                .build();
    }
}
