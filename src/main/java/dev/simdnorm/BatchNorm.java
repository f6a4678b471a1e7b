package dev.simdnorm;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A batch-normalization layer over float tensors, NHWC by default or NCHW where a {@link TensorLayout} says so, with
 * TensorFlow 1 semantics by default and the other frameworks' selectable by {@link Builder#convention}.
 *
 * <ul>
 *   <li><b>Training</b> ({@link #train}): the batch moments over N, H and W, with the biased (÷n) variance as
 *       {@code tf.nn.moments(x, [0,1,2])}; then {@code y = (x − μ)/√(σ² + ε)·γ + β} in one centred pass; then the
 *       running update of the {@link Convention}, by default {@code running = running·decay + batch·(1 − decay)}
 *       for the mean and the biased variance.</li>
 *   <li><b>Inference</b> ({@link #inference}): the same map with the running statistics, precomputed.</li>
 * </ul>
 *
 * <p>Defaults ({@link Convention#TENSORFLOW}): ε = 0.001 (inside the square root), momentum (decay, the weight of
 * the old running value) = 0.99, γ = 1, β = 0, running mean 0, running variance 1. {@code (1 − decay)} is computed in
 * double from the decimal value of the float decay and then rounded to float, as TensorFlow computes
 * {@code 1 − 0.99} in Python: 0.99f gives exactly 0.01f. The running update itself is float arithmetic,
 * {@code fl(fl(R·d) + fl(B·(1−d)))}, which reproduces TensorFlow's values bit for bit given the same batch
 * statistics. The other conventions reproduce their frameworks' float arithmetic likewise.
 *
 * <p><b>Thread safety.</b> {@link #inference} is lock-free and allocates nothing: it reads an immutable snapshot of
 * the folded parameters, so any number of threads may call it at once, also while another thread trains or loads
 * weights (each call sees the parameters before or after that change, never a mix). {@link #train} and the setters
 * mutate the layer; they are synchronized with one another and with the backward passes, which read γ and β.
 *
 * <p><b>Failure.</b> Every argument is checked before anything is written: a call that throws leaves the parameters,
 * the running statistics and {@code y} exactly as they were. NaN and ±Inf in the data propagate per IEEE into that
 * channel's outputs, batch moments and (in training) running statistics. The setters accept finite values only, so
 * running statistics made non-finite by such data are repaired by loading finite ones, not by loading them back.
 */
public final class BatchNorm {

    private final int channels;
    private final Convention convention;
    private final float epsilon;
    /** The convention's own parameter; NaN under cumulative averaging. */
    private final float momentum;
    private final boolean cumulativeAverage;
    private final Activation activation;
    /** Training steps taken (PyTorch's {@code num_batches_tracked}); the divisor of the cumulative average. */
    private long batchesTracked;
    private float[] gamma;
    private float[] beta;
    private float[] runningMean;
    private float[] runningVariance;
    /** The inference map, refolded whenever a parameter changes; immutable, so readers need no lock. */
    private volatile ChannelAffine inferenceMap;

    private BatchNorm(Builder b) {
        this.channels = b.channels;
        this.convention = b.convention;
        this.epsilon = Float.isNaN(b.epsilon) ? b.convention.defaultEpsilon() : b.epsilon;
        this.cumulativeAverage = b.cumulativeAverage;
        this.momentum = b.cumulativeAverage ? Float.NaN
                : Float.isNaN(b.momentum) ? b.convention.defaultMomentum() : b.momentum;
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

    private float[] filled(float value) {
        float[] a = new float[channels];
        Arrays.fill(a, value);
        return a;
    }

    /**
     * One training step: computes the batch moments of {@code x}, normalizes {@code x} into {@code y} with them (and
     * their biased variance), then updates the running statistics by the layer's {@link Convention}. Two passes over
     * {@code x}. {@code y} may be {@code x} at the same offset.
     *
     * @param x       input batch, NHWC
     * @param xOffset index of the first input float
     * @param y       output, NHWC
     * @param yOffset index of the first output float
     * @param rows    N·H·W, at least 1 (at least 2 under {@link Convention#PYTORCH})
     * @return the batch moments
     * @throws NullPointerException      if an array is null
     * @throws IndexOutOfBoundsException if the rows do not fit in {@code x} or {@code y}
     * @throws IllegalArgumentException  if {@code rows ≤ 0}, if {@code rows = 1} under {@link Convention#PYTORCH}, or
     *                                   if x and y partially overlap
     */
    public Moments train(float[] x, int xOffset, float[] y, int yOffset, int rows) {
        return train(x, xOffset, y, yOffset, rows, Parallelism.sequential());
    }

    /**
     * One training step, as {@link #train(float[], int, float[], int, int)}, with the statistics and the normalize
     * spread over threads. Results, running statistics included, are the same bit for bit for every parallelism.
     *
     * @param x           input batch, NHWC
     * @param xOffset     index of the first input float
     * @param y           output, NHWC
     * @param yOffset     index of the first output float
     * @param rows        N·H·W, at least 1 (at least 2 under {@link Convention#PYTORCH})
     * @param parallelism where to run the work
     * @return the batch moments
     * @throws NullPointerException      if an array or {@code parallelism} is null
     * @throws IndexOutOfBoundsException if the rows do not fit in {@code x} or {@code y}
     * @throws IllegalArgumentException  if {@code rows ≤ 0}, if {@code rows = 1} under {@link Convention#PYTORCH}, or
     *                                   if x and y partially overlap
     */
    public synchronized Moments train(float[] x, int xOffset, float[] y, int yOffset, int rows,
                                      Parallelism parallelism) {
        Check.range(x, "x", xOffset, rows, channels);
        Check.range(y, "y", yOffset, rows, channels);
        checkTrainingRows(rows);
        Check.noPartialOverlap(x, xOffset, y, yOffset, rows * channels);
        Check.notNull(parallelism, "parallelism");
        Moments batch = Moments.of(x, xOffset, rows, channels, parallelism);
        trainingMap(batch).apply(x, xOffset, y, yOffset, rows, parallelism);
        return commit(batch, rows);
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
     * @throws IllegalArgumentException  if {@code n} or {@code spatial} is not positive, if n·spatial = 1 under
     *                                   {@link Convention#PYTORCH}, or if x and y partially overlap
     */
    public Moments train(float[] x, int xOffset, float[] y, int yOffset, TensorLayout layout, int n, int spatial) {
        return train(x, xOffset, y, yOffset, layout, n, spatial, Parallelism.sequential());
    }

    /**
     * {@link #train(float[], int, float[], int, TensorLayout, int, int)}, spread over threads; the same bits, running
     * statistics included, for every parallelism.
     *
     * @param x           input batch
     * @param xOffset     index of the first input float
     * @param y           output, in the same layout
     * @param yOffset     index of the first output float
     * @param layout      how the tensors lie in {@code x} and {@code y}
     * @param n           N, at least 1
     * @param spatial     H·W, at least 1
     * @param parallelism where to run the work
     * @return the batch moments
     * @throws NullPointerException      if an array, {@code layout} or {@code parallelism} is null
     * @throws IndexOutOfBoundsException if the n·C·spatial floats do not fit in {@code x} or {@code y}
     * @throws IllegalArgumentException  if {@code n} or {@code spatial} is not positive, if n·spatial = 1 under
     *                                   {@link Convention#PYTORCH}, or if x and y partially overlap
     */
    public synchronized Moments train(float[] x, int xOffset, float[] y, int yOffset, TensorLayout layout, int n,
                                      int spatial, Parallelism parallelism) {
        Check.layout(layout);
        int floats = Check.tensorRange(x, "x", xOffset, n, channels, spatial);
        Check.tensorRange(y, "y", yOffset, n, channels, spatial);
        Check.positiveForStatistics(n, "n");
        Check.positiveForStatistics(spatial, "spatial");
        checkTrainingRows((long) n * spatial);
        Check.noPartialOverlap(x, xOffset, y, yOffset, floats);
        Check.notNull(parallelism, "parallelism");
        Moments batch = Moments.of(x, xOffset, layout, n, channels, spatial, parallelism);
        trainingMap(batch).apply(x, xOffset, y, yOffset, layout, n, spatial, parallelism);
        return commit(batch, (long) n * spatial);
    }

    /**
     * One training step on float32 tensors in native byte order, on or off the heap, of any size, also above 2³¹
     * floats: the same step, and the same bits, as {@link #train(float[], int, float[], int, int)} on the same values,
     * for every parallelism.
     *
     * @param x           input batch, NHWC, aligned to 4 bytes; use {@code asSlice} for an offset
     * @param y           output, NHWC, writable, aligned to 4 bytes; may be the same bytes as {@code x}
     * @param rows        N·H·W, at least 1 (at least 2 under {@link Convention#PYTORCH})
     * @param parallelism where to run the work; segments confined to one thread are processed on it alone
     * @return the batch moments
     * @throws NullPointerException      if a segment or {@code parallelism} is null
     * @throws IndexOutOfBoundsException if the rows do not fit in {@code x} or {@code y}
     * @throws IllegalArgumentException  if {@code rows ≤ 0}, if {@code rows = 1} under {@link Convention#PYTORCH}, if
     *                                   a segment is misaligned, y is read-only, x and y partially overlap, or the
     *                                   channels exceed 2¹⁴
     * @throws IllegalStateException     if an arena is closed
     * @throws WrongThreadException      if a segment is confined to another thread
     */
    public synchronized Moments train(MemorySegment x, MemorySegment y, long rows, Parallelism parallelism) {
        Check.segment(x, "x", rows, channels);
        Check.segment(y, "y", rows, channels);
        Check.writable(y, "y");
        checkTrainingRows(rows);
        Check.noPartialOverlap(x, y, rows * channels * Float.BYTES);
        Check.notNull(parallelism, "parallelism");
        Moments batch = Moments.of(x, rows, channels, parallelism);
        trainingMap(batch).apply(x, y, rows, parallelism);
        return commit(batch, rows);
    }

    /**
     * As {@link #train(MemorySegment, MemorySegment, long, Parallelism)}, on the calling thread.
     *
     * @param x    input batch, NHWC, aligned to 4 bytes
     * @param y    output, NHWC, writable, aligned to 4 bytes; may be the same bytes as {@code x}
     * @param rows N·H·W, at least 1 (at least 2 under {@link Convention#PYTORCH})
     * @return the batch moments
     * @throws NullPointerException      if a segment is null
     * @throws IndexOutOfBoundsException if the rows do not fit in {@code x} or {@code y}
     * @throws IllegalArgumentException  if {@code rows ≤ 0}, if {@code rows = 1} under {@link Convention#PYTORCH}, if
     *                                   a segment is misaligned, y is read-only, x and y partially overlap, or the
     *                                   channels exceed 2¹⁴
     * @throws IllegalStateException     if an arena is closed
     * @throws WrongThreadException      if a segment is confined to another thread
     */
    public Moments train(MemorySegment x, MemorySegment y, long rows) {
        return train(x, y, rows, Parallelism.sequential());
    }

    private void checkTrainingRows(long rows) {
        Check.positiveRows(rows);
        if (rows == 1 && convention == Convention.PYTORCH) {
            throw new IllegalArgumentException(
                    "PYTORCH convention: expected more than 1 value per channel when training, got rows = 1");
        }
    }

    /** The map of a training step: the batch mean as a hi/lo pair, its biased variance, γ, β and the activation. */
    private ChannelAffine trainingMap(Moments batch) {
        return ChannelAffine.normalizing(batch, gamma, beta, epsilon).withActivation(activation);
    }

    /** The running update of the step that computed {@code batch}, then the refold. */
    private Moments commit(Moments batch, long rows) {
        long step = batchesTracked == Long.MAX_VALUE ? Long.MAX_VALUE : batchesTracked + 1;
        float[] mean = runningMean.clone();
        float[] variance = runningVariance.clone();
        updateRunning(mean, variance, batch.means(),
                convention.unbiasedInUpdate() ? batch.sampleVariances() : batch.variances(), rows, step);
        runningMean = mean;
        runningVariance = variance;
        batchesTracked = step;
        refold();
        return batch;
    }

    /**
     * The convention's running update of the k-th training step, in float, fed the batch statistics as the framework
     * reports them (the variance unbiased for PyTorch, biased otherwise).
     */
    void updateRunning(float[] mean, float[] variance, float[] batchMean, float[] batchVariance, long n, long step) {
        convention.update(mean, variance, batchMean, batchVariance, n,
                convention.weights(momentum, cumulativeAverage ? step : 0));
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
     * Normalizes {@code x} into {@code y} with the running statistics, spreading the rows over threads; the output is
     * the same, bit for bit, for every parallelism. Lock-free.
     *
     * @param x           input, NHWC
     * @param xOffset     index of the first input float
     * @param y           output, NHWC
     * @param yOffset     index of the first output float
     * @param rows        N·H·W, ≥ 0
     * @param parallelism where to run the work
     * @throws NullPointerException      if an array or {@code parallelism} is null
     * @throws IndexOutOfBoundsException if the rows do not fit in {@code x} or {@code y}
     * @throws IllegalArgumentException  if {@code rows < 0} or x and y partially overlap
     */
    public void inference(float[] x, int xOffset, float[] y, int yOffset, int rows, Parallelism parallelism) {
        inferenceMap.apply(x, xOffset, y, yOffset, rows, parallelism);
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

    /**
     * {@link #inference(float[], int, float[], int, TensorLayout, int, int)}, spread over threads; the same bits for
     * every parallelism. Lock-free.
     *
     * @param x           input
     * @param xOffset     index of the first input float
     * @param y           output, in the same layout
     * @param yOffset     index of the first output float
     * @param layout      how the tensors lie in {@code x} and {@code y}
     * @param n           N, ≥ 0
     * @param spatial     H·W, ≥ 0
     * @param parallelism where to run the work
     * @throws NullPointerException      if an array, {@code layout} or {@code parallelism} is null
     * @throws IndexOutOfBoundsException if the n·C·spatial floats do not fit in {@code x} or {@code y}
     * @throws IllegalArgumentException  if {@code n} or {@code spatial} is negative or x and y partially overlap
     */
    public void inference(float[] x, int xOffset, float[] y, int yOffset, TensorLayout layout, int n, int spatial,
                          Parallelism parallelism) {
        inferenceMap.apply(x, xOffset, y, yOffset, layout, n, spatial, parallelism);
    }

    /**
     * Normalizes with the running statistics on float32 tensors in native byte order, on or off the heap, of any
     * size: the same bits as the array overload on the same values, for every parallelism. Lock-free; sequential
     * calls allocate nothing after a thread's first ({@link ChannelAffine#apply(MemorySegment, MemorySegment, long,
     * Parallelism)}).
     *
     * @param x           input, NHWC, aligned to 4 bytes; use {@code asSlice} for an offset
     * @param y           output, NHWC, writable, aligned to 4 bytes; may be the same bytes as {@code x}
     * @param rows        N·H·W, ≥ 0
     * @param parallelism where to run the work; segments confined to one thread are processed on it alone
     * @throws NullPointerException      if a segment or {@code parallelism} is null
     * @throws IndexOutOfBoundsException if the rows do not fit in {@code x} or {@code y}
     * @throws IllegalArgumentException  if {@code rows < 0}, a segment is misaligned, y is read-only, x and y
     *                                   partially overlap, or the channels exceed 2¹⁴
     * @throws IllegalStateException     if an arena is closed
     * @throws WrongThreadException      if a segment is confined to another thread
     */
    public void inference(MemorySegment x, MemorySegment y, long rows, Parallelism parallelism) {
        inferenceMap.apply(x, y, rows, parallelism);
    }

    /**
     * As {@link #inference(MemorySegment, MemorySegment, long, Parallelism)}, on the calling thread.
     *
     * @param x    input, NHWC, aligned to 4 bytes
     * @param y    output, NHWC, writable, aligned to 4 bytes; may be the same bytes as {@code x}
     * @param rows N·H·W, ≥ 0
     * @throws NullPointerException      if a segment is null
     * @throws IndexOutOfBoundsException if the rows do not fit in {@code x} or {@code y}
     * @throws IllegalArgumentException  if {@code rows < 0}, a segment is misaligned, y is read-only, x and y
     *                                   partially overlap, or the channels exceed 2¹⁴
     * @throws IllegalStateException     if an arena is closed
     * @throws WrongThreadException      if a segment is confined to another thread
     */
    public void inference(MemorySegment x, MemorySegment y, long rows) {
        inferenceMap.apply(x, y, rows);
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
     * @return the momentum, or NaN under {@link Builder#cumulativeAverage() cumulative averaging}
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
     * Returns the number of training steps taken (PyTorch's {@code num_batches_tracked}).
     *
     * @return the number of training steps taken, or the value last loaded
     */
    public synchronized long batchesTracked() {
        return batchesTracked;
    }

    /**
     * Loads the number of training steps taken, as PyTorch's {@code num_batches_tracked}; under cumulative averaging
     * the next step weighs its batch 1/(batchesTracked + 1).
     *
     * @param batchesTracked the count, ≥ 0
     * @throws IllegalArgumentException if {@code batchesTracked < 0}
     */
    public synchronized void setBatchesTracked(long batchesTracked) {
        if (batchesTracked < 0) {
            throw new IllegalArgumentException("batchesTracked must be >= 0, got " + batchesTracked);
        }
        this.batchesTracked = batchesTracked;
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
    public Gradients backward(float[] x, int xOffset, float[] dy, int dyOffset, float[] dx, int dxOffset, int rows,
                              Moments batch) {
        return backward(x, xOffset, dy, dyOffset, dx, dxOffset, rows, batch, Parallelism.sequential());
    }

    /**
     * {@link #backward(float[], int, float[], int, float[], int, int, Moments)}, spread over threads: the per-slice
     * sums are added in a fixed tree, so dx, dγ and dβ are the same bits for every parallelism.
     *
     * @param x           the step's input, as passed to {@link #train}
     * @param xOffset     index of the first input float
     * @param dy          gradient with respect to the step's output, NHWC
     * @param dyOffset    index of the first float of {@code dy}
     * @param dx          out: gradient with respect to {@code x}, NHWC
     * @param dxOffset    index of the first float of {@code dx}
     * @param rows        N·H·W, equal to {@code batch.count()}
     * @param batch       the moments {@link #train} returned for {@code x}
     * @param parallelism where to run the work
     * @return dγ and dβ
     * @throws NullPointerException      if an array, {@code batch} or {@code parallelism} is null
     * @throws IndexOutOfBoundsException if the rows do not fit in {@code x}, {@code dy} or {@code dx}
     * @throws IllegalArgumentException  if {@code rows} is not {@code batch.count()}, {@code batch} has another number
     *                                   of channels, or {@code dx} partially overlaps {@code x} or {@code dy}
     */
    public synchronized Gradients backward(float[] x, int xOffset, float[] dy, int dyOffset, float[] dx, int dxOffset,
                                           int rows, Moments batch, Parallelism parallelism) {
        Check.notNull(batch, "batch");
        Check.notNull(parallelism, "parallelism");
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
                epsilon, true, parallelism);
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
    public Gradients backwardInference(float[] x, int xOffset, float[] dy, int dyOffset, float[] dx, int dxOffset,
                                       int rows) {
        return backwardInference(x, xOffset, dy, dyOffset, dx, dxOffset, rows, Parallelism.sequential());
    }

    /**
     * {@link #backwardInference(float[], int, float[], int, float[], int, int)}, spread over threads; the same bits
     * for every parallelism.
     *
     * @param x           the input, as passed to {@link #inference}
     * @param xOffset     index of the first input float
     * @param dy          gradient with respect to the output, NHWC
     * @param dyOffset    index of the first float of {@code dy}
     * @param dx          out: gradient with respect to {@code x}, NHWC
     * @param dxOffset    index of the first float of {@code dx}
     * @param rows        N·H·W, ≥ 0
     * @param parallelism where to run the work
     * @return dγ and dβ
     * @throws NullPointerException      if an array or {@code parallelism} is null
     * @throws IndexOutOfBoundsException if the rows do not fit in {@code x}, {@code dy} or {@code dx}
     * @throws IllegalArgumentException  if {@code rows < 0} or {@code dx} partially overlaps {@code x} or {@code dy}
     */
    public synchronized Gradients backwardInference(float[] x, int xOffset, float[] dy, int dyOffset, float[] dx,
                                                    int dxOffset, int rows, Parallelism parallelism) {
        Check.notNull(parallelism, "parallelism");
        checkBackward(x, xOffset, dy, dyOffset, dx, dxOffset, rows);
        double[] variance = new double[channels];
        for (int c = 0; c < channels; c++) {
            variance[c] = runningVariance[c];
        }
        return BatchNormGradient.backward(x, xOffset, dy, dyOffset, dx, dxOffset, rows, inferenceMap, variance, gamma,
                epsilon, false, parallelism);
    }

    private void checkBackward(float[] x, int xOffset, float[] dy, int dyOffset, float[] dx, int dxOffset, int rows) {
        Check.range(x, "x", xOffset, rows, channels);
        Check.range(dy, "dy", dyOffset, rows, channels);
        Check.range(dx, "dx", dxOffset, rows, channels);
        Check.noPartialOverlap(x, "x", xOffset, dx, "dx", dxOffset, rows * channels);
        Check.noPartialOverlap(dy, "dy", dyOffset, dx, "dx", dxOffset, rows * channels);
    }

    /**
     * γ, β and the running statistics read under one lock, so that they belong to one state: the getters one by one
     * could each see a different training step. Copies.
     */
    synchronized Parameters parameters() {
        return new Parameters(runningMean.clone(), runningVariance.clone(), gamma.clone(), beta.clone());
    }

    /** One consistent state of the per-channel parameters, see {@link #parameters()}. */
    record Parameters(float[] mean, float[] variance, float[] gamma, float[] beta) {
    }

    /**
     * Builds a {@link BatchNorm}. Each setter checks its argument at once and names it in the exception. A builder is
     * not thread-safe.
     */
    public static final class Builder {
        private final int channels;
        private Convention convention = Convention.TENSORFLOW;
        /** NaN until set: then the convention's default applies. */
        private float epsilon = Float.NaN;
        private float momentum = Float.NaN;
        private boolean cumulativeAverage;
        private Activation activation = Activation.NONE;
        private float[] gamma;
        private float[] beta;
        private float[] runningMean;
        private float[] runningVariance;

        private Builder(int channels) {
            this.channels = channels;
        }

        /**
         * Sets the framework convention: the meaning of {@link #momentum}, the running update and the defaults of ε
         * and momentum (those not set explicitly). See {@link Convention}.
         *
         * @param convention the convention (default {@link Convention#TENSORFLOW})
         * @return this builder
         */
        public Builder convention(Convention convention) {
            this.convention = Check.notNull(convention, "convention");
            return this;
        }

        /**
         * Sets ε, added to the variance inside the square root.
         *
         * @param epsilon ε, finite and &gt; 0 (default: the convention's, 0.001 for TensorFlow)
         * @return this builder
         */
        public Builder epsilon(float epsilon) {
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
         */
        public Builder momentum(float momentum) {
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
        public Builder cumulativeAverage() {
            this.cumulativeAverage = true;
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
         * @throws IllegalStateException if {@link #cumulativeAverage()} was asked for with a convention other than
         *                               {@link Convention#PYTORCH}, or together with {@link #momentum}
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
    }
}
