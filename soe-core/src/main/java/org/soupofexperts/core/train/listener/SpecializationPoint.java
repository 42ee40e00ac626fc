package org.soupofexperts.core.train.listener;

/**
 * One measurement of a {@link SpecializationProbe}. Losses in nats/token on the probe's held-out
 * batches. Immutable by convention (do not modify the arrays).
 *
 * @param step steps done when it was measured (0 = before training)
 * @param hMatters mean over domains of {@code referenceLoss - ownLoss}: how much the soup gains by
 *     being told the domain (about 0 for a soup that ignores h)
 * @param hMattersPerDomain {@code referenceLoss[d] - ownLoss[d]}
 * @param ownLoss loss of domain d's batch at domain d's own h
 * @param referenceLoss loss of domain d's batch at the reference (natural) h
 * @param alphaSpread mean L1 distance between alpha(h_d) and alpha(reference)
 * @param expertCosine mean |cosine| between pairs of non-zero experts (NaN while all are zero)
 */
public record SpecializationPoint(
        int step,
        double hMatters,
        double[] hMattersPerDomain,
        double[] ownLoss,
        double[] referenceLoss,
        double alphaSpread,
        double expertCosine) {

    @Override
    public String toString() {
        return String.format(
                "step %d: h matters %.4f nats/token, alpha spread %.4f, expert cosine %.3f",
                step, hMatters, alphaSpread, expertCosine);
    }
}
