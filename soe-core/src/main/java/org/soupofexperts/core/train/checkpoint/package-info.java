/**
 * Checkpoints: the whole training state (parameters, AdamW moments, step, data streams, history)
 * written atomically and read back so that a run resumes bit for bit; {@code Checkpoints} finds
 * and removes a run's checkpoints.
 */
package org.soupofexperts.core.train.checkpoint;
