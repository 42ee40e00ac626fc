package org.soupofexperts.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.soupofexperts.core.config.ExpertRanks;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.config.TensorLayout;
import org.soupofexperts.core.internal.Djl;

/**
 * The GPT-style causal decoder, written once: with n experts it is the soup's model (every
 * tensor {@code S + sum_j alpha_j E_j}, the experts of a matrix dense or low-rank); with 0
 * experts it is a specialist of base size. Pre-LayerNorm,
 * learned positions, GELU MLP, output head tied to the token embedding.
 *
 * <p>Forward: {@code NDList(tokens[B,T] int)} or {@code NDList(tokens, alpha[n])} to
 * {@code NDList(logits[B,T,vocab])}. Thread-safe for concurrent forwards while parameters are not
 * being written.
 */
public final class GptModel extends ModelBlock {

    private static final byte VERSION = 1;

    private final ModelConfig config;
    private final int experts;
    private final ExpertRanks ranks;
    private final SoupEmbedding tokenEmbedding;
    private final SoupEmbedding positionEmbedding;
    private final List<Layer> layers = new ArrayList<>();
    private final SoupLayerNorm finalNorm;
    private final Map<String, NDArray> masks = new ConcurrentHashMap<>();
    private NDManager maskManager;

    public GptModel(ModelConfig config, int experts) {
        this(config, experts, ExpertRanks.dense());
    }

    /** A model whose matrices have low-rank experts where {@code ranks} says so. */
    public GptModel(ModelConfig config, int experts, ExpertRanks ranks) {
        super(VERSION);
        this.config = config;
        this.experts = experts;
        this.ranks = ranks;
        TensorLayout layout = TensorLayout.of(config);
        tokenEmbedding = addChildBlock("wte", new SoupEmbedding(layout.spec("wte.weight"), experts, ranks));
        positionEmbedding = addChildBlock("wpe", new SoupEmbedding(layout.spec("wpe.weight"), experts, ranks));
        for (int i = 0; i < config.layers(); i++) {
            layers.add(addChildBlock("h" + i, new Layer("h" + i, layout, experts, ranks)));
        }
        finalNorm = addChildBlock("ln_f", norm(layout, "ln_f", experts));
    }

    private static SoupLayerNorm norm(TensorLayout layout, String name, int experts) {
        return new SoupLayerNorm(
                layout.spec(name + ".gain"), layout.find(name + ".bias").orElse(null), experts);
    }

    private static SoupLinear linear(TensorLayout layout, String name, int experts, ExpertRanks ranks) {
        return new SoupLinear(
                layout.spec(name + ".weight"), layout.find(name + ".bias").orElse(null), experts, ranks);
    }

    /**
     * A plain model (no experts) whose parameters are the given arrays, in {@link #soupTensors()}
     * order: how a soup's instantiated weights run through the specialist's own code. Arrays of
     * shape (m, shape...) make a model of m weight groups: the batch is split into m equal groups
     * on its first axis and group g runs through weights g (every array must have the same m).
     */
    public static GptModel withWeights(ModelConfig config, List<NDArray> values) {
        GptModel m = new GptModel(config, 0);
        List<SoupTensor> ts = m.soupTensors();
        if (ts.size() != values.size()) {
            throw new IllegalArgumentException(
                    "the model has " + ts.size() + " tensors, got " + values.size() + " arrays");
        }
        long groups = -1;
        for (int i = 0; i < ts.size(); i++) {
            long g = ts.get(i).groupsOf(values.get(i));
            if (groups >= 0 && g != groups) {
                throw new IllegalArgumentException("tensor " + ts.get(i).name() + " has " + g
                        + " weight groups where the tensors before it have " + groups);
            }
            groups = g;
            ts.get(i).shared().setArray(values.get(i));
        }
        return m;
    }

    public ModelConfig config() {
        return config;
    }

    public int experts() {
        return experts;
    }

    /** Which matrices have low-rank experts. */
    public ExpertRanks ranks() {
        return ranks;
    }

    /** Every souped tensor of the model, in a fixed order (the order of save files too). */
    public List<SoupTensor> soupTensors() {
        List<SoupTensor> out = new ArrayList<>(tokenEmbedding.soupTensors());
        out.addAll(positionEmbedding.soupTensors());
        for (Layer l : layers) {
            out.addAll(l.soupTensors());
        }
        out.addAll(finalNorm.soupTensors());
        return Collections.unmodifiableList(out);
    }

    /**
     * The number of layer groups a layer-wise alpha has one row for: the embeddings (token and
     * position), each transformer layer, and the final norm ({@code layers + 2}).
     */
    public int layerGroups() {
        return layers.size() + 2;
    }

    /** The layer group of each of {@link #soupTensors()}, in its order (see {@link #layerGroups}). */
    public int[] layerGroupOfTensors() {
        int[] out = new int[soupTensors().size()];
        int i = tokenEmbedding.soupTensors().size()
                + positionEmbedding.soupTensors().size();
        for (int l = 0; l < layers.size(); l++) {
            for (int t = 0; t < layers.get(l).soupTensors().size(); t++) {
                out[i++] = l + 1;
            }
        }
        for (; i < out.length; i++) {
            out[i] = layers.size() + 1;
        }
        return out;
    }

    /**
     * Next-token logits for tokens {@code [B, T]} (T at most the context length) at expert
     * coefficients alpha ({@code null} for a specialist).
     */
    public NDArray logits(NDArray tokens, NDArray alpha) {
        return logits(tokens, alpha, null);
    }

    /** A key/value cache for this model's generation: see {@link #logits(NDArray, NDArray, KvCache)}. */
    public KvCache newCache(NDManager parent) {
        return new KvCache(parent, layers.size(), config.contextLength());
    }

    /**
     * Next-token logits of a specialist (alpha null) for tokens that continue the ones {@code
     * cache} holds: the whole prompt into an empty cache, then one token at a time; the cache then
     * holds these positions too. The logits are those of a forward pass over all the positions
     * held, to float rounding. The positions held may not exceed the context length.
     */
    public NDArray logits(NDArray tokens, NDArray alpha, KvCache cache) {
        Shape s = tokens.getShape();
        if (s.dimension() != 2) {
            throw new IllegalArgumentException("tokens must have shape [batch, time], got " + s);
        }
        int t = (int) s.get(1);
        if (t < 1 || t > config.contextLength()) {
            throw new IllegalArgumentException(
                    "sequence length " + t + " must be in [1, " + config.contextLength() + "]");
        }
        int past = cache == null ? 0 : cache.length();
        if (cache != null) {
            checkCacheUse(alpha, t, past, cache);
        }
        NDArray wte = tokenEmbedding.table(alpha);
        long m = tokenEmbedding.soupTensors().get(0).groupsOf(wte);
        if (m > 0 && s.get(0) % m != 0) {
            throw new IllegalArgumentException(
                    "a batch of " + s.get(0) + " sequences cannot be split into " + m + " equal groups");
        }
        NDArray x = SoupEmbedding.lookup(tokens, wte);
        if (m == 0) {
            x = x.add(positionEmbedding.table(alpha).get(new NDIndex(past + ":" + (past + t))));
        } else {
            NDArray positions = positionEmbedding.table(alpha).get(new NDIndex(":, 0:" + t));
            Shape xs = x.getShape();
            x = x.reshape(m, -1, t, config.dModel())
                    .add(positions.expandDims(1))
                    .reshape(xs);
        }
        // One new position after cached ones reads them all: no mask.
        NDArray mask = past > 0 ? null : causalMask(t, x);
        for (int i = 0; i < layers.size(); i++) {
            x = layers.get(i).apply(x, alpha, mask, cache, i);
        }
        if (cache != null) {
            cache.advance(t);
        }
        x = finalNorm.apply(x, alpha);
        if (m == 0) {
            return x.matMul(wte.transpose());
        }
        // The tied head per group: (m, b T, d) @ (m, d, vocab).
        return x.reshape(m, -1, config.dModel())
                .matMul(wte.transpose(0, 2, 1))
                .reshape(s.get(0), t, config.vocabSize());
    }

    private void checkCacheUse(NDArray alpha, int t, int past, KvCache cache) {
        if (alpha != null) {
            throw new IllegalArgumentException("a key/value cache serves a specialist's generation (alpha null)");
        }
        if (cache.capacity() != config.contextLength()) {
            throw new IllegalArgumentException("the cache was made for a context of " + cache.capacity()
                    + " positions, the model reads " + config.contextLength());
        }
        if (past > 0 && t != 1) {
            throw new IllegalArgumentException(
                    "after the prompt, a cache takes one token at a time, got " + t + " after " + past);
        }
        if (past + t > config.contextLength()) {
            throw new IllegalArgumentException("the cache holds " + past + " positions; " + t
                    + " more exceed the context length " + config.contextLength());
        }
    }

    /**
     * Mean next-token cross-entropy (nats) of sequences {@code [B, T+1]}: predicts positions
     * 1..T from 0..T-1.
     */
    public NDArray loss(NDArray sequences, NDArray alpha) {
        long t1 = sequences.getShape().get(1);
        if (t1 < 2) {
            throw new IllegalArgumentException("sequences need at least 2 tokens, got " + t1);
        }
        NDArray inputs = sequences.get(new NDIndex(":, 0:" + (t1 - 1)));
        NDArray targets = sequences.get(new NDIndex(":, 1:"));
        return crossEntropy(logits(inputs, alpha), targets);
    }

    /** Mean cross-entropy of logits {@code [B,T,V]} against integer targets {@code [B,T]}. */
    public static NDArray crossEntropy(NDArray logits, NDArray targets) {
        NDArray logp = logits.logSoftmax(-1);
        NDArray picked = logp.gather(targets.toType(DataType.INT64, false).expandDims(-1), -1);
        return picked.mean().neg();
    }

    /** Additive causal mask [T, T]: 0 on and below the diagonal, -inf above. Cached per T. */
    private NDArray causalMask(int t, NDArray like) {
        String key = t + "@" + like.getDevice() + "/" + like.getDataType();
        NDArray cached = masks.get(key);
        if (cached != null) {
            return cached;
        }
        synchronized (masks) {
            cached = masks.get(key);
            if (cached == null) {
                if (maskManager == null) {
                    maskManager = like.getManager().getEngine().newBaseManager(like.getDevice());
                }
                float[] m = new float[t * t];
                for (int i = 0; i < t; i++) {
                    for (int j = i + 1; j < t; j++) {
                        m[i * t + j] = Float.NEGATIVE_INFINITY;
                    }
                }
                cached = Djl.engineOwned(maskManager.create(m, new Shape(t, t))).toType(like.getDataType(), false);
                NDScope.unregister(cached);
                masks.put(key, cached);
            }
            return cached;
        }
    }

    /** Frees cached masks; the parameters belong to the manager that created them. */
    public void closeCaches() {
        synchronized (masks) {
            masks.clear();
            if (maskManager != null) {
                maskManager.close();
                maskManager = null;
            }
        }
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray alpha = inputs.size() > 1 ? inputs.get(1) : null;
        return new NDList(logits(inputs.head(), alpha));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputs) {
        return new Shape[] {inputs[0].add(config.vocabSize())};
    }

    /** One transformer layer: x + attn(ln1(x)), then x + mlp(ln2(x)). */
    static final class Layer extends ModelBlock {
        private final int heads;
        private final SoupLayerNorm ln1;
        private final SoupLinear qkv;
        private final SoupLinear attnProj;
        private final SoupLayerNorm ln2;
        private final SoupLinear fc;
        private final SoupLinear fcProj;

        Layer(String name, TensorLayout layout, int experts, ExpertRanks ranks) {
            super(VERSION);
            heads = layout.config().heads();
            ln1 = addChildBlock("ln_1", norm(layout, name + ".ln_1", experts));
            qkv = addChildBlock("qkv", linear(layout, name + ".attn.qkv", experts, ranks));
            attnProj = addChildBlock("attn_proj", linear(layout, name + ".attn.proj", experts, ranks));
            ln2 = addChildBlock("ln_2", norm(layout, name + ".ln_2", experts));
            fc = addChildBlock("fc", linear(layout, name + ".mlp.fc", experts, ranks));
            fcProj = addChildBlock("fc_proj", linear(layout, name + ".mlp.proj", experts, ranks));
        }

        List<SoupTensor> soupTensors() {
            List<SoupTensor> out = new ArrayList<>();
            for (AbstractSoupBlock b : List.of(ln1, qkv, attnProj, ln2, fc, fcProj)) {
                out.addAll(b.soupTensors());
            }
            return out;
        }

        NDArray apply(NDArray x, NDArray alpha, NDArray mask, KvCache cache, int index) {
            x = x.add(attention(ln1.apply(x, alpha), alpha, mask, cache, index));
            NDArray h = Activation.gelu(fc.apply(ln2.apply(x, alpha), alpha));
            return x.add(fcProj.apply(h, alpha));
        }

        private NDArray attention(NDArray x, NDArray alpha, NDArray mask, KvCache cache, int index) {
            Shape s = x.getShape();
            long b = s.get(0);
            long t = s.get(1);
            long d = s.get(2);
            long hd = d / heads;
            NDList qkvParts = qkv.apply(x, alpha).split(3, 2);
            // [B, T, H, hd] -> [B, H, T, hd]
            NDArray q = qkvParts.get(0).reshape(b, t, heads, hd).transpose(0, 2, 1, 3);
            NDArray k = qkvParts.get(1).reshape(b, t, heads, hd).transpose(0, 2, 3, 1);
            NDArray v = qkvParts.get(2).reshape(b, t, heads, hd).transpose(0, 2, 1, 3);
            if (cache != null) {
                if (cache.keys(index) != null) {
                    k = cache.keys(index).concat(k, 3);
                    v = cache.values(index).concat(v, 2);
                }
                cache.put(index, k, v);
            }
            NDArray scores = q.matMul(k).mul(Djl.scalar(q, 1.0 / Math.sqrt(hd)));
            NDArray att = (mask == null ? scores : scores.add(mask)).softmax(-1);
            NDArray y = att.matMul(v).transpose(0, 2, 1, 3).reshape(b, t, d);
            return attnProj.apply(y, alpha);
        }

        @Override
        protected NDList forwardInternal(
                ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> p) {
            throw new UnsupportedOperationException("a GPT layer runs inside GptModel, which supplies its causal mask");
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputs) {
            return new Shape[] {inputs[0]};
        }
    }
}
