package org.soupofexperts.core.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * Every tensor of the GPT-style base model of a {@link ModelConfig}, in the model's fixed order
 * (the order of save files): the one source of the tensors' names, shapes, initialisation and
 * weight decay. The model is built from it; parameter counts, bank sizes and the validation of
 * rank rules read it without building a model. Immutable and thread-safe.
 *
 * <p>Names follow GPT-2: {@code wte.weight}, {@code wpe.weight}, then per layer i
 * {@code hi.ln_1.gain/bias}, {@code hi.attn.qkv.weight/bias}, {@code hi.attn.proj.weight/bias},
 * {@code hi.ln_2.gain/bias}, {@code hi.mlp.fc.weight/bias}, {@code hi.mlp.proj.weight/bias}, and
 * {@code ln_f.gain/bias} (no biases when the config has none). Shapes: embeddings (rows, d);
 * linear weights (in, out), as GPT-2's {@code Conv1D} stores them; gains and biases (d) or (out).
 */
public final class TensorLayout {

    /** GPT-2's initial standard deviation of the matrices. */
    public static final double STD = 0.02;

    private final ModelConfig config;
    private final List<TensorSpec> specs;

    private TensorLayout(ModelConfig config) {
        this.config = config;
        List<TensorSpec> s = new ArrayList<>();
        int d = config.dModel();
        int hidden = config.mlpRatio() * d;
        // GPT-2: residual projections start smaller so the residual stream keeps its scale.
        double residualStd = STD / Math.sqrt(2.0 * config.layers());
        s.add(TensorSpec.matrix("wte.weight", config.vocabSize(), d, STD));
        s.add(TensorSpec.matrix("wpe.weight", config.contextLength(), d, STD));
        for (int i = 0; i < config.layers(); i++) {
            String h = "h" + i;
            norm(s, h + ".ln_1", d);
            linear(s, h + ".attn.qkv", d, 3 * d, STD);
            linear(s, h + ".attn.proj", d, d, residualStd);
            norm(s, h + ".ln_2", d);
            linear(s, h + ".mlp.fc", d, hidden, STD);
            linear(s, h + ".mlp.proj", hidden, d, residualStd);
        }
        norm(s, "ln_f", d);
        this.specs = Collections.unmodifiableList(s);
    }

    /** The layout of the base model of {@code config}. */
    public static TensorLayout of(ModelConfig config) {
        return new TensorLayout(config);
    }

    private void linear(List<TensorSpec> s, String name, int in, int out, double std) {
        // (in, out), as GPT-2's Conv1D: see SoupLinear for why.
        s.add(TensorSpec.matrix(name + ".weight", in, out, std));
        if (config.bias()) {
            s.add(TensorSpec.vector(name + ".bias", out, TensorSpec.Init.zeros()));
        }
    }

    private void norm(List<TensorSpec> s, String name, int d) {
        s.add(TensorSpec.vector(name + ".gain", d, TensorSpec.Init.ones()));
        if (config.bias()) {
            s.add(TensorSpec.vector(name + ".bias", d, TensorSpec.Init.zeros()));
        }
    }

    /** The model config this layout describes. */
    public ModelConfig config() {
        return config;
    }

    /** The tensors in the model's order. */
    public List<TensorSpec> specs() {
        return specs;
    }

    /** The tensor of that name, if the model has one. */
    public Optional<TensorSpec> find(String name) {
        return specs.stream().filter(t -> t.name().equals(name)).findFirst();
    }

    /** The tensor of that name; throws naming the model's tensors when there is none. */
    public TensorSpec spec(String name) {
        return find(name)
                .orElseThrow(() -> new IllegalArgumentException(
                        "the model has no tensor " + name + "; its tensors are named like wte.weight, wpe.weight,"
                                + " h0.attn.qkv.weight, h0.mlp.fc.bias, ln_f.gain"));
    }

    /** Parameters of the base model (of a specialist). */
    public long parameterCount() {
        return specs.stream().mapToLong(TensorSpec::numel).sum();
    }

    /** Values the expert banks of n experts hold, each matrix at the rank {@code ranks} gives it. */
    public long bankValues(int experts, ExpertRanks ranks) {
        long n = 0;
        for (TensorSpec t : specs) {
            n += t.bankValues(experts, rankOf(t, experts, ranks));
        }
        return n;
    }

    /** The rank of the tensor's experts: 0 (dense) with no experts or for vectors. */
    public static int rankOf(TensorSpec t, int experts, ExpertRanks ranks) {
        return experts > 0 ? ranks.rankOf(t.name(), t.shape()) : 0;
    }
}
