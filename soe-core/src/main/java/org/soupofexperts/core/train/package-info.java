/**
 * Training: the loop ({@code TrainingLoop}), its configuration and report, the closed-form soup step,
 * the fused AdamW update, batches and batch sources, meta-distributions over h, early stopping,
 * the specialization probe, and checkpoints with exact resume.
 */
package org.soupofexperts.core.train;
