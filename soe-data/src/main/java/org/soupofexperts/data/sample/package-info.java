/**
 * Batch sources over token streams (domain-weighted window sampling) and the meta-distributions
 * from which training draws domain weights h.
 */
package org.soupofexperts.data.sample;
