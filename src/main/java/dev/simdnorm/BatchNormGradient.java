package dev.simdnorm;

import dev.simdnorm.internal.AffineParams;
import dev.simdnorm.internal.GradientParams;
import dev.simdnorm.internal.Kernel;
import dev.simdnorm.internal.KernelProvider;

/**
 * The backward pass of batch normalization: two passes over memory with per-channel coefficients, in double, between
 * them. The caller has checked every argument.
 *
 * <p>With the forward map {@code y = (x − μ)·k + β}, {@code k = γ/√(σ² + ε)}, and g the upstream gradient dy (0 where a
 * fused ReLU's output was ≤ 0): {@code dβ = Σg} and {@code dγ = Σ(x − μ)·g/√(σ² + ε)}. In training μ and σ² are the
 * batch's and depend on x, so {@code dx = k·(g − Σg/n − (x − μ)·Σ(x − μ)·g/(n·(σ² + ε)))}; in inference they are
 * constants and {@code dx = k·g}. The first pass sums g and {@code v·g} per channel, v being the forward map's own
 * centred input {@code (x − μ_hi) − μ_lo} (internal GradientSums); the second evaluates
 * {@code dx = fma(g, k, fma(v, −k·Σvg/(n·(σ² + ε)), −k·Σg/n))}, with k the forward map's float scale. The correction
 * {@code fma(v, …)} is rounded on its own; it is usually small next to {@code g·k}, so dx carries about one rounding
 * of its own besides the errors of the sums (docs/numerics.md).
 */
final class BatchNormGradient {

    private BatchNormGradient() {
    }

    /**
     * Both passes, slice by slice ({@link Slices}): each slice's sums alone, added in a fixed tree, so the result does
     * not depend on the threads.
     *
     * @param forward  the forward map, with its activation: its centre, scale and shift are the forward pass's
     * @param variance per channel, the σ² the forward map's scale was computed from, in double
     * @param training whether μ and σ² are the batch's (their gradient flows into dx) or constants
     */
    static Gradients backward(float[] x, int xOffset, float[] dy, int dyOffset, float[] dx, int dxOffset, int rows,
                              ChannelAffine forward, double[] variance, float[] gamma, float epsilon,
                              boolean training, Parallelism parallelism) {
        Kernel kernel = KernelProvider.kernel();
        int channels = forward.channels();
        boolean relu = forward.activation() == Activation.RELU;
        AffineParams params = forward.params();
        Slices slices = new Slices(rows, channels);
        int count = slices.count();
        long floats = (long) rows * channels;
        double[][] partialG = new double[Math.max(count, 1)][channels];
        double[][] partialVG = new double[Math.max(count, 1)][channels];
        parallelism.forEach(count, floats, s -> {
            int at = (int) slices.start(s) * channels;
            kernel.gradientSums(x, xOffset + at, dy, dyOffset + at, slices.rows(s), params, relu, partialG[s],
                    partialVG[s]);
        });
        add(partialG, 0, count);
        add(partialVG, 0, count);
        double[] sumG = partialG[0];
        double[] sumVG = partialVG[0];
        float[] dGamma = new float[channels];
        float[] dBeta = new float[channels];
        float[] deviationScale = new float[channels];
        float[] offset = new float[channels];
        for (int c = 0; c < channels; c++) {
            double varianceEpsilon = variance[c] + epsilon;
            double root = Math.sqrt(varianceEpsilon);
            dBeta[c] = (float) sumG[c];
            dGamma[c] = (float) (sumVG[c] / root);
            if (training) {
                double k = gamma[c] / root; // the forward scale before its rounding to float
                deviationScale[c] = (float) (-k * (sumVG[c] / (rows * varianceEpsilon)));
                offset[c] = (float) (-k * (sumG[c] / rows));
            }
        }
        GradientParams correction = training ? kernel.prepareGradient(channels, deviationScale, offset) : null;
        parallelism.forEach(count, floats, s -> {
            int at = (int) slices.start(s) * channels;
            kernel.inputGradient(x, xOffset + at, dy, dyOffset + at, dx, dxOffset + at, slices.rows(s), params,
                    correction, relu);
        });
        return new Gradients(dGamma, dBeta);
    }

    /** Adds the partial sums of slices [from, to) into slot {@code from}: halves first, then the two. */
    private static void add(double[][] partial, int from, int to) {
        if (to - from <= 1) {
            return;
        }
        int mid = (from + to) >>> 1;
        add(partial, from, mid);
        add(partial, mid, to);
        for (int c = 0; c < partial[from].length; c++) {
            partial[from][c] += partial[mid][c];
        }
    }
}
