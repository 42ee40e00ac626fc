package org.soupofexperts.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;
import org.soupofexperts.core.config.RouterConfig;

/**
 * The router MLP: domain weights h (length k) to expert coefficients alpha (length n). Its
 * layers are plain {@link SoupLinear} blocks (no experts). Forward: {@code NDList(h[k])} to
 * {@code NDList(alpha[n])}. Thread-safe for concurrent forwards while not being trained.
 */
public final class Router extends ModelBlock {

    private static final byte VERSION = 1;

    private final int domains;
    private final int experts;
    private final RouterConfig config;
    private final List<SoupLinear> layers = new ArrayList<>();

    /** The router MLP from k domain weights to n expert coefficients. */
    public Router(int domains, int experts, RouterConfig config) {
        super(VERSION);
        if (domains < 1) {
            throw new IllegalArgumentException("number of domains k must be >= 1, got " + domains);
        }
        if (experts < 1) {
            throw new IllegalArgumentException("number of experts n must be >= 1, got " + experts);
        }
        this.domains = domains;
        this.experts = experts;
        this.config = config;
        int in = domains;
        for (int i = 0; i < config.depth(); i++) {
            layers.add(addChildBlock(
                    "fc" + i, new SoupLinear("router.fc" + i, in, config.hidden(), true, 0, 1.0 / Math.sqrt(in))));
            in = config.hidden();
        }
        layers.add(addChildBlock(
                "out", new SoupLinear("router.out", in, experts, true, 0, config.outputInitScale() / Math.sqrt(in))));
    }

    /**
     * alpha for one h (a float vector of length k, giving alpha of length n) or for m of them at
     * once (h of shape (m, k), giving alpha of shape (m, n), row g for h_g).
     */
    public NDArray alpha(NDArray h) {
        boolean batched = h.getShape().dimension() == 2;
        if (batched ? h.getShape().get(1) != domains : h.size() != domains) {
            throw new IllegalArgumentException("router expects h of length " + domains + " (or shape (m, " + domains
                    + ")), got shape " + h.getShape());
        }
        NDArray x = batched ? h : h.reshape(1, domains);
        for (int i = 0; i < layers.size() - 1; i++) {
            x = Activation.gelu(layers.get(i).apply(x, null));
        }
        NDArray out = layers.get(layers.size() - 1).apply(x, null);
        out = batched ? out : out.reshape(experts);
        return config.output() == RouterConfig.Output.SOFTMAX ? out.softmax(-1) : out;
    }

    /** The router's tensors (all plain, no bank). */
    public List<SoupTensor> soupTensors() {
        List<SoupTensor> out = new ArrayList<>();
        for (SoupLinear l : layers) {
            out.addAll(l.soupTensors());
        }
        return out;
    }

    /** The number of domains k of the h it maps. */
    public int numDomains() {
        return domains;
    }

    /** The router's width, depth and output. */
    public RouterConfig config() {
        return config;
    }

    public int experts() {
        return experts;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> p) {
        return new NDList(alpha(inputs.head()));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputs) {
        return new Shape[] {new Shape(experts)};
    }
}
