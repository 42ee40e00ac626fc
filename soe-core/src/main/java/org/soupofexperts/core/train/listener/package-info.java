/**
 * What a training run reports while it runs, as DJL's {@code ai.djl.training.listener}: {@link
 * org.soupofexperts.core.train.listener.StepListener} gets a {@link
 * org.soupofexperts.core.train.listener.StepEvent} per step (loss, learning rate, the domain
 * weights drawn), and {@link org.soupofexperts.core.train.listener.SpecializationProbe} measures,
 * every so many steps, how much h matters on chosen domains ({@link
 * org.soupofexperts.core.train.listener.SpecializationPoint}).
 */
package org.soupofexperts.core.train.listener;
