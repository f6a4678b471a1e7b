package dev.simdnorm;

import dev.simdnorm.internal.LanePeriod;

import static dev.simdnorm.Oracle.DOUBLE_SLACK;
import static dev.simdnorm.Oracle.U;

/**
 * The backward pass in double, and the error bounds the tests hold the float implementation to.
 *
 * <p>The formula, per channel over n values, with the statistics μ and σ² the forward map used, {@code v = x − μ},
 * {@code k = γ/√(σ² + ε)} and g = dy or 0 where a fused ReLU masked it: {@code dβ = Σg},
 * {@code dγ = Σv·g/√(σ² + ε)}, and {@code dx = k·(g − A − v·B)} with {@code A = Σg/n}, {@code B = Σv·g/(n·(σ² + ε))}
 * in training (statistics of the batch), {@code dx = k·g} in inference (constant statistics).
 * {@code BackwardPropertyTest} checks the formula against central differences of the forward map.
 *
 * <p>Error analysis of the float implementation (u = 2⁻²⁴; every float operation also may add 2⁻¹⁵⁰ where it
 * underflows, which the {@code Float.MIN_VALUE} terms cover):
 * <ul>
 *   <li>The centered input {@code v̂ = fl(fl(x − μ_hi) − μ_lo)}, with {@code μ_hi = fl(μ)} and
 *       {@code μ_lo = fl(μ − μ_hi)}: {@code |μ − μ_hi − μ_lo| ≤ u²|μ|}, the first subtraction errs by at most
 *       {@code u|x − μ_hi| ≤ u|v| + u²|μ|} and the second by {@code u|v̂|}, so
 *       {@code |v̂ − v| ≤ e_v = 2.01u|v| + 4u²|μ|}. (In inference μ is a float and only the first one rounds.)</li>
 *   <li>The sums: per block each accumulator adds at most {@link Layout#ACCUMULATED} terms (each product by FMA,
 *       rounded once with the addition), then λ = {@link Layout#accumulatorsPerChannel} partial sums are added, all in
 *       float: at most K = ACCUMULATED + λ roundings on any term's path, so the error is at most
 *       {@code K·u·Σ|term|} (Higham 2002, §4.2); blocks are added in double. So
 *       {@code E_g = K·u·Σ|g|} and {@code E_vg = Σe_v·|g| + K·u·Σ|v̂·g|}.</li>
 *   <li>dβ and dγ are the sums (dγ divided by √(σ² + ε) in double) rounded to float once: {@code + u·|value|}.</li>
 *   <li>dx (training) is {@code fl(fma(g, k₀, fl(fma(v̂, k₁, k₂))))} with {@code k₀ = fl(k)},
 *       {@code k₁ = fl(−k·B̂)} and {@code k₂ = fl(−k·Â)} from the float sums: {@code |k₀ − k| ≤ u|k|},
 *       {@code |k₁ + kB| ≤ (1+u)·|k|·E_vg/(n(σ² + ε)) + u|kB|}, {@code |k₂ + kA| ≤ (1+u)·|k|·E_g/n + u|kA|}; the
 *       inner FMA {@code t = −k(A + vB)} then errs by {@code e_v|kB| + |v̂|·|k₁ + kB| + |k₂ + kA|} plus its rounding
 *       {@code u|t̂|}, and the outer by {@code |g|·|k₀ − k| + |t̂ − t|} plus its rounding {@code u|dx|}.</li>
 *   <li>dx (inference) is {@code fl(g·k₀)}: {@code |g|·u|k| + u|dx|}.</li>
 * </ul>
 * The coefficients' double arithmetic (a few roundings of 2⁻⁵³) is covered by {@link Oracle#DOUBLE_SLACK}.
 */
final class GradientOracle {

    private GradientOracle() {
    }

    /** The exact gradients of one case and the bounds on the float implementation's error. */
    record Expected(double[] dGamma, double[] dBeta, double[] dx, double[] dGammaTolerance, double[] dBetaTolerance,
                    double[] dxTolerance) {
    }

    /**
     * The formula and its bounds.
     *
     * @param mean     the μ the forward map used, per channel (the batch's double mean, or the running mean)
     * @param variance the σ² the forward map used, per channel
     * @param keep     per element (row·C + c): whether g = dy there (false where a ReLU output was ≤ 0)
     * @param training whether μ and σ² are the batch's, whose gradient flows into dx
     */
    static Expected backward(float[] x, int xOffset, float[] dy, int dyOffset, int rows, int channels, double[] mean,
                             double[] variance, float[] gamma, float epsilon, boolean[] keep, boolean training) {
        double[] dGamma = new double[channels];
        double[] dBeta = new double[channels];
        double[] dx = new double[rows * channels];
        double[] dGammaTol = new double[channels];
        double[] dBetaTol = new double[channels];
        double[] dxTol = new double[rows * channels];
        double kSum = LanePeriod.ACCUMULATED + LanePeriod.accumulatorsPerChannel(channels);
        double min = Float.MIN_VALUE;
        for (int c = 0; c < channels; c++) {
            double mu = mean[c];
            double sumG = 0;
            double sumVG = 0;
            double absG = 0;
            double absVG = 0;
            double vError = 0;
            for (int r = 0; r < rows; r++) {
                double g = gradient(dy, dyOffset, keep, r, c, channels);
                double v = x[xOffset + r * channels + c] - mu;
                double ev = centeredError(v, mu);
                sumG += g;
                sumVG += v * g;
                absG += Math.abs(g);
                absVG += (Math.abs(v) + ev) * Math.abs(g);
                vError += ev * Math.abs(g);
            }
            double errG = kSum * U * absG + DOUBLE_SLACK * absG;
            double errVG = vError + kSum * U * absVG + DOUBLE_SLACK * absVG + 2.0 * rows * min;
            double root = Math.sqrt(variance[c] + epsilon);
            dBeta[c] = sumG;
            dBetaTol[c] = errG + U * (Math.abs(sumG) + errG) + min;
            dGamma[c] = sumVG / root;
            dGammaTol[c] = (errVG + U * (Math.abs(sumVG) + errVG) + DOUBLE_SLACK * Math.abs(sumVG)) / root + min;

            double k = gamma[c] / root;
            double n = rows;
            double a = sumG / n;
            double b = sumVG / (n * (variance[c] + epsilon));
            double errA = Math.abs(k) * errG / n;
            double errB = Math.abs(k) * errVG / (n * (variance[c] + epsilon));
            double k1Error = (1 + U) * errB + U * Math.abs(k * b) + min;
            double k2Error = (1 + U) * errA + U * Math.abs(k * a) + min;
            for (int r = 0; r < rows; r++) {
                int i = r * channels + c;
                double g = gradient(dy, dyOffset, keep, r, c, channels);
                double v = x[xOffset + i] - mu;
                double ev = centeredError(v, mu);
                double k0Error = Math.abs(g) * (U * Math.abs(k) + min);
                if (!training) {
                    dx[i] = k * g;
                    dxTol[i] = (1 + U) * k0Error + U * Math.abs(dx[i]) + DOUBLE_SLACK * Math.abs(dx[i]) + min;
                    continue;
                }
                double t = -k * (a + v * b);
                dx[i] = k * g + t;
                double tError = ev * Math.abs(k * b) + (Math.abs(v) + ev) * k1Error + k2Error;
                tError += U * (Math.abs(t) + tError) + min;
                double dxError = k0Error + tError;
                dxTol[i] = dxError + U * (Math.abs(dx[i]) + dxError) + min
                        + DOUBLE_SLACK * (Math.abs(k * g) + Math.abs(k * a) + Math.abs(v * k * b));
            }
        }
        return new Expected(dGamma, dBeta, dx, dGammaTol, dBetaTol, dxTol);
    }

    private static double gradient(float[] dy, int dyOffset, boolean[] keep, int r, int c, int channels) {
        int i = r * channels + c;
        return keep[i] ? dy[dyOffset + i] : 0.0;
    }

    /** e_v: the bound on {@code |v̂ − v|} derived in the class comment, with underflow. */
    private static double centeredError(double v, double mu) {
        return 2.01 * U * Math.abs(v) + 4 * U * U * Math.abs(mu) + Float.MIN_VALUE;
    }
}
