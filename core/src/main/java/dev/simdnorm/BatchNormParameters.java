package dev.simdnorm;

import java.util.Arrays;

/**
 * One consistent state of a {@link BatchNorm}'s parameters ({@link BatchNorm#parameters()}), loaded back at once by
 * {@link BatchNorm#setParameters}. Immutable, so thread-safe: the arrays are copied in and out. The constructor
 * checks the shape (no null array, one length for all four, at least 1, a step count ≥ 0); the values are checked
 * where they are loaded, since a layer trained on non-finite data holds non-finite running statistics.
 *
 * @param gamma           γ, one per channel
 * @param beta            β, one per channel
 * @param runningMean     the running mean, one per channel
 * @param runningVariance the running (population) variance, one per channel
 * @param batchesTracked  training steps taken (PyTorch's {@code num_batches_tracked})
 */
public record BatchNormParameters(float[] gamma, float[] beta, float[] runningMean, float[] runningVariance,
                                  long batchesTracked) {

    /**
     * Copies the arrays.
     *
     * @throws NullPointerException     if an array is null
     * @throws IllegalArgumentException if the arrays are empty or not all of one length, or {@code batchesTracked < 0}
     */
    public BatchNormParameters {
        gamma = Check.notNull(gamma, "gamma").clone();
        beta = Check.notNull(beta, "beta").clone();
        runningMean = Check.notNull(runningMean, "runningMean").clone();
        runningVariance = Check.notNull(runningVariance, "runningVariance").clone();
        int c = gamma.length;
        if (c == 0 || beta.length != c || runningMean.length != c || runningVariance.length != c) {
            throw new IllegalArgumentException("gamma, beta, runningMean and runningVariance must have one length, at"
                    + " least 1; got " + c + ", " + beta.length + ", " + runningMean.length + ", "
                    + runningVariance.length);
        }
        if (batchesTracked < 0) {
            throw new IllegalArgumentException("batchesTracked must be >= 0, got " + batchesTracked);
        }
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
