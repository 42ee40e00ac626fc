/**
 * The training loop: each step's domain weights and group batches, the listeners, the log, the
 * specialization probe, early stopping and checkpoints around the step algorithms of {@code
 * train.step}. Private to soe-core (not exported): users start a run by {@code
 * SoupOfExperts.train} or {@code DenseModel.train}.
 */
package org.soupofexperts.core.train.loop;
