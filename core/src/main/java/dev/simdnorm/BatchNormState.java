package dev.simdnorm;

import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The state of a {@link BatchNorm}: its configuration, γ, β, the running statistics and the step count, the lock that
 * guards them, and the immutable inference snapshot that lets inference read them without that lock. Its public
 * methods are the layer's accessors and setters, and its recalibrated copy; the backward passes are in
 * {@link BatchNormBackward}, the other operations on tensors in {@link BatchNorm}, the one class below that.
 */
abstract sealed class BatchNormState permits BatchNormBackward {

    final int channels;
    final Convention convention;
    final float epsilon;
    /** The convention's own parameter; NaN under cumulative averaging. */
    final float momentum;
    final boolean cumulativeAverage;
    final Activation activation;
    final boolean relu;
    /** The running update's weights, fixed by the momentum; null under cumulative averaging, where they change. */
    final Convention.Weights weights;
    /** Held by training, the setters and the backward passes; inference only tries it, to refresh its snapshot. */
    final ReentrantLock lock = new ReentrantLock();
    /** Training steps taken (PyTorch's {@code num_batches_tracked}); the divisor of the cumulative average. */
    long batchesTracked;
    final float[] gamma;
    final float[] beta;
    final float[] runningMean;
    final float[] runningVariance;
    /** The working arrays of training and the backward passes, made at the first of them. */
    TrainingState training;
    /** The inference map of the state when it was last refreshed; immutable, so readers need no lock. */
    volatile Snapshot snapshot;
    /** Whether the state changed since {@link #snapshot} was made. */
    volatile boolean stale;
    /** Whether an inference found the map stale while the lock was held: the holder then refreshes it. */
    volatile boolean inferenceWaiting;

    BatchNormState(BatchNormBuilder b) {
        this.channels = b.channels;
        this.convention = b.convention;
        this.epsilon = Float.isNaN(b.epsilon) ? b.convention.defaultEpsilon() : b.epsilon;
        this.cumulativeAverage = b.cumulativeAverage;
        this.momentum = b.cumulativeAverage ? Float.NaN
                : Float.isNaN(b.momentum) ? b.convention.defaultMomentum() : b.momentum;
        this.activation = b.activation;
        this.relu = b.activation == Activation.RELU;
        this.weights = cumulativeAverage ? null : convention.weights(momentum, 0);
        this.gamma = b.gamma != null ? b.gamma.clone() : filled(1f);
        this.beta = b.beta != null ? b.beta.clone() : filled(0f);
        this.runningMean = b.runningMean != null ? b.runningMean.clone() : filled(0f);
        this.runningVariance = b.runningVariance != null ? b.runningVariance.clone() : filled(1f);
        Check.trainableGamma(gamma, epsilon);
        this.snapshot = fold();
    }

    private float[] filled(float value) {
        float[] a = new float[channels];
        Arrays.fill(a, value);
        return a;
    }

    /** The working arrays; with the lock held. */
    TrainingState trainingState() {
        if (training == null) {
            training = new TrainingState(channels);
        }
        return training;
    }

    /** The running update of the step whose batch moments are in {@code t}, in place; with the lock held. */
    void commit(TrainingState t, long count) {
        long step = batchesTracked == Long.MAX_VALUE ? Long.MAX_VALUE : batchesTracked + 1;
        t.batchStatistics(count, convention.unbiasedInUpdate());
        updateRunning(runningMean, runningVariance, t.batchMean, t.batchVariance, count, step);
        batchesTracked = step;
        changed();
    }

    /**
     * The convention's running update of the k-th training step, in float, fed the batch statistics as the framework
     * reports them (the variance unbiased for PyTorch, biased otherwise).
     */
    void updateRunning(float[] mean, float[] variance, float[] batchMean, float[] batchVariance, long n, long step) {
        convention.update(mean, variance, batchMean, batchVariance, n,
                weights != null ? weights : convention.weights(momentum, step));
    }

    /**
     * The inference map of the current state: the running statistics, γ, β and ε folded into one
     * {@link ChannelAffine}, with the layer's activation, to apply inside one's own loops. A snapshot: later training
     * does not change it.
     *
     * @return the map
     * @throws IllegalStateException if a running variance is +Inf ({@link BatchNorm}'s Failure paragraph)
     */
    public ChannelAffine inferenceMap() {
        lock.lock();
        try {
            return refresh().usable();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The map inference runs now: the snapshot, refreshed first if the state changed and the lock is free. If another
     * thread holds the lock, the last snapshot serves; a holder that changes the state (it trains or loads) refreshes
     * it then ({@link #changed}), and a snapshot left stale by an earlier change is refreshed by the next inference
     * that finds the lock free.
     */
    ChannelAffine currentMap() {
        if (stale) {
            if (lock.tryLock()) {
                try {
                    return refresh().usable();
                } finally {
                    lock.unlock();
                }
            }
            inferenceWaiting = true;
        }
        return snapshot.usable();
    }

    /** With the lock held: a new snapshot if the state changed. */
    Snapshot refresh() {
        if (stale) {
            snapshot = fold();
            stale = false;
        }
        return snapshot;
    }

    /** With the lock held (or in the constructor): the inference map of the current state. */
    Snapshot fold() {
        return new Snapshot(ChannelAffine.of(ChannelAffine.inference(runningMean, runningVariance, gamma, beta,
                epsilon), activation), refusal(runningVariance));
    }

    /**
     * An inference map and, where the running statistics cannot give a right answer, why (else null): replaced
     * together, so a reader never pairs one state's map with another's verdict.
     */
    record Snapshot(ChannelAffine map, String refusal) {

        /**
         * The map, where it may be used.
         *
         * @throws IllegalStateException if a running variance is +Inf
         */
        ChannelAffine usable() {
            if (refusal != null) {
                throw new IllegalStateException(refusal);
            }
            return map;
        }
    }

    /**
     * Why running statistics cannot serve inference, or null. A running variance of +Inf (finite data whose batch
     * variance passed float's range, σ above about 1.8e19, in a training step) makes the scale γ/√(σ² + ε) 0, and
     * every output β whatever x: a wrong answer without a sign, refused. NaN statistics (from NaN or infinite data)
     * give NaN outputs, which show themselves, and pass.
     */
    static String refusal(float[] runningVariance) {
        for (int c = 0; c < runningVariance.length; c++) {
            if (runningVariance[c] == Float.POSITIVE_INFINITY) {
                return "the running variance of channel " + c + " is +Infinity (a training step's batch variance "
                        + "beyond float's range, a standard deviation above about 1.8e19), so inference would give β "
                        + "whatever x; load finite running statistics (setRunningVariance, setParameters) first";
            }
        }
        return null;
    }

    /**
     * With the lock held, after the state changed: inference refreshes its snapshot at its next call, or now if an
     * inference is waiting for it. Training steps that no inference reads in between allocate no snapshot.
     */
    void changed() {
        stale = true;
        if (inferenceWaiting) {
            try {
                refresh();
                inferenceWaiting = false;
            } catch (OutOfMemoryError | StackOverflowError e) {
                // The state has changed, whole: the call must not throw now. The snapshot stays stale, and the next
                // inference that finds the lock free, or the next change, refreshes it.
            }
        }
    }

    /**
     * Takes the layer's lock for an operation that changes its state or uses its working arrays (training, the
     * backward passes, the setters), refusing a call made on a thread that already holds it: only an executor of a
     * {@link Parallelism} that runs other work inside {@code execute} can make one, and the operation under way is
     * using the arrays and parameters that call would change.
     *
     * @throws IllegalStateException if this thread holds the lock already
     */
    final void lockForChange() {
        lock.lock();
        if (lock.getHoldCount() > 1) {
            lock.unlock();
            throw new IllegalStateException("a training step, backward pass or setter of this layer was called from "
                    + "inside another operation of the same layer on the same thread (an executor that runs other "
                    + "work inside execute): the layer takes them one at a time");
        }
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
     * Returns the framework convention of the running update.
     *
     * @return the convention
     */
    public Convention convention() {
        return convention;
    }

    /**
     * Returns the momentum in the convention's own meaning (for {@link Convention#TENSORFLOW} the decay, the weight
     * of the old running value; for {@link Convention#PYTORCH} the weight of the new batch).
     *
     * @return the momentum, or NaN under {@link BatchNormBuilder#cumulativeAverage() cumulative averaging}
     */
    public float momentum() {
        return momentum;
    }

    /**
     * Tells whether the running statistics are PyTorch's cumulative average ({@code momentum=None}).
     *
     * @return true under cumulative averaging
     */
    public boolean cumulativeAverage() {
        return cumulativeAverage;
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
     * Returns the number of training steps taken (PyTorch's {@code num_batches_tracked}).
     *
     * @return the number of training steps taken, or the value last loaded
     */
    public long batchesTracked() {
        lock.lock();
        try {
            return batchesTracked;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Loads the number of training steps taken, as PyTorch's {@code num_batches_tracked}; under cumulative averaging
     * the next step weighs its batch 1/(batchesTracked + 1).
     *
     * @param batchesTracked the count, ≥ 0
     * @throws IllegalArgumentException if {@code batchesTracked < 0}
     */
    public void setBatchesTracked(long batchesTracked) {
        if (batchesTracked < 0) {
            throw new IllegalArgumentException("batchesTracked must be >= 0, got " + batchesTracked);
        }
        lockForChange();
        try {
            this.batchesTracked = batchesTracked;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Returns a copy of γ.
     *
     * @return a copy of γ
     */
    public float[] gamma() {
        return copy(gamma);
    }

    /**
     * Returns a copy of β.
     *
     * @return a copy of β
     */
    public float[] beta() {
        return copy(beta);
    }

    /**
     * Returns a copy of the running mean.
     *
     * @return a copy of the running mean
     */
    public float[] runningMean() {
        return copy(runningMean);
    }

    /**
     * Returns a copy of the running (population) variance.
     *
     * @return a copy of the running (population) variance
     */
    public float[] runningVariance() {
        return copy(runningVariance);
    }

    private float[] copy(float[] values) {
        lock.lock();
        try {
            return values.clone();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Loads γ.
     *
     * @param gamma per-channel scale, finite, length C; copied
     * @throws NullPointerException     if {@code gamma} is null
     * @throws IllegalArgumentException if its length is not C, a value is not finite, or |γ|/√ε overflows float
     */
    public void setGamma(float[] gamma) {
        float[] copy = Check.length(gamma, "gamma", channels).clone(); // checked as copied: no race with the caller
        Check.trainableGamma(Check.finite(copy, "gamma"), epsilon);
        load(copy, this.gamma);
    }

    /**
     * Loads β.
     *
     * @param beta per-channel offset, finite, length C; copied
     * @throws NullPointerException     if {@code beta} is null
     * @throws IllegalArgumentException if its length is not C or a value is not finite
     */
    public void setBeta(float[] beta) {
        float[] copy = Check.length(beta, "beta", channels).clone();
        load(Check.finite(copy, "beta"), this.beta);
    }

    /**
     * Loads the running mean.
     *
     * @param runningMean per-channel mean, finite, length C; copied
     * @throws NullPointerException     if {@code runningMean} is null
     * @throws IllegalArgumentException if its length is not C or a value is not finite
     */
    public void setRunningMean(float[] runningMean) {
        float[] copy = Check.length(runningMean, "runningMean", channels).clone();
        load(Check.finite(copy, "runningMean"), this.runningMean);
    }

    /**
     * Loads the running variance.
     *
     * @param runningVariance per-channel population variance, finite and ≥ 0, length C; copied
     * @throws NullPointerException     if {@code runningVariance} is null
     * @throws IllegalArgumentException if its length is not C or a value is not finite or negative
     */
    public void setRunningVariance(float[] runningVariance) {
        float[] copy = Check.length(runningVariance, "runningVariance", channels).clone();
        load(Check.nonNegativeFinite(copy, "runningVariance"), this.runningVariance);
    }

    /**
     * Copies checked values into the layer's array. The setters check a copy of the caller's array, not the array
     * itself, so a caller changing it during the call changes nothing.
     */
    private void load(float[] copy, float[] into) {
        lockForChange();
        try {
            System.arraycopy(copy, 0, into, 0, channels);
            if (training != null) {
                training.parametersChanged();
            }
            changed();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Returns γ, β, the running statistics and the step count as one consistent state, read under the layer's lock:
     * the getters one by one could each see a different training step. For saving a layer (and restoring it with
     * {@link #setParameters}), or folding it.
     *
     * @return a snapshot; its arrays are copies
     */
    public BatchNormParameters parameters() {
        lock.lock();
        try {
            return new BatchNormParameters(gamma, beta, runningMean, runningVariance, batchesTracked);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Loads γ, β, the running statistics and the step count at once, as {@link #parameters()} returned them (a saved
     * layer, restored): every value is checked as the setters check it before any is written, and inference sees the
     * old state or the new one, never a mix.
     *
     * @param parameters the state to load; its arrays are copied
     * @throws NullPointerException     if {@code parameters} is null
     * @throws IllegalArgumentException as the setters: an array's length is not C, a value is not finite, a running
     *                                  variance is negative, or |γ|/√ε overflows float; nothing is written then
     */
    public void setParameters(BatchNormParameters parameters) {
        Check.notNull(parameters, "parameters");
        float[] g = Check.finite(Check.length(parameters.gamma(), "gamma", channels), "gamma"); // copies
        Check.trainableGamma(g, epsilon);
        float[] b = Check.finite(Check.length(parameters.beta(), "beta", channels), "beta");
        float[] m = Check.finite(Check.length(parameters.runningMean(), "runningMean", channels), "runningMean");
        float[] v = Check.nonNegativeFinite(Check.length(parameters.runningVariance(), "runningVariance", channels),
                "runningVariance");
        long steps = parameters.batchesTracked();
        if (steps < 0) {
            throw new IllegalArgumentException("batchesTracked must be >= 0, got " + steps);
        }
        lockForChange();
        try {
            System.arraycopy(g, 0, gamma, 0, channels);
            System.arraycopy(b, 0, beta, 0, channels);
            System.arraycopy(m, 0, runningMean, 0, channels);
            System.arraycopy(v, 0, runningVariance, 0, channels);
            batchesTracked = steps;
            if (training != null) {
                training.parametersChanged();
            }
            changed();
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------------------------------ recalibration

    /**
     * A copy of this layer whose running statistics are a population's, for recalibrating a layer after pruning,
     * quantization or fine-tuning from statistics over a whole dataset (computed once, not by a running average):
     * the running mean is the population mean and the running variance is its variance as this layer's convention
     * keeps it, biased (÷n) under {@link Convention#TENSORFLOW}, {@link Convention#KERAS} and {@link Convention#ONNX},
     * unbiased under {@link Convention#PYTORCH} (÷(n−1)) and {@link Convention#TF_FUSED} (÷max(n−1, 1)), each computed
     * in double from the moments and rounded once to float. Everything else (convention, ε, momentum, activation, γ,
     * β, the step count) is copied from one consistent state of this layer, which does not change.
     *
     * @param population the population moments, over this layer's channels
     * @return a new layer
     * @throws NullPointerException     if {@code population} is null
     * @throws IllegalArgumentException if the channel counts differ, if a statistic is not finite in float, or if
     *                                  the count is 1 under {@link Convention#PYTORCH} (no unbiased variance)
     */
    public BatchNorm withRunningStatistics(Moments population) {
        Check.notNull(population, "population");
        if (population.channels() != channels) {
            throw new IllegalArgumentException("population has " + population.channels() + " channels, the layer "
                    + channels);
        }
        long n = population.count;
        if (convention == Convention.PYTORCH && n == 1) {
            throw new IllegalArgumentException("population has one value per channel: PyTorch's running variance is "
                    + "unbiased, undefined for n = 1");
        }
        // n/(n−1) as PyTorch's var(unbiased=True), n/max(n−1, 1) as FusedBatchNormV3's Bessel factor.
        double divisor = switch (convention) {
            case PYTORCH, TF_FUSED -> Math.max(n - 1, 1);
            case TENSORFLOW, KERAS, ONNX -> n;
        };
        float[] mean = new float[channels];
        float[] variance = new float[channels];
        for (int c = 0; c < channels; c++) {
            mean[c] = (float) population.mean[c];
            variance[c] = (float) (population.m2[c] / divisor);
        }
        BatchNormParameters p = parameters();
        BatchNormBuilder b = BatchNorm.builder(channels).convention(convention).epsilon(epsilon).activation(activation)
                .gamma(p.gamma()).beta(p.beta()).runningMean(mean).runningVariance(variance);
        BatchNorm copy = (cumulativeAverage ? b.cumulativeAverage() : b.momentum(momentum)).build();
        copy.setBatchesTracked(p.batchesTracked());
        return copy;
    }
}
