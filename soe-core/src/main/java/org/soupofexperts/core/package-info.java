/**
 * The facade and what a soup is: {@link org.soupofexperts.core.SoupOfExperts} (shared parameters,
 * expert banks and router; create, train, instantiate, save, load), {@link
 * org.soupofexperts.core.Specialist} (a plain model of base size, from a soup or trained directly),
 * their configs ({@code ModelConfig}, {@code SoupConfig}, {@code RouterConfig}, {@code ExpertRanks}),
 * domain weights and labels, the specialist cache, and text generation.
 */
package org.soupofexperts.core;
