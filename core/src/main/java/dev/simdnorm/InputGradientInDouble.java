package dev.simdnorm;

import dev.simdnorm.internal.AffineParams;
import dev.simdnorm.internal.GradientParams;
import dev.simdnorm.internal.ScalarKernel;

/**
 * dx of a backward pass where float cannot carry a channel's deviations or coefficients, in batches whose values
 * spread near float's limits: a deviation {@code x − μ} that overflows float (a center of at least 2¹⁰³,
 * {@link AffineParams#WIDE_CENTER}), which the kernels turn into NaN ({@code ∞·0}) or ±Inf, or, in training, a
 * deviation coefficient {@code −k·Σvg/(n·(σ² + ε))} below float's normal range, whose absolute error of up to 2⁻¹⁵⁰
 * the deviation multiplies (by up to 2¹²⁸; on three values ±3e38 the kernels' dx lost the term whole), or a
 * coefficient {@code −k·Σvg/(n·(σ² + ε))} or {@code −k·Σg/n} beyond float's range, which the kernels take as ±Inf
 * where dx is finite (an upstream gradient of 1.1e37 on a constant channel, k ≈ 31.6: dx −Inf for 0), or
 * coefficients in range whose correction {@code v·k₁ + k₂} may pass it, which the kernels round to ±Inf before adding
 * {@code g·k} (dy ±2.5e38 on x = 1, 0, −1: dx −Inf where it is −1.0e38). Where a channel is so, the call takes dx
 * element by element on one thread: that channel's elements as {@code g·k + (v·k₁ + k₂)} in double with the
 * coefficients in double, rounded once, its ReLU mask from the forward output as {@link DeviationOverflow} computes
 * it; every other element by the kernels' operations, so with their bits. Other calls pay a test per channel.
 */
final class InputGradientInDouble {

    private InputGradientInDouble() {
    }

    /**
     * Whether channel c needs the double path.
     *
     * @param deviationScale the channel's {@code −k·Σvg/(n·(σ² + ε))} in double, or 0 for a frozen backward pass
     * @param offset         the channel's {@code −k·Σg/n} in double, or 0 for a frozen backward pass
     * @param deviations     {@code n·σ²}, at least any deviation's square: the batch's M2 (a value's squared
     *                       deviation is one term of it)
     */
    static boolean needed(AffineParams forward, int c, double deviationScale, double offset, double deviations) {
        float center = forward.center()[c];
        return Math.abs(center) >= AffineParams.WIDE_CENTER && Float.isFinite(center)
                || deviationScale != 0 && Math.abs(deviationScale) < Float.MIN_NORMAL
                || beyondFloat(deviationScale) || beyondFloat(offset)
                || correctionMayOverflow(deviationScale, offset, deviations);
    }

    /**
     * Whether {@code |v·k₁ + k₂|}, with |v| ≤ √(n·σ²), may reach float's overflow threshold. The margin 2⁻²⁰ covers
     * the float roundings of v, k₁ and k₂ in the kernels (each a few 2⁻²⁴ relative) and the error of M2 itself, far
     * below it unless a single outlier among half a million near-equal values carries the whole variance.
     */
    private static boolean correctionMayOverflow(double deviationScale, double offset, double deviations) {
        double bound = Math.abs(deviationScale) * Math.sqrt(deviations) * (1 + 0x1p-20) + Math.abs(offset);
        return Double.isFinite(bound) && bound >= Float.MAX_VALUE;
    }

    /** A finite double that rounds to an infinite float. */
    private static boolean beyondFloat(double value) {
        return Double.isFinite(value) && Float.isInfinite((float) value);
    }

    /**
     * dx over {@code rows} NHWC rows of a batch of {@code batchRows}, the channels where {@link #needed} in double.
     *
     * @param correction     the coefficients in float, laid out, or null for a frozen backward pass ({@code dx = g·k})
     * @param deviationScale per channel, {@code −k·Σvg/(n·(σ² + ε))} in double (training)
     * @param offset         per channel, {@code −k·Σg/n} in double (training)
     * @param variance       per channel, the σ² of the forward map (training)
     */
    static void inputGradient(float[] x, int xOffset, float[] dy, int dyOffset, float[] dx, int dxOffset, int rows,
                              int batchRows, AffineParams f, GradientParams correction, double[] deviationScale,
                              double[] offset, double[] variance, boolean relu) {
        int channels = f.channels();
        float[] hi = f.center();
        float[] lo = f.centerLow();
        float[] scale = f.scale();
        // Element i of x and dy is read before element i of dx is written: dx is x, dy, or apart from both.
        for (int r = 0, base = 0; r < rows; r++, base += channels) {
            for (int c = 0; c < channels; c++) {
                float xi = x[xOffset + base + c];
                // The mask from the forward output: the kernels' where the deviation does not overflow.
                float g = relu ? ScalarKernel.reluGradient(dy[dyOffset + base + c], f.output(xi, c))
                        : dy[dyOffset + base + c];
                double k1 = correction == null ? 0 : deviationScale[c];
                if (correction == null) {
                    dx[dxOffset + base + c] = g * scale[c];
                } else if (needed(f, c, k1, offset[c], batchRows * variance[c])) {
                    double vd = ((double) xi - hi[c]) - lo[c];
                    dx[dxOffset + base + c] = (float) ((double) g * scale[c] + (vd * k1 + offset[c]));
                } else {
                    float v = (xi - hi[c]) - lo[c];
                    dx[dxOffset + base + c] = Math.fma(g, scale[c], Math.fma(v, correction.deviationScale()[c],
                            correction.offset()[c]));
                }
            }
        }
    }
}
