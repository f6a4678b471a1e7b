package dev.simdnorm;

/**
 * Builds a {@link GroupNorm}: {@code GroupNorm.builder(320, 32).epsilon(1e-5f).gamma(w).beta(b).build()}. Each setter
 * checks its argument at once and names it in the exception; {@link #build()} checks that γ and ε go together. A
 * builder may be reused, and is not thread-safe.
 */
public final class GroupNormBuilder {
    final int channels;
    final int groups;
    float epsilon = 1e-5f;
    float[] gamma;
    float[] beta;

    GroupNormBuilder(int channels, int groups) {
        this.channels = channels;
        this.groups = groups;
    }

    /**
     * Sets ε, added to each group's variance inside the square root: 1e-5 for PyTorch and ONNX (the default), 0.001
     * for Keras' {@code GroupNormalization}.
     *
     * @param epsilon ε, finite and &gt; 0
     * @return this builder
     * @throws IllegalArgumentException unless ε is finite and &gt; 0
     */
    public GroupNormBuilder epsilon(float epsilon) {
        this.epsilon = Check.epsilon(epsilon);
        return this;
    }

    /**
     * Sets γ, the scale of each channel (PyTorch's {@code weight}, ONNX's {@code scale} from opset 21).
     *
     * @param gamma {@code channels} finite floats; copied
     * @return this builder
     * @throws NullPointerException     if {@code gamma} is null
     * @throws IllegalArgumentException if its length is not C or a value is not finite
     */
    public GroupNormBuilder gamma(float[] gamma) {
        this.gamma = Check.finite(Check.copyOfLength(gamma, "gamma", channels), "gamma");
        return this;
    }

    /**
     * Sets β, the offset of each channel (PyTorch's {@code bias}, ONNX's {@code bias} from opset 21).
     *
     * @param beta {@code channels} finite floats; copied
     * @return this builder
     * @throws NullPointerException     if {@code beta} is null
     * @throws IllegalArgumentException if its length is not C or a value is not finite
     */
    public GroupNormBuilder beta(float[] beta) {
        this.beta = Check.finite(Check.copyOfLength(beta, "beta", channels), "beta");
        return this;
    }

    /**
     * Builds the layer.
     *
     * @return a new, immutable layer
     * @throws IllegalArgumentException if some |γ[c]|/√ε overflows float: a constant group would then give an
     *                                  infinite scale, and its outputs NaN where they are finite
     */
    public GroupNorm build() {
        if (gamma != null) {
            Check.gammaOverEpsilon(gamma, epsilon, "a group variance of 0 (a constant group)");
        }
        return new GroupNorm(this);
    }

    @Override
    public String toString() {
        return "GroupNormBuilder[channels=" + channels + ", groups=" + groups + ", epsilon=" + epsilon + "]";
    }
}
