/**
 * Training, as a user sets it up and reads it back: the configuration ({@code SoupTrainingConfig},
 * {@code TrainingSettings}), the report, step events and listeners, early stopping, the
 * specialization probe and the checkpoint policy. Its rooms: {@code train.checkpoint} (checkpoint
 * files with exact resume; exported), {@code train.optimizer} (AdamW and its fused kernel) and
 * {@code train.loop} (the loop and its step algorithms), the last two private to soe-core.
 */
package org.soupofexperts.core.train;
