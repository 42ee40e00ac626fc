/**
 * Fine-tuning a model on one set of documents in one call, with early stopping.
 */
package org.soupofexperts.data.finetune;
