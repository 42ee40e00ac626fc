/**
 * The training loop and its step algorithms (closed-form soup step, autograd step, data-parallel
 * step), group batches and phase timers. Private to soe-core (not exported): users start a run by
 * {@code SoupOfExperts.train} or {@code DenseModel.train}.
 */
package org.soupofexperts.core.train.loop;
