package dev.simdnorm;

import dev.simdnorm.internal.AffineParams;
import dev.simdnorm.internal.GradientParams;

/**
 * The backward pass of batch normalization: two passes over memory with per-channel coefficients, in double, between
 * them. The caller has checked every argument.
 *
 * <p>With the forward map {@code y = (x − μ)·k + β}, {@code k = γ/√(σ² + ε)}, and g the upstream gradient dy (0 where a
 * fused ReLU's output was ≤ 0): {@code dβ = Σg} and {@code dγ = Σ(x − μ)·g/√(σ² + ε)}. In training μ and σ² are the
 * batch's and depend on x, so {@code dx = k·(g − Σg/n − (x − μ)·Σ(x − μ)·g/(n·(σ² + ε)))}; in inference they are
 * constants and {@code dx = k·g}. The first pass sums g and {@code v·g} per channel, v being the forward map's own
 * centered input {@code (x − μ_hi) − μ_lo} (internal GradientSums); the second evaluates
 * {@code dx = fma(g, k, fma(v, −k·Σvg/(n·(σ² + ε)), −k·Σg/n))}, with k the forward map's float scale. The correction
 * {@code fma(v, …)} is rounded on its own; it is usually small next to {@code g·k}, so dx carries about one rounding
 * of its own besides the errors of the sums (docs/numerics.md).
 */
final class BatchNormGradient {

    private BatchNormGradient() {
    }

    /**
     * Both passes: the sums slice by slice, added in the fixed {@link MergeTree} (so the result does not depend on the
     * threads), the coefficients in double, then dx.
     *
     * @param planes   the shape of an NCHW tensor x, dy and dx hold ({@link PlaneGradients}), or null for NHWC rows
     * @param forward  the forward map: its center, scale and shift are the forward pass's
     * @param variance per channel, the σ² the forward map's scale was computed from, in double
     * @param training whether μ and σ² are the batch's (their gradient flows into dx) or constants
     * @param work     the layer's working arrays: sums and coefficients
     */
    static void backward(float[] x, int xOffset, float[] dy, int dyOffset, float[] dx, int dxOffset, int rows,
                         TensorShape planes, AffineParams forward, boolean relu, double[] variance, float[] gamma,
                         float epsilon, boolean training, TrainingState work, float[] dGamma, float[] dBeta,
                         Parallelism parallelism) {
        int channels = forward.channels();
        double[] sumG = work.sumG;
        double[] sumVG = work.sumVG;
        if (planes == null) {
            Engine.gradientSums(x, xOffset, dy, dyOffset, rows, forward, relu, parallelism, sumG, sumVG);
        } else {
            PlaneGradients.gradientSums(x, xOffset, dy, dyOffset, planes.n(), planes.spatial(), forward, relu,
                    parallelism, sumG, sumVG);
        }
        GradientParams correction = training ? work.correction : null;
        // The coefficients in loops of plain array arithmetic, which C2 can vectorize (as one loop with a call in it,
        // a root and four quotients a channel took about 9 ns a channel); each value is the same expression.
        double[] root = work.root;
        double[] k1 = work.deviationScale;
        double[] k2 = work.offset;
        for (int c = 0; c < channels; c++) {
            root[c] = Math.sqrt(variance[c] + epsilon);
        }
        for (int c = 0; c < channels; c++) {
            dBeta[c] = (float) sumG[c];
            dGamma[c] = (float) (sumVG[c] / root[c]);
        }
        if (training) {
            float[] k1Float = correction.deviationScale();
            float[] k2Float = correction.offset();
            for (int c = 0; c < channels; c++) {
                double k = gamma[c] / root[c]; // the forward scale before its rounding to float
                k1[c] = -k * (sumVG[c] / (rows * (variance[c] + epsilon)));
                k2[c] = -k * (sumG[c] / rows);
                k1Float[c] = (float) k1[c];
                k2Float[c] = (float) k2[c];
            }
            correction.layOut();
        }
        boolean inDouble = false;
        if (training || relu) { // a frozen pass reads the deviations only for the ReLU mask
            for (int c = 0; c < channels; c++) {
                inDouble |= InputGradientInDouble.needed(forward, c, training ? k1[c] : 0, training ? k2[c] : 0,
                        rows * variance[c]);
            }
        }
        if (planes != null) {
            PlaneGradients.inputGradient(x, xOffset, dy, dyOffset, dx, dxOffset, planes.n(), planes.spatial(), forward,
                    correction, relu, parallelism, inDouble, work.deviationScale, work.offset, variance);
        } else if (inDouble) {
            InputGradientInDouble.inputGradient(x, xOffset, dy, dyOffset, dx, dxOffset, rows, rows, forward,
                    correction, work.deviationScale, work.offset, variance, relu);
        } else {
            Engine.inputGradient(x, xOffset, dy, dyOffset, dx, dxOffset, rows, forward, correction, relu,
                    parallelism);
        }
    }
}
