package dev.simdnorm;

/**
 * Builds a {@link BatchNorm}: {@code BatchNorm.builder(64).convention(Convention.PYTORCH).build()}. Each setter checks
 * its argument at once and names it in the exception; settings not made keep the convention's defaults. A builder may
 * be reused, and is not thread-safe.
 */
public final class BatchNormBuilder {
    final int channels;
    Convention convention = Convention.TENSORFLOW;
    /** NaN until set: then the convention's default applies. */
    float epsilon = Float.NaN;
    float momentum = Float.NaN;
    boolean cumulativeAverage;
    Activation activation = Activation.NONE;
    float[] gamma;
    float[] beta;
    float[] runningMean;
    float[] runningVariance;

    BatchNormBuilder(int channels) {
        this.channels = channels;
    }

    /**
     * Sets the framework convention: the meaning of {@link #momentum}, the running update and the defaults of ε
     * and momentum (those not set explicitly). See {@link Convention}.
     *
     * @param convention the convention (default {@link Convention#TENSORFLOW})
     * @return this builder
     * @throws NullPointerException if {@code convention} is null
     */
    public BatchNormBuilder convention(Convention convention) {
        this.convention = Check.notNull(convention, "convention");
        return this;
    }

    /**
     * Sets ε, added to the variance inside the square root.
     *
     * @param epsilon ε, finite and &gt; 0 (default: the convention's, 0.001 for TensorFlow)
     * @return this builder
     * @throws IllegalArgumentException unless ε is finite and &gt; 0
     */
    public BatchNormBuilder epsilon(float epsilon) {
        this.epsilon = Check.epsilon(epsilon);
        return this;
    }

    /**
     * Sets the momentum of the running statistics, in the convention's own meaning: the decay (weight of the old
     * value) for TensorFlow, Keras and ONNX; the weight of the new batch for PyTorch and TF fused's
     * {@code exponential_avg_factor}.
     *
     * @param momentum in [0, 1] (default: the convention's, 0.99 for TensorFlow)
     * @return this builder
     * @throws IllegalArgumentException if {@code momentum} is not in [0, 1]
     */
    public BatchNormBuilder momentum(float momentum) {
        this.momentum = Check.momentum(momentum);
        return this;
    }

    /**
     * Makes the running statistics PyTorch's cumulative average ({@code momentum=None}): the k-th training step
     * weighs its batch 1/k, so after k steps they are the mean of the k batches' statistics. Only with
     * {@link Convention#PYTORCH}, and not with {@link #momentum}.
     *
     * @return this builder
     */
    public BatchNormBuilder cumulativeAverage() {
        this.cumulativeAverage = true;
        return this;
    }

    /**
     * Sets the activation fused into the output.
     *
     * @param activation fused into the output (default {@link Activation#NONE})
     * @return this builder
     * @throws NullPointerException if {@code activation} is null
     */
    public BatchNormBuilder activation(Activation activation) {
        this.activation = Check.notNull(activation, "activation");
        return this;
    }

    /**
     * Sets the scale γ. With ε, |γ|/√ε must be a finite float (checked by {@link #build}): the scale a constant
     * channel gets in training.
     *
     * @param gamma per-channel scale γ, finite, length C (default 1); copied
     * @return this builder
     * @throws NullPointerException     if {@code gamma} is null
     * @throws IllegalArgumentException if its length is not C or a value is not finite
     */
    public BatchNormBuilder gamma(float[] gamma) {
        this.gamma = Check.finite(Check.copyOfLength(gamma, "gamma", channels), "gamma");
        return this;
    }

    /**
     * Sets the offset β.
     *
     * @param beta per-channel offset β, finite, length C (default 0); copied
     * @return this builder
     * @throws NullPointerException     if {@code beta} is null
     * @throws IllegalArgumentException if its length is not C or a value is not finite
     */
    public BatchNormBuilder beta(float[] beta) {
        this.beta = Check.finite(Check.copyOfLength(beta, "beta", channels), "beta");
        return this;
    }

    /**
     * Sets the initial running mean.
     *
     * @param runningMean initial running mean, finite, length C (default 0); copied
     * @return this builder
     * @throws NullPointerException     if {@code runningMean} is null
     * @throws IllegalArgumentException if its length is not C or a value is not finite
     */
    public BatchNormBuilder runningMean(float[] runningMean) {
        this.runningMean = Check.finite(Check.copyOfLength(runningMean, "runningMean", channels), "runningMean");
        return this;
    }

    /**
     * Sets the initial running variance.
     *
     * @param runningVariance initial running variance, finite and ≥ 0, length C (default 1); copied
     * @return this builder
     * @throws NullPointerException     if {@code runningVariance} is null
     * @throws IllegalArgumentException if its length is not C or a value is not finite or negative
     */
    public BatchNormBuilder runningVariance(float[] runningVariance) {
        this.runningVariance = Check.nonNegativeFinite(
                Check.copyOfLength(runningVariance, "runningVariance", channels), "runningVariance");
        return this;
    }

    /**
     * Returns a new layer; the builder may be reused.
     *
     * @return a new layer
     * @throws IllegalStateException    if {@link #cumulativeAverage()} was asked for with a convention other than
     *                                  {@link Convention#PYTORCH}, or together with {@link #momentum}
     * @throws IllegalArgumentException if |γ|/√ε overflows float
     */
    public BatchNorm build() {
        if (cumulativeAverage && convention != Convention.PYTORCH) {
            throw new IllegalStateException("cumulativeAverage() is PyTorch's momentum=None: it needs "
                    + "convention(Convention.PYTORCH), got " + convention);
        }
        if (cumulativeAverage && !Float.isNaN(momentum)) {
            throw new IllegalStateException("cumulativeAverage() replaces momentum: set one of them, not both");
        }
        return new BatchNorm(this);
    }

    @Override
    public String toString() {
        return "BatchNormBuilder[channels=" + channels + ", convention=" + convention + "]";
    }
}
