package dev.simdnorm;

import dev.simdnorm.internal.Layout;

/**
 * Double-precision references and the error bounds the tests hold the kernels to.
 *
 * <p>Error analysis of the statistics algorithm ({@code Statistics}, docs/numerics.md). Per block of n_b =
 * {@link Layout#blockRows} rows a channel sums {@code d = fl(x − c)} and {@code d²} in float around a float centre c:
 * λ = {@link Layout#accumulatorsPerChannel} accumulators of at most {@link Layout#ACCUMULATED} terms each, then the λ
 * partial sums. Summing k terms in any order errs by at most {@code (k−1)·u·Σ|terms|} (Higham 2002, §4.2;
 * u = 2⁻²⁴), so with K = ACCUMULATED + λ: r = Σd errs by at most {@code K·u·Σ|d|} (d's own rounding included) and
 * q = Σd² by {@code (K+2)·u·Σd²}.
 *
 * <p>Whichever centre the algorithm kept, {@code S = Σ(x − c)²} is at most {@code 8/7·M2_b} (a one-pass centre is
 * kept only if 8r²/n ≤ q; 1.15 allows for the rounding of that test) or {@code M2_b + n_b·δ²} (a two-pass centre,
 * off the block mean μ_b by at most δ = u·|μ_b| + K·u·Σ|x − c₁|/n_b ≤ u·|μ_b| + K·u·R, c₁ being the one-pass
 * centre, a mean of earlier values and so within the channel's range R); and {@code Σ|x − c| ≤ √(n_b·S)}. So the block's sum
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

        /** Bound on |float variance − exact variance|; the last term covers d² underflowing in float. */
        double varianceTolerance(int c) {
            return m2Error[c] / n + U * variance(c) + DOUBLE_SLACK * m2Error[c] / U / n + 4 * Float.MIN_VALUE;
        }
    }

    static Stats moments(float[] x, int offset, int rows, int channels) {
        double[] mean = new double[channels];
        double[] m2 = new double[channels];
        boolean[] nonFinite = new boolean[channels];
        double[] sumError = new double[channels];
        double[] m2Error = new double[channels];
        double[] sumAbs = new double[channels];
        int blockRows = Layout.blockRows(channels);
        double k = Layout.ACCUMULATED + Layout.accumulatorsPerChannel(channels);
        for (int c = 0; c < channels; c++) {
            double sum = 0;
            for (int r = 0; r < rows; r++) {
                float v = x[offset + r * channels + c];
                nonFinite[c] |= !Float.isFinite(v);
                sum += v;
                sumAbs[c] += Math.abs(v);
            }
            mean[c] = sum / rows;
            double lo = Double.POSITIVE_INFINITY;
            double hi = Double.NEGATIVE_INFINITY;
            for (int r = 0; r < rows; r++) {
                lo = Math.min(lo, x[offset + r * channels + c]);
                hi = Math.max(hi, x[offset + r * channels + c]);
            }
            double range = hi - lo;
            double ss = 0;
            for (int r = 0; r < rows; r++) {
                double d = x[offset + r * channels + c] - mean[c];
                ss += d * d;
            }
            m2[c] = ss;
            for (int r0 = 0; r0 < rows; r0 += blockRows) {
                int nb = Math.min(blockRows, rows - r0);
                double blockSum = 0;
                for (int r = r0; r < r0 + nb; r++) {
                    blockSum += x[offset + r * channels + c];
                }
                double blockMean = blockSum / nb;
                double blockM2 = 0;
                for (int r = r0; r < r0 + nb; r++) {
                    double d = x[offset + r * channels + c] - blockMean;
                    blockM2 += d * d;
                }
                double delta = U * Math.abs(blockMean) + k * U * range;
                double s = Math.max(1.15 * blockM2, blockM2 + nb * delta * delta);
                double a1 = Math.sqrt(nb * s);
                sumError[c] += k * U * a1;
                m2Error[c] += (3 * k + 2) * U * s + 2 * k * U * Math.abs(blockMean - mean[c]) * a1;
            }
        }
        return new Stats(rows, mean, m2, nonFinite, sumError, m2Error, sumAbs);
    }

    /** The exact normalizing map in double: {@code (x − μ)·γ/√(σ² + ε) + β}. */
    static double normalize(double x, double mean, double variance, double gamma, double beta, double epsilon) {
        return (x - mean) * (gamma / Math.sqrt(variance + epsilon)) + beta;
    }

    /**
     * Bound on |y − y_exact| for the centred map evaluated as {@code fma(fl(x − c), s, b)} with float c, s, b that
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
