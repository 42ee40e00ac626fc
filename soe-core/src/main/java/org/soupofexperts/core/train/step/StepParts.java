package org.soupofexperts.core.train.step;

import ai.djl.ndarray.NDManager;
import org.soupofexperts.core.nn.GptModel;
import org.soupofexperts.core.nn.Router;
import org.soupofexperts.core.train.optimizer.AdamW;
import org.soupofexperts.core.train.optimizer.ParameterSlots;

/**
 * What every step algorithm works on: the run's model, its router (null for a dense model), the
 * manager holding its parameters, their optimizer slots, the optimizer and the gradient clip.
 */
record StepParts(GptModel model, Router router, NDManager manager, ParameterSlots slots, AdamW opt, double clip) {}
