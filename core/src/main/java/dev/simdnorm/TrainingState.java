package dev.simdnorm;

import dev.simdnorm.internal.AffineParams;
import dev.simdnorm.internal.GradientParams;
import dev.simdnorm.internal.LanePeriod;

import java.util.Arrays;

/**
 * A {@link BatchNorm}'s working arrays for training and the backward passes, made at the first of them and reused
 * under the layer's lock, so that a step allocates nothing but what it returns. It also caches the training map's
 * shift: β laid out, redone only when β changes.
 */
final class TrainingState {

    private final int channels;
    /** The batch moments of the step, in double. */
    final double[] mean;
    final double[] m2;
    /** The batch's biased variance in double, {@code m2/n}. */
    final double[] variance;
    /** The batch statistics in float, as the convention's running update takes them. */
    final float[] batchMean;
    final float[] batchVariance;
    /** The training map: center (hi/lo), scale and shift, laid out. */
    private final AffineParams map;
    /** Whether the map's shift must be laid out from β again before the next fill. */
    private boolean shiftStale = true;
    /** The backward pass's sums and coefficients. */
    final double[] sumG;
    final double[] sumVG;
    /** The training correction's coefficients in double, before their rounding into {@link #correction}. */
    final double[] deviationScale;
    final double[] offset;
    /** The backward pass's √(σ² + ε) per channel. */
    final double[] root;
    final GradientParams correction;

    TrainingState(int channels) {
        this.channels = channels;
        mean = new double[channels];
        m2 = new double[channels];
        variance = new double[channels];
        batchMean = new float[channels];
        batchVariance = new float[channels];
        map = new AffineParams(channels);
        sumG = new double[channels];
        sumVG = new double[channels];
        deviationScale = new double[channels];
        offset = new double[channels];
        root = new double[channels];
        correction = new GradientParams(channels);
    }

    /** The training map of the batch moments in {@link #mean} and {@link #m2} over {@code count} values. */
    AffineParams map(long count, float[] gamma, float[] beta, float epsilon) {
        for (int c = 0; c < channels; c++) {
            variance[c] = m2[c] / count;
        }
        return map(mean, variance, count, gamma, beta, epsilon);
    }

    /** The training map of the given batch mean and variance over {@code count} values. */
    AffineParams map(double[] mean, double[] variance, long count, float[] gamma, float[] beta, float epsilon) {
        if (shiftStale) {
            System.arraycopy(beta, 0, map.shift(), 0, channels);
            LanePeriod.repeat(map.shift(), channels, map.period());
            shiftStale = false;
        }
        ChannelAffine.training(map, mean, variance, count, gamma, epsilon);
        return map;
    }

    /** β changed: lay it out again before the next map. */
    void parametersChanged() {
        shiftStale = true;
    }

    /** Fills {@link #batchMean} and {@link #batchVariance} as the convention reports the batch. */
    void batchStatistics(long count, boolean unbiased) {
        for (int c = 0; c < channels; c++) {
            batchMean[c] = (float) mean[c];
        }
        if (unbiased && count <= 1) {
            Arrays.fill(batchVariance, Float.NaN);
            return;
        }
        double divisor = unbiased ? count - 1 : count; // decided once: loops without branches
        for (int c = 0; c < channels; c++) {
            batchVariance[c] = (float) (m2[c] / divisor);
        }
    }

    /** The step's moments, as returned to the caller: copies. */
    Moments moments(long count) {
        return Moments.wrap(count, mean.clone(), m2.clone());
    }
}
