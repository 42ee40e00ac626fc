/**
 * AdamW over a model's parameter slots (shared weights, expert banks, router), with the fused
 * update that runs Java loops over LibTorch memory. Private to soe-core (not exported).
 */
package org.soupofexperts.core.train.optimizer;
