/**
 * Training, as a user sets it up and reads it back: the configuration ({@code TrainingPlan},
 * {@code TrainingSettings}), the report, early stopping, the checkpoint policy and the run's
 * checkpoint folder ({@code CheckpointFolder}: list, latest, delete). Its rooms: {@code
 * train.listener} (step events, listeners and the specialization probe; exported), and, private
 * to soe-core, {@code train.checkpoint} (checkpoint files with exact resume), {@code
 * train.optimizer} (AdamW and its fused kernel) and {@code train.loop} (the loop and its step
 * algorithms).
 */
package org.soupofexperts.core.train;
