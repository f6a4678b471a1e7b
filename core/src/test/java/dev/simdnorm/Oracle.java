package dev.simdnorm;

import dev.simdnorm.internal.LanePeriod;
import dev.simdnorm.internal.PlaneStatistics;

import java.util.function.IntBinaryOperator;
import java.util.function.IntUnaryOperator;

/**
 * Double-precision references and the error bounds the tests hold the kernels to.
 *
 * <p>Error analysis of the statistics algorithm ({@code Statistics}, docs/numerics.md). Per block of n_b =
 * {@link Layout#blockRows} rows a channel sums {@code d = fl(x − c)} and {@code d²} in float around a float center c:
 * λ = {@link Layout#accumulatorsPerChannel} accumulators of at most {@link Layout#ACCUMULATED} terms each, then the λ
 * partial sums. Summing k terms in any order errs by at most {@code (k−1)·u·Σ|terms|} (Higham 2002, §4.2;
 * u = 2⁻²⁴), so with K = ACCUMULATED + λ: r = Σd errs by at most {@code K·u·Σ|d|} (d's own rounding included) and
 * q = Σd² by {@code (K+2)·u·Σd²}.
 *
 * <p>Whichever center the algorithm kept, {@code S = Σ(x − c)²} is at most {@code 8/7·M2_b} (a one-pass center is
 * kept only if 8r²/n ≤ q; 1.15 allows for the rounding of that test) or {@code M2_b + n_b·δ²} (a two-pass center,
 * off the block mean μ_b by at most δ = u·|μ_b| + K·u·Σ|x − c₁|/n_b ≤ u·|μ_b| + K·u·R, c₁ being the one-pass
 * center, a mean of earlier values and so within the channel's range R); and {@code Σ|x − c| ≤ √(n_b·S)}. So the block's sum
 * errs by at most {@code K·u·√(n_b·S)}, its M2 = q − r²/n_b by {@code (K+2)·u·S + 2K·u·S} (the second term from the
 * correction, |r|/n_b = |μ_b − c| ≤ √(S/n_b)), and folding the blocks in double (2⁻²⁹ times finer) adds
 * {@code 2|μ_b − μ|·K·u·√(n_b·S)}: the total M2 moves by 2(μ_b − μ) per unit error in a block's sum. Rounding the
 * results to float adds {@code u·|value|}.
 */
final class Oracle {

    /** Unit roundoff of float: half an ulp of 1. */
    static final double U = 0x1p-24;
    /** Slack for the double-precision folding: far above its 2⁻⁵³-level rounding, far below any float effect. */
    static final double DOUBLE_SLACK = 0x1p-40;

    private Oracle() {
    }

    /** Two-pass double statistics of one tensor, with the error bounds of the kernels' statistics. */
    record Stats(long n, double[] mean, double[] m2, boolean[] nonFinite, double[] sumError, double[] m2Error,
                 double[] sumAbs) {

        double variance(int c) {
            return m2[c] / n;
        }

        /** Bound on |float mean − exact mean|. */
        double meanTolerance(int c) {
            return sumError[c] / n + U * Math.abs(mean[c]) + DOUBLE_SLACK * sumAbs[c] / n + Float.MIN_VALUE;
        }

        /**
         * Bound on |map's center − exact mean|: the mean in double as a hi/lo float pair, which keeps it within
         * u·|mean − hi| ≤ u²·|mean| of the double mean (no float rounding of the mean itself, as in
         * {@link #meanTolerance}).
         */
        double centerTolerance(int c) {
            return sumError[c] / n + U * U * Math.abs(mean[c]) + DOUBLE_SLACK * sumAbs[c] / n + Float.MIN_VALUE;
        }

        /** Bound on |float variance − exact variance|; the last term covers d² underflowing in float. */
        double varianceTolerance(int c) {
            return m2Error[c] / n + U * variance(c) + DOUBLE_SLACK * m2Error[c] / U / n + 4 * Float.MIN_VALUE;
        }

        /**
         * Bound on |y − exact| for the centered training map of channel c at x, {@code exact} its value from these
         * statistics and {@code scale} = γ/√(σ² + ε): on the center, the hi/lo pair's error ({@link #centerTolerance})
         * and u·|x − μ| for the second subtraction; on the scale, one float rounding (or 2⁻¹⁵⁰ absolute where it is
         * subnormal) and half the variance's relative error through the root.
         */
        double trainingMapTolerance(int c, double x, double scale, double exact, double epsilon) {
            double mu = mean[c];
            double centerErr = centerTolerance(c) + U * Math.abs(x - mu);
            double scaleRel = U + Float.MIN_VALUE / Math.abs(scale)
                    + 0.5 * varianceTolerance(c) / (variance(c) + epsilon);
            return affineTolerance(x, mu, scale, exact, centerErr, scaleRel);
        }
    }

    static Stats moments(float[] x, int offset, int rows, int channels) {
        int blockRows = LanePeriod.blockRows(channels);
        return moments(x, channels, rows, (c, i) -> offset + i * channels + c,
                start -> Math.min(rows, start + blockRows),
                LanePeriod.ACCUMULATED + LanePeriod.accumulatorsPerChannel(channels));
    }

    /**
     * The same for an NCHW tensor, with the blocks of {@link PlaneStatistics}: whole runs (planes), or segments of
     * {@link PlaneStatistics#MAX_BLOCK_LENGTH} floats of a longer run; λ = {@link PlaneStatistics#WIDTH}. A channel's
     * values are taken in the order of its planes.
     */
    static Stats planeMoments(float[] x, int offset, int n, int channels, int spatial) {
        int count = n * spatial;
        int runs = PlaneStatistics.blockRuns(spatial);
        int length = PlaneStatistics.blockLength(spatial);
        return moments(x, channels, count, (c, i) -> offset + ((i / spatial) * channels + c) * spatial + i % spatial,
                start -> spatial <= length ? Math.min(count, start + runs * spatial)
                        : Math.min(start + length, (start / spatial + 1) * spatial),
                LanePeriod.ACCUMULATED + PlaneStatistics.WIDTH);
    }

    /**
     * Two-pass statistics of {@code count} values per channel, the i-th of channel c at {@code x[index(c, i)]}, with
     * the bounds of blocks that start at 0 and end at {@code blockEnd(start)}, and K = 256 + λ (class comment).
     */
    private static Stats moments(float[] x, int channels, int count, IntBinaryOperator index,
                                 IntUnaryOperator blockEnd, double k) {
        double[] mean = new double[channels];
        double[] m2 = new double[channels];
        boolean[] nonFinite = new boolean[channels];
        double[] sumError = new double[channels];
        double[] m2Error = new double[channels];
        double[] sumAbs = new double[channels];
        for (int c = 0; c < channels; c++) {
            double sum = 0;
            for (int r = 0; r < count; r++) {
                float v = x[index.applyAsInt(c, r)];
                nonFinite[c] |= !Float.isFinite(v);
                sum += v;
                sumAbs[c] += Math.abs(v);
            }
            mean[c] = sum / count;
            double lo = Double.POSITIVE_INFINITY;
            double hi = Double.NEGATIVE_INFINITY;
            for (int r = 0; r < count; r++) {
                lo = Math.min(lo, x[index.applyAsInt(c, r)]);
                hi = Math.max(hi, x[index.applyAsInt(c, r)]);
            }
            double range = hi - lo;
            double ss = 0;
            for (int r = 0; r < count; r++) {
                double d = x[index.applyAsInt(c, r)] - mean[c];
                ss += d * d;
            }
            m2[c] = ss;
            for (int r0 = 0, r1; r0 < count; r0 = r1) {
                r1 = blockEnd.applyAsInt(r0);
                int nb = r1 - r0;
                double blockSum = 0;
                for (int r = r0; r < r1; r++) {
                    blockSum += x[index.applyAsInt(c, r)];
                }
                double blockMean = blockSum / nb;
                double blockM2 = 0;
                for (int r = r0; r < r1; r++) {
                    double d = x[index.applyAsInt(c, r)] - blockMean;
                    blockM2 += d * d;
                }
                double delta = U * Math.abs(blockMean) + k * U * range;
                double s = Math.max(1.15 * blockM2, blockM2 + nb * delta * delta);
                double a1 = Math.sqrt(nb * s);
                sumError[c] += k * U * a1;
                m2Error[c] += (3 * k + 2) * U * s + 2 * k * U * Math.abs(blockMean - mean[c]) * a1;
            }
        }
        return new Stats(count, mean, m2, nonFinite, sumError, m2Error, sumAbs);
    }

    /** The exact normalizing map in double: {@code (x − μ)·γ/√(σ² + ε) + β}. */
    static double normalize(double x, double mean, double variance, double gamma, double beta, double epsilon) {
        return (x - mean) * (gamma / Math.sqrt(variance + epsilon)) + beta;
    }

    /**
     * Bound on |y − y_exact| for the centered map evaluated as {@code fma(fl(x − c), s, b)} with float c, s, b that
     * are themselves within {@code centerErr} and relative {@code scaleRelErr} of the exact ones: fl(x − c) errs by
     * u·|x − c|, the FMA rounds once (u·|y|).
     */
    static double affineTolerance(double x, double center, double scale, double y, double centerErr,
                                  double scaleRelErr) {
        double dx = Math.abs(x - center);
        return Math.abs(scale) * (centerErr + U * dx) + dx * Math.abs(scale) * scaleRelErr + U * Math.abs(y)
                + Float.MIN_VALUE;
    }
}
