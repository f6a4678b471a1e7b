package dev.simdnorm;

import java.util.Arrays;

/**
 * A batch-normalization layer over float tensors, NHWC by default or NCHW where a {@link TensorLayout} says so, with
 * TensorFlow 1 semantics by default.
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
        return train(x, xOffset, y, yOffset, TensorLayout.NHWC, rows, 1);
    }

    /**
     * One training step on a tensor of {@code n} images of C channels and {@code spatial} = H·W positions, laid out
     * as {@code layout} says: as {@link #train(float[], int, float[], int, int)}, with the batch moments over N, H
     * and W. {@code y} has the layout of {@code x} and may be {@code x} at the same offset.
     *
     * @param x       input batch
     * @param xOffset index of the first input float
     * @param y       output, in the same layout
     * @param yOffset index of the first output float
     * @param layout  how the tensors lie in {@code x} and {@code y}
     * @param n       N, at least 1
     * @param spatial H·W, at least 1
     * @return the batch moments
     * @throws NullPointerException      if an array or {@code layout} is null
     * @throws IndexOutOfBoundsException if the n·C·spatial floats do not fit in {@code x} or {@code y}
     * @throws IllegalArgumentException  if {@code n} or {@code spatial} is not positive or x and y partially overlap
     */
    public synchronized Moments train(float[] x, int xOffset, float[] y, int yOffset, TensorLayout layout, int n,
                                      int spatial) {
        Check.layout(layout);
        int floats = Check.tensorRange(x, "x", xOffset, n, channels, spatial);
        Check.tensorRange(y, "y", yOffset, n, channels, spatial);
        Check.positiveForStatistics(n, "n");
        Check.positiveForStatistics(spatial, "spatial");
        Check.noPartialOverlap(x, xOffset, y, yOffset, floats);
        Moments batch = Moments.of(x, xOffset, layout, n, channels, spatial);
        ChannelAffine.normalizing(batch, gamma, beta, epsilon).withActivation(activation)
                .apply(x, xOffset, y, yOffset, layout, n, spatial);
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

    /**
     * Normalizes a tensor of {@code n} images of C channels and {@code spatial} = H·W positions, laid out as
     * {@code layout} says, with the running statistics: as {@link #inference(float[], int, float[], int, int)},
     * lock-free and allocation-free; {@code y} has the layout of {@code x} and may be {@code x} at the same offset.
     *
     * @param x       input
     * @param xOffset index of the first input float
     * @param y       output, in the same layout
     * @param yOffset index of the first output float
     * @param layout  how the tensors lie in {@code x} and {@code y}
     * @param n       N, ≥ 0
     * @param spatial H·W, ≥ 0
     * @throws NullPointerException      if an array or {@code layout} is null
     * @throws IndexOutOfBoundsException if the n·C·spatial floats do not fit in {@code x} or {@code y}
     * @throws IllegalArgumentException  if {@code n} or {@code spatial} is negative or x and y partially overlap
     */
    public void inference(float[] x, int xOffset, float[] y, int yOffset, TensorLayout layout, int n, int spatial) {
        inferenceMap.apply(x, xOffset, y, yOffset, layout, n, spatial);
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
