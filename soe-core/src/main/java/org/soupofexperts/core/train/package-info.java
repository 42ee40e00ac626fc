/**
 * Training, as a user sets it up and reads it back: the configuration ({@code TrainingPlan}, its
 * builder's {@code TrainingSettings}, and its records {@code LearningRateSchedule}, {@code
 * AdamWSettings}, {@code SoupStepSettings}), the report, early stopping, the checkpoint policy and
 * the run's checkpoint folder ({@code CheckpointFolder}: list, latest, delete). Its rooms: {@code
 * train.listener} (step events, listeners and the specialization probe; exported), and, private
 * to soe-core, {@code train.checkpoint} (checkpoint files with exact resume), {@code
 * train.optimizer} (AdamW and its fused kernel), {@code train.step} (the step algorithms) and
 * {@code train.loop} (the loop, its accounts and early stopping).
 */
package org.soupofexperts.core.train;
