package org.soupofexperts.core.train.step;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.soupofexperts.core.internal.Djl;
import org.soupofexperts.core.nn.GptModel;
import org.soupofexperts.core.nn.Router;
import org.soupofexperts.core.train.optimizer.AdamW;
import org.soupofexperts.core.train.optimizer.ParameterSlots;

/**
 * What every step algorithm works on, declared once: the run's model, its router (null for a
 * dense model), the manager holding its parameters, their optimizer slots, the optimizer, the
 * gradient clip, and the clock that times the step's phases. Not thread-safe; owned by one run.
 */
abstract class BaseStep implements SoupStep {

    protected final GptModel model;
    protected final Router router;
    protected final NDManager manager;
    protected final ParameterSlots slots;
    protected final AdamW opt;
    protected final double clip;
    protected PhaseClock clock = PhaseClock.OFF;

    BaseStep(StepParts p) {
        this.model = p.model();
        this.router = p.router();
        this.manager = p.manager();
        this.slots = p.slots();
        this.opt = p.opt();
        this.clip = p.clip();
    }

    @Override
    public void timeWith(PhaseClock c) {
        this.clock = c;
    }

    /** The m groups' h as one array: shape (k) for one group (the one-h step), (m, k) otherwise. */
    static NDArray domainWeights(NDManager manager, double[][] hs) {
        if (hs.length == 1) {
            return Djl.engineOwned(manager.create(Djl.floats(hs[0])));
        }
        int k = hs[0].length;
        float[] flat = new float[hs.length * k];
        for (int g = 0; g < hs.length; g++) {
            System.arraycopy(Djl.floats(hs[g]), 0, flat, g * k, k);
        }
        return Djl.engineOwned(manager.create(flat, new Shape(hs.length, k)));
    }
}
