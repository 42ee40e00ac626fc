/**
 * The model, written once: DJL blocks whose every tensor is {@code S + sum_j alpha_j E_j} (dense or
 * low-rank experts) or a plain tensor (a specialist), the GPT model over them, and the router that
 * maps domain weights h to expert coefficients alpha.
 */
package org.soupofexperts.core.nn;
