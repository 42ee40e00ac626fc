package org.soupofexperts.core.train.listener;

/**
 * Receives progress during training, on the training thread, after every step. Keep it cheap:
 * it runs inside the step loop.
 */
@FunctionalInterface
public interface StepListener {
    void onStep(StepEvent event);
}
