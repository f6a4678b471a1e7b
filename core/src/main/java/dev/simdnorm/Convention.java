package dev.simdnorm;

/**
 * A framework's batch-normalization convention: what {@code momentum} means, the defaults, which variance updates the
 * running variance, and the float arithmetic of that update, reproduced so that the running statistics agree with the
 * framework's bit for bit given the same batch statistics.
 *
 * <p>Every convention normalizes a training batch with its biased (÷n) variance and inference with the running
 * statistics; they differ only in the running update and the defaults. {@link BatchNormBuilder#momentum} takes the
 * framework's own parameter with its own meaning, so a number copied from a model's configuration means the same
 * thing here; {@link #convertMomentum} converts it between conventions.
 *
 * <table class="striped">
 *   <caption>The conventions (B: the batch statistic, R: the running value, n: values per channel)</caption>
 *   <thead><tr><th>convention</th><th>ε</th><th>momentum</th><th>running update</th><th>variance in it</th></tr>
 *   </thead>
 *   <tbody>
 *   <tr><td>{@link #TENSORFLOW}</td><td>0.001</td><td>decay d = 0.99, weight of old</td><td>R·d + B·(1−d)</td>
 *       <td>biased</td></tr>
 *   <tr><td>{@link #KERAS}</td><td>0.001</td><td>0.99, weight of old</td><td>R·m + B·(1−m)</td><td>biased</td></tr>
 *   <tr><td>{@link #TF_FUSED}</td><td>0.001</td><td>exponential_avg_factor f = 0.01, weight of new</td>
 *       <td>(1−f)·R + f·B</td><td>unbiased, n/max(n−1, 1)</td></tr>
 *   <tr><td>{@link #PYTORCH}</td><td>1e-5</td><td>m = 0.1, weight of new</td><td>(1−m)·R + m·B</td>
 *       <td>unbiased, n/(n−1); n = 1 is an error</td></tr>
 *   <tr><td>{@link #ONNX}</td><td>1e-5</td><td>0.9, weight of old</td><td>R·m + B·(1−m)</td><td>biased</td></tr>
 *   </tbody>
 * </table>
 *
 * <p>Immutable, thread-safe.
 */
public enum Convention {

    /**
     * The TF1 idiom: {@code tf.nn.moments(x, [0,1,2])}, then {@code R = R·decay + B·(1 − decay)} with the biased
     * variance; {@code 1 − decay} is computed in double from the decimal decay, as Python does, then rounded to float.
     * The default.
     */
    TENSORFLOW(0.001f, 0.99f, false),

    /**
     * Keras 3 {@code BatchNormalization}: {@code moving = moving·momentum + batch·(1 − momentum)} with the biased
     * variance, momentum 0.99, ε 0.001. The same arithmetic as {@link #TENSORFLOW}. (Keras 2, i.e. {@code tf.keras}
     * with {@code fused=True}, ran {@code FusedBatchNormV3}: use {@link #TF_FUSED} with factor 1 − momentum.)
     */
    KERAS(0.001f, 0.99f, false),

    /**
     * TensorFlow's {@code FusedBatchNormV3}: momentum is {@code exponential_avg_factor} f, the weight of the new
     * batch; the running variance takes Bessel's correction {@code n/max(n − 1, 1)}. Defaults ε 0.001 and f 0.01,
     * what Keras passes for momentum 0.99 (the raw op's own defaults are ε 1e-4 and f 1, which replaces the running
     * statistics by the batch's). Update in float: {@code fl(fl((1−f)·R) + fl(f·B))} for the mean and
     * {@code fl(fl((1−f)·R) + fl(fl(f·σ²)·fl(n/(n−1))))} for the variance, with 1−f a float subtraction: what
     * TensorFlow runs by default on x86-64 (its oneDNN kernel, bit for bit in the reference files); its Eigen kernel
     * ({@code TF_ENABLE_ONEDNN_OPTS=0}) rounds {@code fl(f·n/(n−1))·σ²} instead, which can differ by an ulp.
     */
    TF_FUSED(0.001f, 0.01f, true),

    /**
     * PyTorch {@code BatchNorm2d}: momentum m is the weight of the new batch, the running variance is updated with
     * the unbiased variance, ε 1e-5. A training batch of one value per channel is an error, as in PyTorch. With
     * {@link BatchNormBuilder#cumulativeAverage()} (PyTorch's {@code momentum=None}) the factor of the k-th batch is
     * 1/k. Update as its CPU kernel: {@code fl(fl(m·B) + fl((1−m)·R))} for the mean in float, and for the variance
     * {@code m·σ̂²} in double (exact) plus {@code fl((1−m)·R)}, summed in double and stored to float (two roundings,
     * as ATen's {@code batch_norm_cpu_update_stats_template}), with m cast to float and 1−m a float subtraction.
     */
    PYTORCH(1e-5f, 0.1f, true),

    /**
     * ONNX {@code BatchNormalization} (opset 15): momentum 0.9 is the weight of the old value, the running variance is
     * updated with the biased variance, ε 1e-5. Update in float, {@code fl(fl(R·m) + fl(B·(1−m)))}, with 1−m a float
     * subtraction.
     */
    ONNX(1e-5f, 0.9f, false);

    private final float defaultEpsilon;
    private final float defaultMomentum;
    private final boolean momentumWeighsNewBatch;

    Convention(float defaultEpsilon, float defaultMomentum, boolean momentumWeighsNewBatch) {
        this.defaultEpsilon = defaultEpsilon;
        this.defaultMomentum = defaultMomentum;
        this.momentumWeighsNewBatch = momentumWeighsNewBatch;
    }

    /**
     * Returns the framework's default ε.
     *
     * @return the framework's default ε, added to the variance inside the square root
     */
    public float defaultEpsilon() {
        return defaultEpsilon;
    }

    /**
     * Returns the framework's default momentum, in its own meaning.
     *
     * @return the framework's default momentum
     */
    public float defaultMomentum() {
        return defaultMomentum;
    }

    /**
     * Tells what this framework's momentum weighs.
     *
     * @return true if momentum is the weight of the new batch (TF fused, PyTorch), false if it is the weight of the
     *         old running value (TensorFlow, Keras, ONNX)
     */
    public boolean momentumWeighsNewBatch() {
        return momentumWeighsNewBatch;
    }

    /**
     * Converts a momentum of this convention into the {@code target} convention's parameter with the same meaning:
     * unchanged if both weigh the same thing, otherwise {@code 1 − momentum}, computed in double from the decimal
     * value and rounded once (PyTorch 0.1 gives TensorFlow 0.9, TensorFlow 0.99 gives PyTorch 0.01).
     *
     * @param momentum a momentum in this convention's meaning, in [0, 1]
     * @param target   the convention to convert to
     * @return the target's momentum with the same weights
     * @throws IllegalArgumentException if momentum is outside [0, 1]
     * @throws NullPointerException     if target is null
     */
    public float convertMomentum(float momentum, Convention target) {
        Check.momentum(momentum);
        Check.notNull(target, "target");
        return target.momentumWeighsNewBatch == momentumWeighsNewBatch ? momentum : decimalOneMinus(momentum);
    }

    /** True where the running variance is updated with the unbiased variance (and batch_var is reported so). */
    boolean unbiasedInUpdate() {
        return this == PYTORCH;
    }

    /** {@code 1 − v} as Python computes {@code 1 - 0.99}: in double from the shortest decimal of v, rounded once. */
    static float decimalOneMinus(float v) {
        return (float) (1.0 - Double.parseDouble(Float.toString(v)));
    }

    /**
     * The weights of one update: {@code old} for the running value and {@code fresh} for the batch's.
     *
     * @param momentum this convention's parameter; ignored when {@code cumulativeStep > 0}
     * @param cumulativeStep k ≥ 1 for PyTorch's cumulative average over k batches, else 0
     */
    Weights weights(float momentum, long cumulativeStep) {
        if (cumulativeStep > 0) {
            // torch: exponential_average_factor = 1.0 / float(num_batches_tracked), a Python double, which the CPU
            // kernel casts to float before it subtracts it from 1 in float.
            float f = (float) (1.0 / cumulativeStep);
            return new Weights(1f - f, f);
        }
        return switch (this) {
            case TENSORFLOW, KERAS -> new Weights(momentum, decimalOneMinus(momentum));
            case ONNX -> new Weights(momentum, 1f - momentum);
            // ATen batch_norm_cpu_update_stats_template: momentum_ = static_cast<float>(momentum), then 1 - momentum_.
            case TF_FUSED, PYTORCH -> new Weights(1f - momentum, momentum);
        };
    }

    /** The float weights of the running value ({@code old}) and of the batch value ({@code fresh}). */
    record Weights(float old, float fresh) {
    }

    /**
     * One running update of every channel, in this framework's float arithmetic.
     *
     * @param mean          the running mean, updated in place
     * @param variance      the running variance, updated in place
     * @param batchMean     the batch mean
     * @param batchVariance the batch variance the framework reports: unbiased for PyTorch, biased otherwise
     * @param n             values per channel in the batch
     */
    void update(float[] mean, float[] variance, float[] batchMean, float[] batchVariance, long n, Weights w) {
        float old = w.old();
        float fresh = w.fresh();
        // TF fused's C++: rest_size / max(rest_size − 1, 1), both cast to float first; the product order of its
        // oneDNN kernel, TensorFlow's default on x86-64 (the Eigen kernel multiplies f by this factor first).
        float bessel = (float) n / (float) Math.max(n - 1, 1);
        switch (this) { // outside the loops: one loop without branches per convention
            case TENSORFLOW, KERAS, ONNX -> {
                for (int c = 0; c < mean.length; c++) {
                    mean[c] = mean[c] * old + batchMean[c] * fresh;
                    variance[c] = variance[c] * old + batchVariance[c] * fresh;
                }
            }
            case TF_FUSED -> {
                for (int c = 0; c < mean.length; c++) {
                    if (fresh == 1f) { // TF's own special case: the batch's statistics replace the running ones
                        mean[c] = batchMean[c];
                        variance[c] = batchVariance[c] * bessel;
                    } else {
                        mean[c] = old * mean[c] + fresh * batchMean[c];
                        variance[c] = old * variance[c] + (fresh * batchVariance[c]) * bessel;
                    }
                }
            }
            case PYTORCH -> {
                for (int c = 0; c < mean.length; c++) {
                    mean[c] = fresh * batchMean[c] + old * mean[c];
                    // ATen batch_norm_cpu_update_stats_template: momentum_ · unbiased_var in double (its accscalar_t;
                    // exact here, of two floats), (1 − momentum_) · running_var in float, the sum in double, then
                    // stored to float: two roundings, not one (an FMA differed by an ulp near a float midpoint).
                    variance[c] = (float) ((double) fresh * batchVariance[c] + (double) (old * variance[c]));
                }
            }
        }
    }
}
