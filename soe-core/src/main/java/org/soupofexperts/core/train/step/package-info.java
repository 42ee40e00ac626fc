/**
 * The step algorithms of a training run: the closed-form soup step (the banks' gradients formed
 * without an n x P gradient, the experts' update inside the fused AdamW pass), the autograd step,
 * the data-parallel step, and the clock that times a step's phases. Private to soe-core (not
 * exported); {@code train.loop} runs them.
 */
package org.soupofexperts.core.train.step;
