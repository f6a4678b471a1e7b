package dev.simdnorm;

/**
 * Builds a {@link LayerNorm}: {@code LayerNorm.builder(768).epsilon(1e-5f).gamma(w).beta(b).build()}. Each setter
 * checks its argument at once and names it in the exception. A builder may be reused, and is not thread-safe.
 */
public final class LayerNormBuilder {
    final int size;
    float epsilon = 1e-5f;
    float[] gamma;
    float[] beta;

    LayerNormBuilder(int size) {
        this.size = size;
    }

    /**
     * Sets ε, added to the variance inside the square root: 1e-5 for PyTorch and ONNX (the default), 0.001 for Keras.
     *
     * @param epsilon ε, finite and &gt; 0
     * @return this builder
     * @throws IllegalArgumentException unless ε is finite and &gt; 0
     */
    public LayerNormBuilder epsilon(float epsilon) {
        this.epsilon = Check.epsilon(epsilon);
        return this;
    }

    /**
     * Sets γ, the scale of each position of a row (PyTorch's {@code weight}, ONNX's {@code Scale}).
     *
     * @param gamma {@code size} finite floats; copied
     * @return this builder
     * @throws NullPointerException     if {@code gamma} is null
     * @throws IllegalArgumentException if its length is not {@code size} or a value is not finite
     */
    public LayerNormBuilder gamma(float[] gamma) {
        this.gamma = Check.finite(Check.copyOfSize(gamma, "gamma", size), "gamma");
        return this;
    }

    /**
     * Sets β, the offset of each position of a row (PyTorch's {@code bias}, ONNX's {@code B}).
     *
     * @param beta {@code size} finite floats; copied
     * @return this builder
     * @throws NullPointerException     if {@code beta} is null
     * @throws IllegalArgumentException if its length is not {@code size} or a value is not finite
     */
    public LayerNormBuilder beta(float[] beta) {
        this.beta = Check.finite(Check.copyOfSize(beta, "beta", size), "beta");
        return this;
    }

    /**
     * Builds the layer.
     *
     * @return a new, immutable layer
     */
    public LayerNorm build() {
        return new LayerNorm(this);
    }

    @Override
    public String toString() {
        return "LayerNormBuilder[size=" + size + ", epsilon=" + epsilon + "]";
    }
}
