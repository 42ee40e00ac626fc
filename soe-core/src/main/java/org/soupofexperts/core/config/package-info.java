/**
 * What a model and a soup are, as immutable values with builders: {@code ModelConfig} (the GPT
 * base: vocabulary, layers, width, heads, context), {@code SoupConfig} (a base model, k domains, n
 * experts, their rank and initialisation, the router, the mandatory seed), {@code RouterConfig},
 * and the small values they are made of ({@code DomainWeights} h on the simplex and the
 * {@code DomainAssigner} that estimates it for a set of documents, {@code Seeds}
 * split into named streams, {@code TensorLayout} and {@code TensorSpec}, the shapes and
 * initialisation of every tensor). Nothing here touches the engine: a config can be built, checked
 * and written without LibTorch.
 */
package org.soupofexperts.core.config;
