package org.soupofexperts.core.nn;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import org.soupofexperts.core.config.ExpertRanks;
import org.soupofexperts.core.config.TensorLayout;
import org.soupofexperts.core.config.TensorSpec;

/**
 * Base of the soup blocks: declares each tensor once as shared part plus expert bank (dense, or
 * two factor banks for low-rank experts), and computes its value for given expert coefficients
 * alpha as {@code S + sum_j alpha_j E_j} (see {@link SoupTensor#value}).
 *
 * <p>A block built with {@code experts == 0} is a plain block of base size: that is what a
 * specialist is made of, so the specialist runs exactly the code of the soup.
 *
 * <p>DJL's forward takes {@code NDList(x)} or {@code NDList(x, alpha)}; alpha is a vector of
 * length n. Parameters are set by the owning model (seeded init) or by loading, not by DJL's
 * {@code initialize}. Blocks are not thread-safe to mutate; their forward is safe to run from
 * several threads when parameters are not being updated.
 */
public abstract class AbstractSoupBlock extends ModelBlock {

    private static final byte VERSION = 1;

    private final int experts;
    private final ExpertRanks ranks;
    private final List<SoupTensor> tensors = new ArrayList<>();

    protected AbstractSoupBlock(int experts, ExpertRanks ranks) {
        super(VERSION);
        this.ranks = Objects.requireNonNull(ranks, "expert ranks");
        if (experts < 0) {
            throw new IllegalArgumentException("number of experts must be >= 0, got " + experts);
        }
        this.experts = experts;
    }

    /**
     * Declares a souped tensor: its shared parameter and, when n &gt; 0, its expert bank (dense,
     * or the two factors U and V when the ranks give this matrix a rank).
     */
    protected final SoupTensor soupTensor(TensorSpec spec) {
        Parameter shared = addParameter(Parameter.builder()
                .setName(spec.name())
                .setType(Parameter.Type.OTHER)
                .build());
        int rank = TensorLayout.rankOf(spec, experts, ranks);
        ExpertBank bank;
        if (experts == 0) {
            bank = new ExpertBank.None();
        } else if (rank == 0) {
            bank = new ExpertBank.Dense(parameter(spec.name() + ".experts"), experts, spec.numel());
        } else {
            bank = new ExpertBank.LowRank(
                    parameter(spec.name() + ".experts.u"),
                    parameter(spec.name() + ".experts.v"),
                    experts,
                    rank,
                    spec.shape().get(0),
                    spec.shape().get(1));
        }
        SoupTensor t = new SoupTensor(spec.name(), spec.shape(), shared, bank, spec.init(), spec.decayed());
        tensors.add(t);
        return t;
    }

    private Parameter parameter(String name) {
        return addParameter(
                Parameter.builder().setName(name).setType(Parameter.Type.OTHER).build());
    }

    /** The tensor's value at alpha (see {@link SoupTensor#value}). */
    protected final NDArray value(SoupTensor t, NDArray alpha) {
        return t.value(alpha);
    }

    /** Number of experts of this block (0 for a plain block). */
    public final int experts() {
        return experts;
    }

    /** The tensors this block declares itself (not those of child blocks). */
    public final List<SoupTensor> soupTensors() {
        return Collections.unmodifiableList(tensors);
    }

    @Override
    protected Shape declaredShape(Parameter p) throws MalformedModelException {
        for (SoupTensor t : tensors) {
            if (t.shared() == p) {
                return t.shape();
            }
            int i = t.bank().parameters().indexOf(p);
            if (i >= 0) {
                return t.bank().shapes().get(i);
            }
        }
        return super.declaredShape(p);
    }

    /** Applies the block to x at coefficients alpha (null for a plain block). */
    public abstract NDArray apply(NDArray x, NDArray alpha);

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray alpha = inputs.size() > 1 ? inputs.get(1) : null;
        return new NDList(apply(inputs.head(), alpha));
    }
}
