package dev.simdnorm;

import java.util.Arrays;

/**
 * One consistent state of a {@link BatchNorm}'s parameters ({@link BatchNorm#parameters()}). Immutable: the arrays are
 * copied in and out.
 *
 * @param gamma           γ, one per channel
 * @param beta            β, one per channel
 * @param runningMean     the running mean, one per channel
 * @param runningVariance the running (population) variance, one per channel
 * @param batchesTracked  training steps taken (PyTorch's {@code num_batches_tracked})
 */
public record BatchNormParameters(float[] gamma, float[] beta, float[] runningMean, float[] runningVariance,
                                  long batchesTracked) {

    /** Copies the arrays. */
    public BatchNormParameters {
        gamma = gamma.clone();
        beta = beta.clone();
        runningMean = runningMean.clone();
        runningVariance = runningVariance.clone();
    }

    /**
     * Returns a copy of γ.
     *
     * @return γ
     */
    @Override
    public float[] gamma() {
        return gamma.clone();
    }

    /**
     * Returns a copy of β.
     *
     * @return β
     */
    @Override
    public float[] beta() {
        return beta.clone();
    }

    /**
     * Returns a copy of the running mean.
     *
     * @return the running mean
     */
    @Override
    public float[] runningMean() {
        return runningMean.clone();
    }

    /**
     * Returns a copy of the running variance.
     *
     * @return the running variance
     */
    @Override
    public float[] runningVariance() {
        return runningVariance.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BatchNormParameters p && batchesTracked == p.batchesTracked && Arrays.equals(gamma, p.gamma)
                && Arrays.equals(beta, p.beta) && Arrays.equals(runningMean, p.runningMean)
                && Arrays.equals(runningVariance, p.runningVariance);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(gamma) * 31 + Arrays.hashCode(runningMean) + Long.hashCode(batchesTracked);
    }

    @Override
    public String toString() {
        return "BatchNormParameters[gamma=" + Arrays.toString(gamma) + ", beta=" + Arrays.toString(beta)
                + ", runningMean=" + Arrays.toString(runningMean) + ", runningVariance="
                + Arrays.toString(runningVariance) + ", batchesTracked=" + batchesTracked + "]";
    }
}
