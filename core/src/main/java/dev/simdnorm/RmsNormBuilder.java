package dev.simdnorm;

/**
 * Builds an {@link RmsNorm}: {@code RmsNorm.builder(4096).epsilon(1e-6f).gamma(w).build()}. Each setter checks its
 * argument at once and names it in the exception. A builder may be reused, and is not thread-safe.
 */
public final class RmsNormBuilder {
    final int size;
    float epsilon = 1e-5f;
    float[] gamma;

    RmsNormBuilder(int size) {
        this.size = size;
    }

    /**
     * Sets ε, added to the mean of squares inside the square root: 1e-5 for ONNX (the default); PyTorch's default is
     * {@code Math.ulp(1f)}.
     *
     * @param epsilon ε, finite and &gt; 0
     * @return this builder
     * @throws IllegalArgumentException unless ε is finite and &gt; 0
     */
    public RmsNormBuilder epsilon(float epsilon) {
        this.epsilon = Check.epsilon(epsilon);
        return this;
    }

    /**
     * Sets γ, the scale of each position of a row (PyTorch's {@code weight}, ONNX's {@code scale}).
     *
     * @param gamma {@code size} finite floats; copied
     * @return this builder
     * @throws NullPointerException     if {@code gamma} is null
     * @throws IllegalArgumentException if its length is not {@code size} or a value is not finite
     */
    public RmsNormBuilder gamma(float[] gamma) {
        this.gamma = Check.finite(Check.copyOfSize(gamma, "gamma", size), "gamma");
        return this;
    }

    /**
     * Builds the layer.
     *
     * @return a new, immutable layer
     */
    public RmsNorm build() {
        return new RmsNorm(this);
    }

    @Override
    public String toString() {
        return "RmsNormBuilder[size=" + size + ", epsilon=" + epsilon + "]";
    }
}
