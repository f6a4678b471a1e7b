package dev.simdnorm;

import java.util.Arrays;

/**
 * A convolution or dense layer with the {@link BatchNorm} that follows it folded in, for inference: the layer
 * {@code z = W·x + b} followed by {@code y = (z − mean)·γ/√(var + ε) + β} is the single layer {@code y = W'·x + b'}
 * with, per output channel o and {@code s[o] = γ[o]/√(var[o] + ε)},
 * <pre>
 *   W'[o, …] = W[o, …]·s[o]
 *   b'[o]    = (b[o] − mean[o])·s[o] + β[o]</pre>
 *
 * <p><b>Rounding.</b> s, the products and the bias are computed in double and each folded value is rounded to float
 * once, so it is the correctly rounded exact value up to the double steps (about 2⁻⁵¹ of the terms' sizes, under
 * 2⁻²⁷ of a float ulp). Rounding s to float first would add up to another half ulp to every weight.
 * {@code b − mean} is taken in double, so a bias and a mean both near 1e4 cancel without loss.
 *
 * <p>The BatchNorm's fused {@link BatchNorm#activation() activation} is not part of the fold: apply it to the folded
 * layer's output. Non-finite running statistics (left by training on non-finite data, or on finite data whose batch
 * variance lies beyond float's range; see {@link BatchNorm}) give that channel what its inference output gives: zero
 * weights and the bias β for an infinite variance, NaN or infinite values otherwise.
 * Instances are immutable and thread-safe.
 */
public final class FoldedLayer {

    private final float[] weights;
    private final float[] bias;

    private FoldedLayer(float[] weights, float[] bias) {
        this.weights = weights;
        this.bias = bias;
    }

    /**
     * Folds {@code bn}'s inference map into the weights and bias of the layer before it. γ, β, the running mean and
     * variance are read as one consistent state, even while another thread trains {@code bn}. The arguments are not
     * modified.
     *
     * @param bn      the BatchNorm that follows the layer; its channels are the layer's outputs
     * @param weights the layer's weights, row-major in {@code layout}, finite
     * @param shape   the weights' dimensions in {@code layout} order: 4 for OIHW, HWIO and OHWI, 2 for OUT_IN and IN_OUT,
     *                each ≥ 1, the out dimension equal to {@code bn.channels()}, the product equal to
     *                {@code weights.length}
     * @param layout  the order of the dimensions
     * @param bias    the layer's bias, length {@code bn.channels()}, finite; null for a layer without bias (zeros)
     * @return the folded weights (same shape and layout) and bias
     * @throws NullPointerException     if {@code bn}, {@code weights}, {@code shape} or {@code layout} is null
     * @throws IllegalArgumentException if the shape does not fit the layout, the BatchNorm or the weights, if the bias
     *                                  has the wrong length, or if a weight or bias is not finite
     * @throws ArithmeticException      if a folded weight or bias overflows float
     * @throws IllegalStateException    if a running variance of {@code bn} is +Inf (from a training step's batch
     *                                  variance beyond float's range): the fold would drop x
     */
    public static FoldedLayer of(BatchNorm bn, float[] weights, int[] shape, WeightLayout layout, float[] bias) {
        Check.notNull(bn, "bn");
        Check.notNull(weights, "weights");
        Check.notNull(shape, "shape");
        Check.notNull(layout, "layout");
        int channels = bn.channels();
        checkShape(shape, layout, channels, weights.length);
        float[] w = Check.finite(weights.clone(), "weights"); // checked as copied, as the bias
        float[] b = bias == null ? new float[channels]
                : Check.finite(Check.copyOfLength(bias, "bias", channels), "bias");

        BatchNormParameters p = bn.parameters();
        float[] gamma = p.gamma();
        float[] beta = p.beta();
        float[] mean = p.runningMean();
        float[] variance = p.runningVariance();
        String refusal = BatchNormState.refusal(variance);
        if (refusal != null) {
            throw new IllegalStateException(refusal);
        }
        double[] scale = new double[channels];
        float[] foldedBias = new float[channels];
        for (int o = 0; o < channels; o++) {
            scale[o] = ChannelAffine.scaleInDouble(gamma[o], variance[o], bn.epsilon());
            foldedBias[o] = rounded(((double) b[o] - mean[o]) * scale[o] + beta[o], "bias", o);
        }
        float[] folded = new float[w.length];
        if (layout.outAxis() == 0) {
            int inner = w.length / channels;
            for (int o = 0, i = 0; o < channels; o++) {
                for (int end = i + inner; i < end; i++) {
                    folded[i] = rounded(w[i] * scale[o], "weights", i);
                }
            }
        } else {
            for (int i = 0; i < w.length; ) {
                for (int o = 0; o < channels; o++, i++) {
                    folded[i] = rounded(w[i] * scale[o], "weights", i);
                }
            }
        }
        return new FoldedLayer(folded, foldedBias);
    }

    private static void checkShape(int[] shape, WeightLayout layout, int channels, int length) {
        if (shape.length != layout.rank()) {
            throw new IllegalArgumentException("shape.length must be " + layout.rank() + " for " + layout + ", got "
                    + shape.length);
        }
        long product = 1;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] <= 0) {
                throw new IllegalArgumentException("shape[" + d + "] must be > 0, got " + shape[d]);
            }
            product = Math.min(product * shape[d], Integer.MAX_VALUE + 1L); // stays exact up to any array length
        }
        int out = layout.outAxis();
        if (shape[out] != channels) {
            throw new IllegalArgumentException("shape[" + out + "] (out in " + layout + ") must equal bn.channels() "
                    + channels + ", got " + shape[out]);
        }
        if (product != length) {
            throw new IllegalArgumentException("weights.length must be the product of shape " + Arrays.toString(shape)
                    + " = " + (product > Integer.MAX_VALUE ? "more than any array holds" : product) + ", got "
                    + length);
        }
    }

    /**
     * The one rounding to float. A finite double that becomes infinite would be a wrong answer; a non-finite one
     * comes from non-finite running statistics and propagates.
     */
    private static float rounded(double value, String name, int index) {
        float f = (float) value;
        if (Float.isInfinite(f) && Double.isFinite(value)) {
            throw new ArithmeticException("folded " + name + "[" + index + "] = " + value + " overflows float");
        }
        return f;
    }

    /**
     * Returns a copy of the folded weights, in the shape and layout they were given in.
     *
     * @return a copy of the folded weights, in the shape and layout they were given in
     */
    public float[] weights() {
        return weights.clone();
    }

    /**
     * Returns a copy of the folded bias, one per output channel.
     *
     * @return a copy of the folded bias, one per output channel
     */
    public float[] bias() {
        return bias.clone();
    }

    @Override
    public String toString() {
        return "FoldedLayer[outputs=" + bias.length + ", weights=" + weights.length + "]";
    }
}
