package org.soupofexperts.data.finetune;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.batch.TokenBatch;

/**
 * Gradient descent on a layer-wise alpha (one row of expert coefficients per layer group, {@link
 * SoupOfExperts#instantiateLayerAlpha}), every row kept on the simplex by a softmax over its own
 * logits: Adam on the logits, full batch over fixed windows, from one alpha in every row. Each row
 * stays where a softmax router's alpha lives (where the soup trained) while the layers part ways.
 * The rows with the lowest loss seen are returned, so the result is never worse than the start on
 * the windows. A deadline that passes, or a gradient lock not free before it, ends the descent
 * between two batches of windows; a step cut short counts for nothing. Not thread-safe (one
 * descent per instance); package-private, run by {@link DomainWeightFit}.
 */
final class LayerAlphaDescent {

    private static final double BETA1 = 0.9;
    private static final double BETA2 = 0.999;
    private static final double EPS = 1e-8;
    /** Floor on a start coefficient before its log: a softmax reaches no exact zero. */
    private static final double FLOOR = 1e-8;

    /**
     * The rows with the lowest loss seen (null when no loss was computed), that loss (nats per
     * token), the Adam steps taken, whether the deadline ended the descent, and the step whose
     * rows are returned (0: the start's, -1: none).
     */
    record Outcome(double[][] alpha, double loss, int steps, boolean stoppedEarly, int bestStep) {}

    private final SoupOfExperts soup;
    private final List<TokenBatch> batches;
    private final long tokens;

    LayerAlphaDescent(SoupOfExperts soup, List<TokenBatch> batches) {
        this.soup = soup;
        this.batches = batches;
        long t = 0;
        for (TokenBatch b : batches) {
            t += (long) b.batchSize() * (b.length() - 1);
        }
        this.tokens = t;
    }

    /**
     * {@code steps} Adam steps of size {@code rate} on the logits, from {@code start} (on the
     * simplex) in all rows, until the deadline.
     */
    Outcome run(double[] start, int steps, double rate, DomainWeightFit.Deadline deadline) {
        int groups = soup.layerGroups();
        int n = start.length;
        double[][] z = new double[groups][n];
        for (double[] row : z) {
            for (int j = 0; j < n; j++) {
                row[j] = Math.log(Math.max(start[j], FLOOR));
            }
        }
        double[][] m = new double[groups][n];
        double[][] v = new double[groups][n];
        double[][] best = null;
        double bestLoss = Double.POSITIVE_INFINITY;
        int bestStep = -1;
        for (int step = 0; step <= steps; step++) {
            double[][] alpha = softmaxRows(z);
            double[][] grad = new double[groups][n];
            Double at = lossAndGradient(alpha, grad, deadline);
            if (at == null) {
                return new Outcome(best, bestLoss, step, true, bestStep);
            }
            double loss = at;
            if (!Double.isFinite(loss)) {
                throw new IllegalStateException(
                        "the soup's loss at a layer-wise alpha is " + loss + "; are the soup's weights finite?");
            }
            if (loss < bestLoss) {
                bestLoss = loss;
                best = alpha;
                bestStep = step;
            }
            if (step == steps) {
                return new Outcome(best, bestLoss, steps, false, bestStep);
            }
            adam(z, m, v, logitGradient(alpha, grad), rate, step + 1);
        }
        throw new AssertionError("unreachable");
    }

    /**
     * Token-weighted mean loss over the windows; {@code grad} receives d loss / d alpha. Null when
     * the deadline passed (or the gradient lock was not free before it) before the last batch.
     */
    private Double lossAndGradient(double[][] alpha, double[][] grad, DomainWeightFit.Deadline deadline) {
        double sum = 0;
        for (TokenBatch b : batches) {
            if (deadline.passed()) {
                return null;
            }
            double w = (double) b.batchSize() * (b.length() - 1) / tokens;
            Optional<SoupOfExperts.LayerAlphaLoss> got =
                    soup.layerAlphaLoss(b, alpha, Duration.ofNanos(deadline.remainingNanos()));
            if (got.isEmpty()) {
                return null;
            }
            SoupOfExperts.LayerAlphaLoss l = got.get();
            sum += w * l.loss();
            double[][] g = l.gradient();
            for (int r = 0; r < grad.length; r++) {
                for (int j = 0; j < grad[r].length; j++) {
                    grad[r][j] += w * g[r][j];
                }
            }
        }
        return sum;
    }

    static double[][] softmaxRows(double[][] z) {
        double[][] out = new double[z.length][];
        for (int r = 0; r < z.length; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (double x : z[r]) {
                max = Math.max(max, x);
            }
            double total = 0;
            out[r] = new double[z[r].length];
            for (int j = 0; j < z[r].length; j++) {
                out[r][j] = Math.exp(z[r][j] - max);
                total += out[r][j];
            }
            for (int j = 0; j < out[r].length; j++) {
                out[r][j] /= total;
            }
        }
        return out;
    }

    /** d loss / d z through each row's softmax: a_j (g_j - sum_k a_k g_k). */
    static double[][] logitGradient(double[][] alpha, double[][] grad) {
        double[][] out = new double[alpha.length][];
        for (int r = 0; r < alpha.length; r++) {
            double mean = 0;
            for (int j = 0; j < alpha[r].length; j++) {
                mean += alpha[r][j] * grad[r][j];
            }
            out[r] = new double[alpha[r].length];
            for (int j = 0; j < alpha[r].length; j++) {
                out[r][j] = alpha[r][j] * (grad[r][j] - mean);
            }
        }
        return out;
    }

    private static void adam(double[][] z, double[][] m, double[][] v, double[][] g, double rate, int t) {
        double c1 = 1 - Math.pow(BETA1, t);
        double c2 = 1 - Math.pow(BETA2, t);
        for (int r = 0; r < z.length; r++) {
            for (int j = 0; j < z[r].length; j++) {
                m[r][j] = BETA1 * m[r][j] + (1 - BETA1) * g[r][j];
                v[r][j] = BETA2 * v[r][j] + (1 - BETA2) * g[r][j] * g[r][j];
                z[r][j] -= rate * (m[r][j] / c1) / (Math.sqrt(v[r][j] / c2) + EPS);
            }
        }
    }
}
