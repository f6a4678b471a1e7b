package dev.simdnorm;

import dev.simdnorm.internal.Blocks;

/**
 * Double-precision references and the error bounds the tests hold the kernels to.
 *
 * <p>Error analysis of the statistics kernel (docs/numerics.md). Per block of at most B = {@link Blocks#ROWS} rows a
 * channel takes a float centre m (from a first pass), then sums {@code d = fl(x − m)} and {@code d²} in float.
 * Recursive summation of k terms errs by at most {@code (k−1)·u·Σ|terms|} (Higham 2002, §4.2; u = 2⁻²⁴), d by
 * {@code u·|d|}, d² by {@code 2u·d²}. So r1 = Σd errs by at most {@code (B+1)·u·Σ|d|}, q = Σd² by
 * {@code (B+3)·u·Σd²}. The block mean m + r1/B inherits r1's error over B; the block M2 = q − r1²/B inherits q's and
 * {@code 2|r1|/B·err(r1) ≤ 2(B+1)·u·|μ_b − m|·Σ|d|}. Folding blocks in double (2⁻²⁹ times finer) adds one more term:
 * the total M2 moves by {@code 2(μ_b − μ)} per unit error in a block's sum, {@code 2(B+1)·u·|μ_b − μ|·Σ|d|}.
 * Rounding the results to float adds {@code u·|value|}. The bounds below are these sums, computed from the data with
 * the kernel's own centres.
 */
final class Oracle {

    /** Unit roundoff of float: half an ulp of 1. */
    static final double U = 0x1p-24;
    /** Slack for the double-precision folding: far above its 2⁻⁵³-level rounding, far below any float effect. */
    static final double DOUBLE_SLACK = 0x1p-40;

    private Oracle() {
    }

    /** Two-pass double statistics of one tensor, with the sums the error bounds need. */
    record Stats(long n, double[] mean, double[] m2, boolean[] nonFinite, double[] sumAbsDev,
                 double[] sumSqDev, double[] sumCross, double[] sumAbs) {

        double variance(int c) {
            return m2[c] / n;
        }

        /** Bound on |float mean − exact mean|. */
        double meanTolerance(int c) {
            return (Blocks.ROWS + 2) * U * sumAbsDev[c] / n + U * Math.abs(mean[c])
                    + DOUBLE_SLACK * sumAbs[c] / n + Float.MIN_VALUE;
        }

        /** Bound on |float variance − exact variance|; the last term covers d² underflowing in float. */
        double varianceTolerance(int c) {
            return ((Blocks.ROWS + 3) * sumSqDev[c] + 2 * (Blocks.ROWS + 1) * sumCross[c]) * U / n
                    + U * variance(c) + DOUBLE_SLACK * (sumSqDev[c] + sumCross[c]) / n + 4 * Float.MIN_VALUE;
        }
    }

    static Stats moments(float[] x, int offset, int rows, int channels) {
        double[] mean = new double[channels];
        double[] m2 = new double[channels];
        boolean[] nonFinite = new boolean[channels];
        double[] sumAbsDev = new double[channels];
        double[] sumSqDev = new double[channels];
        double[] sumCross = new double[channels];
        double[] sumAbs = new double[channels];
        for (int c = 0; c < channels; c++) {
            double sum = 0;
            for (int r = 0; r < rows; r++) {
                float v = x[offset + r * channels + c];
                nonFinite[c] |= !Float.isFinite(v);
                sum += v;
                sumAbs[c] += Math.abs(v);
            }
            mean[c] = sum / rows;
            double ss = 0;
            for (int r = 0; r < rows; r++) {
                double d = x[offset + r * channels + c] - mean[c];
                ss += d * d;
            }
            m2[c] = ss;
            // The bound's sums, over the kernel's blocks and centres (for the bound only, never the expectation).
            for (int r0 = 0; r0 < rows; r0 += Blocks.ROWS) {
                int nb = Math.min(Blocks.ROWS, rows - r0);
                float first = x[offset + r0 * channels + c];
                float s1 = 0;
                double blockSum = 0;
                for (int r = r0; r < r0 + nb; r++) {
                    s1 += x[offset + r * channels + c] - first;
                    blockSum += x[offset + r * channels + c];
                }
                float m = Blocks.center(first, s1, nb);
                double blockMean = blockSum / nb;
                double abs = 0;
                for (int r = r0; r < r0 + nb; r++) {
                    double d = x[offset + r * channels + c] - (double) m;
                    abs += Math.abs(d);
                    sumSqDev[c] += d * d;
                }
                sumAbsDev[c] += abs;
                sumCross[c] += abs * (Math.abs(blockMean - m) + Math.abs(blockMean - mean[c]));
            }
        }
        return new Stats(rows, mean, m2, nonFinite, sumAbsDev, sumSqDev, sumCross, sumAbs);
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
