package org.soupofexperts.bench;

import java.util.List;
import org.soupofexperts.core.config.ModelConfig;

/**
 * The base models the benchmarks use, by name: byte-level GPTs of 0.84M (the experiments' base: 4
 * layers, width 128, 2 heads), about 1M, 3.3M (the reference configuration: 4 layers, width
 * 256, context 256), 10M and 30M parameters.
 */
public final class BenchModels {

    private BenchModels() {}

    public static final List<String> NAMES = List.of("0.84M", "1M", "3M", "10M", "30M");

    /** The base model of a benchmark size name such as {@code 0.84M}, {@code 10M}. */
    public static ModelConfig of(String name) {
        return switch (name) {
            case "0.84M" -> config(4, 128).toBuilder().heads(2).build();
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
                .heads(width / 64 > 0 ? width / 64 : 1)
                .contextLength(256)
                .build();
    }
}
