package dev.simdnorm;

import java.util.Arrays;

/**
 * A batch-normalization layer over NHWC float tensors, with TensorFlow 1 semantics by default.
 *
 * <ul>
 *   <li><b>Training</b> ({@link #train}): the batch moments over N, H and W, with the biased (÷n) variance as
 *       {@code tf.nn.moments(x, [0,1,2])}; then {@code y = (x − μ)/√(σ² + ε)·γ + β} in one centred pass; then
 *       {@code running = running·decay + batch·(1 − decay)} for the mean and the biased variance.</li>
 *   <li><b>Inference</b> ({@link #inference}): the same map with the running statistics, precomputed.</li>
 * </ul>
 *
 * <p>Defaults: ε = 0.001 (inside the square root), momentum (decay, the weight of the old running value) = 0.99,
 * γ = 1, β = 0, running mean 0, running variance 1. {@code (1 − decay)} is computed in double from the decimal value
 * of the float decay and then rounded to float, as TensorFlow computes {@code 1 − 0.99} in Python: 0.99f gives
 * exactly 0.01f. The running update itself is float arithmetic, {@code fl(fl(R·d) + fl(B·(1−d)))}, which reproduces
 * TensorFlow's values bit for bit given the same batch statistics.
 *
 * <p><b>Thread safety.</b> {@link #inference} is lock-free and allocates nothing: it reads an immutable snapshot of
 * the folded parameters, so any number of threads may call it at once, also while another thread trains or loads
 * weights (each call sees the parameters before or after that change, never a mix). {@link #train} and the setters
 * mutate the layer; they are synchronized with one another.
 *
 * <p><b>Failure.</b> Every argument is checked before anything is written: a call that throws leaves the parameters,
 * the running statistics and {@code y} exactly as they were. NaN and ±Inf in the data propagate per IEEE into that
 * channel's outputs, batch moments and (in training) running statistics. The setters accept finite values only, so
 * running statistics made non-finite by such data are repaired by loading finite ones, not by loading them back.
 */
public final class BatchNorm {

    private final int channels;
    private final float epsilon;
    private final float momentum;
    private final float oneMinusMomentum;
    private final Activation activation;
    private float[] gamma;
    private float[] beta;
    private float[] runningMean;
    private float[] runningVariance;
    /** The inference map, refolded whenever a parameter changes; immutable, so readers need no lock. */
    private volatile ChannelAffine inferenceMap;

    private BatchNorm(Builder b) {
        this.channels = b.channels;
        this.epsilon = b.epsilon;
        this.momentum = b.momentum;
        this.oneMinusMomentum = oneMinus(b.momentum);
        this.activation = b.activation;
        this.gamma = b.gamma != null ? b.gamma.clone() : filled(1f);
        this.beta = b.beta != null ? b.beta.clone() : filled(0f);
        this.runningMean = b.runningMean != null ? b.runningMean.clone() : filled(0f);
        this.runningVariance = b.runningVariance != null ? b.runningVariance.clone() : filled(1f);
        refold();
    }

    /**
     * A builder for a layer over {@code channels} channels.
     *
     * @param channels C, at least 1
     * @return a builder with the TensorFlow 1 defaults
     * @throws IllegalArgumentException if {@code channels ≤ 0}
     */
    public static Builder builder(int channels) {
        return new Builder(Check.channels(channels));
    }

    /**
     * {@code 1 − decay}, computed as Python computes {@code 1 - 0.99}: in double, from the shortest decimal that
     * reads back to the float decay, then rounded to float.
     */
    static float oneMinus(float decay) {
        return (float) (1.0 - Double.parseDouble(Float.toString(decay)));
    }

    private float[] filled(float value) {
        float[] a = new float[channels];
        Arrays.fill(a, value);
        return a;
    }

    /**
     * One training step: computes the batch moments of {@code x}, normalizes {@code x} into {@code y} with them, then
     * updates the running statistics. Two passes over {@code x}. {@code y} may be {@code x} at the same offset.
     *
     * @param x       input batch, NHWC
     * @param xOffset index of the first input float
     * @param y       output, NHWC
     * @param yOffset index of the first output float
     * @param rows    N·H·W, at least 1
     * @return the batch moments
     * @throws NullPointerException      if an array is null
     * @throws IndexOutOfBoundsException if the rows do not fit in {@code x} or {@code y}
     * @throws IllegalArgumentException  if {@code rows ≤ 0} or x and y partially overlap
     */
    public synchronized Moments train(float[] x, int xOffset, float[] y, int yOffset, int rows) {
        Check.range(x, "x", xOffset, rows, channels);
        Check.range(y, "y", yOffset, rows, channels);
        Check.positiveRows(rows);
        Check.noPartialOverlap(x, xOffset, y, yOffset, rows * channels);
        Moments batch = Moments.of(x, xOffset, rows, channels);
        ChannelAffine.normalizing(batch, gamma, beta, epsilon).withActivation(activation)
                .apply(x, xOffset, y, yOffset, rows);
        float[] mean = runningMean.clone();
        float[] variance = runningVariance.clone();
        updateRunning(mean, variance, batch.means(), batch.variances());
        runningMean = mean;
        runningVariance = variance;
        refold();
        return batch;
    }

    /** The running update of the TF1 idiom, in float: {@code R = R·decay + B·(1 − decay)}. */
    void updateRunning(float[] mean, float[] variance, float[] batchMean, float[] batchVariance) {
        float d = momentum;
        float w = oneMinusMomentum;
        for (int c = 0; c < channels; c++) {
            mean[c] = mean[c] * d + batchMean[c] * w;
            variance[c] = variance[c] * d + batchVariance[c] * w;
        }
    }

    /**
     * Normalizes {@code x} into {@code y} with the running statistics. Lock-free, allocation-free; {@code y} may be
     * {@code x} at the same offset.
     *
     * @param x       input, NHWC
     * @param xOffset index of the first input float
     * @param y       output, NHWC
     * @param yOffset index of the first output float
     * @param rows    N·H·W, ≥ 0
     * @throws NullPointerException      if an array is null
     * @throws IndexOutOfBoundsException if the rows do not fit in {@code x} or {@code y}
     * @throws IllegalArgumentException  if {@code rows < 0} or x and y partially overlap
     */
    public void inference(float[] x, int xOffset, float[] y, int yOffset, int rows) {
        inferenceMap.apply(x, xOffset, y, yOffset, rows);
    }

    /** Arrays held by this layer are replaced, never written in place, so the map may share them. */
    private void refold() {
        inferenceMap = ChannelAffine.fold(runningMean, runningVariance, gamma, beta, epsilon, activation);
    }

    /**
     * Returns the number of channels.
     *
     * @return the number of channels
     */
    public int channels() {
        return channels;
    }

    /**
     * Returns ε, added to the variance inside the square root.
     *
     * @return ε, added to the variance inside the square root
     */
    public float epsilon() {
        return epsilon;
    }

    /**
     * Returns the decay: the weight of the old running value in the running update.
     *
     * @return the decay: the weight of the old running value in the running update
     */
    public float momentum() {
        return momentum;
    }

    /**
     * Returns the activation fused into the output.
     *
     * @return the activation fused into the output
     */
    public Activation activation() {
        return activation;
    }

    /**
     * Returns a copy of γ.
     *
     * @return a copy of γ
     */
    public synchronized float[] gamma() {
        return gamma.clone();
    }

    /**
     * Returns a copy of β.
     *
     * @return a copy of β
     */
    public synchronized float[] beta() {
        return beta.clone();
    }

    /**
     * Returns a copy of the running mean.
     *
     * @return a copy of the running mean
     */
    public synchronized float[] runningMean() {
        return runningMean.clone();
    }

    /**
     * Returns a copy of the running (population) variance.
     *
     * @return a copy of the running (population) variance
     */
    public synchronized float[] runningVariance() {
        return runningVariance.clone();
    }

    /**
     * Loads γ.
     *
     * @param gamma per-channel scale, finite, length C; copied
     */
    public synchronized void setGamma(float[] gamma) {
        this.gamma = Check.finite(Check.copyOfLength(gamma, "gamma", channels), "gamma");
        refold();
    }

    /**
     * Loads β.
     *
     * @param beta per-channel offset, finite, length C; copied
     */
    public synchronized void setBeta(float[] beta) {
        this.beta = Check.finite(Check.copyOfLength(beta, "beta", channels), "beta");
        refold();
    }

    /**
     * Loads the running mean.
     *
     * @param runningMean per-channel mean, finite, length C; copied
     */
    public synchronized void setRunningMean(float[] runningMean) {
        this.runningMean = Check.finite(Check.copyOfLength(runningMean, "runningMean", channels), "runningMean");
        refold();
    }

    /**
     * Loads the running variance.
     *
     * @param runningVariance per-channel population variance, finite and ≥ 0, length C; copied
     */
    public synchronized void setRunningVariance(float[] runningVariance) {
        this.runningVariance = Check.nonNegativeFinite(
                Check.copyOfLength(runningVariance, "runningVariance", channels), "runningVariance");
        refold();
    }

    // ---------------------------------------------------------------------------------------------- backward pass
    // (kept together here, apart from the forward pass)

    /**
     * The backward pass of a training step: given the gradient {@code dy} of a loss with respect to the step's output,
     * writes the gradient with respect to its input into {@code dx} and returns those with respect to γ and β. With
     * the batch moments μ and σ², {@code k = γ/√(σ² + ε)} and {@code g = dy} (with {@link Activation#RELU}, 0 where the
     * step's output was ≤ 0), per channel over its n = N·H·W values:
     * <ul>
     *   <li>{@code dβ = Σg} and {@code dγ = Σ(x − μ)·g/√(σ² + ε)};</li>
     *   <li>{@code dx = k·(g − Σg/n − (x − μ)·Σ(x − μ)·g/(n·(σ² + ε)))}: μ and σ² depend on x.</li>
     * </ul>
     * One pass over x and dy computes both sums, a second computes dx. The ReLU mask is recomputed from x, bit for
     * bit as {@link #train} computed the output, so the output itself is not needed; that holds while γ and β are
     * those of the step (call this before loading new ones). {@code dx} may be {@code x} or {@code dy} at the same
     * offset (in place). Synchronized with {@link #train} and the setters, as it reads γ and β. NaN and ±Inf
     * propagate per IEEE into their channel's gradients.
     *
     * @param x        the step's input, as passed to {@link #train}
     * @param xOffset  index of the first input float
     * @param dy       gradient with respect to the step's output, NHWC
     * @param dyOffset index of the first float of {@code dy}
     * @param dx       out: gradient with respect to {@code x}, NHWC
     * @param dxOffset index of the first float of {@code dx}
     * @param rows     N·H·W, equal to {@code batch.count()}
     * @param batch    the moments {@link #train} returned for {@code x}
     * @return dγ and dβ
     * @throws NullPointerException      if an array or {@code batch} is null
     * @throws IndexOutOfBoundsException if the rows do not fit in {@code x}, {@code dy} or {@code dx}
     * @throws IllegalArgumentException  if {@code rows} is not {@code batch.count()}, {@code batch} has another number
     *                                   of channels, or {@code dx} partially overlaps {@code x} or {@code dy}
     */
    public synchronized Gradients backward(float[] x, int xOffset, float[] dy, int dyOffset, float[] dx, int dxOffset,
                                           int rows, Moments batch) {
        Check.notNull(batch, "batch");
        checkBackward(x, xOffset, dy, dyOffset, dx, dxOffset, rows);
        if (batch.channels() != channels) {
            throw new IllegalArgumentException("batch has " + batch.channels() + " channels, expected " + channels);
        }
        if (batch.count() != rows) {
            throw new IllegalArgumentException("rows must equal batch.count() " + batch.count()
                    + " (the moments of these rows), got " + rows);
        }
        double[] variance = new double[channels];
        for (int c = 0; c < channels; c++) {
            variance[c] = batch.varianceAsDouble(c);
        }
        ChannelAffine forward = ChannelAffine.normalizing(batch, gamma, beta, epsilon).withActivation(activation);
        return BatchNormGradient.backward(x, xOffset, dy, dyOffset, dx, dxOffset, rows, forward, variance, gamma,
                epsilon, true);
    }

    /**
     * The backward pass of {@link #inference}, for a layer whose statistics are frozen: the running statistics are
     * constants, so {@code dx = g·γ/√(R_σ² + ε)}, {@code dγ = Σ(x − R_μ)·g/√(R_σ² + ε)} and {@code dβ = Σg}, with
     * {@code g = dy} (with {@link Activation#RELU}, 0 where the inference output was ≤ 0, recomputed from x). One pass
     * over x and dy, and a second that reads dy (and x only for the ReLU mask). {@code dx} may be {@code x} or
     * {@code dy} at the same offset. Synchronized with {@link #train} and the setters.
     *
     * @param x        the input, as passed to {@link #inference}
     * @param xOffset  index of the first input float
     * @param dy       gradient with respect to the output, NHWC
     * @param dyOffset index of the first float of {@code dy}
     * @param dx       out: gradient with respect to {@code x}, NHWC
     * @param dxOffset index of the first float of {@code dx}
     * @param rows     N·H·W, ≥ 0
     * @return dγ and dβ
     * @throws NullPointerException      if an array is null
     * @throws IndexOutOfBoundsException if the rows do not fit in {@code x}, {@code dy} or {@code dx}
     * @throws IllegalArgumentException  if {@code rows < 0} or {@code dx} partially overlaps {@code x} or {@code dy}
     */
    public synchronized Gradients backwardInference(float[] x, int xOffset, float[] dy, int dyOffset, float[] dx,
                                                    int dxOffset, int rows) {
        checkBackward(x, xOffset, dy, dyOffset, dx, dxOffset, rows);
        double[] variance = new double[channels];
        for (int c = 0; c < channels; c++) {
            variance[c] = runningVariance[c];
        }
        return BatchNormGradient.backward(x, xOffset, dy, dyOffset, dx, dxOffset, rows, inferenceMap, variance, gamma,
                epsilon, false);
    }

    private void checkBackward(float[] x, int xOffset, float[] dy, int dyOffset, float[] dx, int dxOffset, int rows) {
        Check.range(x, "x", xOffset, rows, channels);
        Check.range(dy, "dy", dyOffset, rows, channels);
        Check.range(dx, "dx", dxOffset, rows, channels);
        Check.noPartialOverlap(x, "x", xOffset, dx, "dx", dxOffset, rows * channels);
        Check.noPartialOverlap(dy, "dy", dyOffset, dx, "dx", dxOffset, rows * channels);
    }

    /**
     * Builds a {@link BatchNorm}. Each setter checks its argument at once and names it in the exception. A builder is
     * not thread-safe.
     */
    public static final class Builder {
        private final int channels;
        private float epsilon = 0.001f;
        private float momentum = 0.99f;
        private Activation activation = Activation.NONE;
        private float[] gamma;
        private float[] beta;
        private float[] runningMean;
        private float[] runningVariance;

        private Builder(int channels) {
            this.channels = channels;
        }

        /**
         * Sets ε, added to the variance inside the square root.
         *
         * @param epsilon ε, finite and &gt; 0 (default 0.001)
         * @return this builder
         */
        public Builder epsilon(float epsilon) {
            this.epsilon = Check.epsilon(epsilon);
            return this;
        }

        /**
         * Sets the decay of the running statistics.
         *
         * @param momentum the decay, the weight of the old running value, in [0, 1] (default 0.99)
         * @return this builder
         */
        public Builder momentum(float momentum) {
            this.momentum = Check.momentum(momentum);
            return this;
        }

        /**
         * Sets the activation fused into the output.
         *
         * @param activation fused into the output (default {@link Activation#NONE})
         * @return this builder
         */
        public Builder activation(Activation activation) {
            this.activation = Check.notNull(activation, "activation");
            return this;
        }

        /**
         * Sets the scale γ.
         *
         * @param gamma per-channel scale γ, finite, length C (default 1); copied
         * @return this builder
         */
        public Builder gamma(float[] gamma) {
            this.gamma = Check.finite(Check.copyOfLength(gamma, "gamma", channels), "gamma");
            return this;
        }

        /**
         * Sets the offset β.
         *
         * @param beta per-channel offset β, finite, length C (default 0); copied
         * @return this builder
         */
        public Builder beta(float[] beta) {
            this.beta = Check.finite(Check.copyOfLength(beta, "beta", channels), "beta");
            return this;
        }

        /**
         * Sets the initial running mean.
         *
         * @param runningMean initial running mean, finite, length C (default 0); copied
         * @return this builder
         */
        public Builder runningMean(float[] runningMean) {
            this.runningMean = Check.finite(Check.copyOfLength(runningMean, "runningMean", channels), "runningMean");
            return this;
        }

        /**
         * Sets the initial running variance.
         *
         * @param runningVariance initial running variance, finite and ≥ 0, length C (default 1); copied
         * @return this builder
         */
        public Builder runningVariance(float[] runningVariance) {
            this.runningVariance = Check.nonNegativeFinite(
                    Check.copyOfLength(runningVariance, "runningVariance", channels), "runningVariance");
            return this;
        }

        /**
         * Returns a new layer; the builder may be reused.
         *
         * @return a new layer; the builder may be reused
         */
        public BatchNorm build() {
            return new BatchNorm(this);
        }
    }
}
