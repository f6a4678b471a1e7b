package dev.simdnorm;

import java.lang.foreign.MemorySegment;

/**
 * A batch-normalization layer over float tensors, NHWC by default or NCHW where a {@link TensorShape} says so, with
 * TensorFlow 1 semantics by default and the other frameworks' selectable by {@link BatchNormBuilder#convention}.
 *
 * <ul>
 *   <li><b>Training</b> ({@link #train}): the batch moments over N, H and W, with the biased (÷n) variance as
 *       {@code tf.nn.moments(x, [0,1,2])}; then {@code y = (x − μ)/√(σ² + ε)·γ + β} in one centered pass; then the
 *       running update of the {@link Convention}, by default {@code running = running·decay + batch·(1 − decay)}
 *       for the mean and the biased variance.</li>
 *   <li><b>Inference</b> ({@link #inference}): the same map with the running statistics, precomputed.</li>
 *   <li><b>Backward</b> ({@link #backward}, {@link #backwardInference}): the gradients of both.</li>
 * </ul>
 *
 * <p>Defaults ({@link Convention#TENSORFLOW}): ε = 0.001 (inside the square root), momentum (decay, the weight of
 * the old running value) = 0.99, γ = 1, β = 0, running mean 0, running variance 1. {@code (1 − decay)} is computed in
 * double from the decimal value of the float decay and then rounded to float, as TensorFlow computes
 * {@code 1 − 0.99} in Python: 0.99f gives exactly 0.01f. The running update itself is float arithmetic,
 * {@code fl(fl(R·d) + fl(B·(1−d)))}, which reproduces TensorFlow's values bit for bit given the same batch
 * statistics. The other conventions reproduce their frameworks' float arithmetic likewise.
 *
 * <p><b>Overloads.</b> {@code train} and {@code inference} take NHWC arrays ({@code rows} = N·H·W), arrays described
 * by a {@link TensorShape} (NHWC or NCHW), or NHWC {@link MemorySegment}s of any size; the backward passes take NHWC
 * arrays, and shaped ones too (an NCHW tensor staged a slice at a time through per-thread NHWC buffers). Each has a
 * form with and without a {@link Parallelism}, which changes no bit of any result. {@code y} (or {@code dx}) may be
 * the input at the same offset. The arguments of every overload are described once, in the package documentation.
 *
 * <p><b>Thread safety.</b> {@link #inference} is lock-free and allocates nothing (but the new snapshot that its first
 * call after a training step or setter folds, and on segments a thread's first call's working arrays): it reads an
 * immutable snapshot of the folded parameters, so any number of threads may call it at once, also while another
 * thread trains or loads weights. Each call sees the state of the layer after some completed training step or
 * setter, never a mix. A thread that trains or sets a parameter sees its change in its next inference, unless
 * another thread has taken the lock since: inference never waits for it, so until that thread's operation ends it
 * reads the snapshot from before that operation, which may predate the first thread's change. {@link #train}, the
 * setters and the backward passes hold the layer's lock, one at a time: one of them called on the thread that holds
 * it (from a {@link Parallelism}'s executor that runs other work inside {@code execute}) throws
 * {@code IllegalStateException} before it writes anything.
 *
 * <p><b>Failure.</b> Every argument is checked before anything is written: a call that throws for an argument leaves
 * the parameters, the running statistics and the output exactly as they were. An exception thrown by the work,
 * anything but a {@code RuntimeException} from the {@link Parallelism}'s executor (which counts as a rejection: the
 * caller does the rest), or an error from the JVM, is rethrown after every task the call started has ended; the
 * layer's state is then unchanged, but the output may be partly written. NaN and ±Inf in the data propagate per IEEE
 * into that channel's outputs, batch moments and (in training) running statistics. The setters accept finite values
 * only, so running statistics made non-finite by such data are repaired by loading finite ones. Finite data whose
 * batch variance exceeds float range (a standard deviation above about 1.8e19; under a convention whose running
 * update takes the unbiased variance, that variance, a factor n/(n − 1) larger: from about 1.3e19 at n = 2) train
 * with finite outputs and exact batch moments in double, but the running variance, a float, becomes +Inf; the calls
 * that use the running statistics ({@link #inference}, {@link #inferenceMap}, {@link #backwardInference},
 * {@link FoldedLayer#of}) then throw {@code IllegalStateException}, since their scale γ/√(σ² + ε) would be 0 and
 * every output β whatever x, until finite statistics are loaded. Inference on finite x whose deviation from a running
 * mean overflows float (x and a mean of at least about 1e31 of opposite signs near float's limits) gives the true
 * output, computed for those elements in double (such a call runs without the vector kernels), not ±Inf.
 */
public final class BatchNorm extends BatchNormBackward {

    BatchNorm(BatchNormBuilder b) {
        super(b);
    }

    /**
     * A builder for a layer over {@code channels} channels.
     *
     * @param channels C, at least 1
     * @return a builder with the TensorFlow 1 defaults
     * @throws IllegalArgumentException if {@code channels ≤ 0} or above 2²⁸
     */
    public static BatchNormBuilder builder(int channels) {
        return new BatchNormBuilder(Check.channels(channels));
    }

    // ----------------------------------------------------------------------------------------------- training

    /**
     * One training step: computes the batch moments of {@code x}, normalizes {@code x} into {@code y} with them (and
     * their biased variance), then updates the running statistics by the layer's {@link Convention}. Two passes over
     * {@code x}.
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
     * {@link #train(float[], int, float[], int, int)} spread over threads; the same bits, running statistics
     * included.
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
     * @throws IllegalArgumentException  as {@link #train(float[], int, float[], int, int)}
     */
    public Moments train(float[] x, int xOffset, float[] y, int yOffset, int rows, Parallelism parallelism) {
        checkTraining(x, xOffset, y, yOffset, rows, parallelism);
        lockForChange();
        try {
            TrainingState t = trainingState();
            Engine.moments(x, xOffset, rows, channels, parallelism, t.mean, t.m2);
            Engine.normalize(x, xOffset, y, yOffset, rows, t.map(rows, gamma, beta, epsilon), relu,
                    parallelism);
            Moments batch = t.moments(rows); // before the commit: nothing allocated after the state changes
            commit(t, rows);
            return batch;
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@link #train(float[], int, float[], int, int)} that writes the batch statistics into the caller's arrays and
     * allocates nothing: for engines that train in a loop. They are the mean and the biased variance in double, as
     * {@link Moments#meanAsDouble} and {@link Moments#varianceAsDouble} give them, and what
     * {@link #backward(float[], int, float[], int, float[], int, int, double[], double[], float[], float[])} takes.
     *
     * @param x             input batch, NHWC
     * @param xOffset       index of the first input float
     * @param y             output, NHWC
     * @param yOffset       index of the first output float
     * @param rows          N·H·W, at least 1 (at least 2 under {@link Convention#PYTORCH})
     * @param batchMean     out: the batch mean per channel, length C
     * @param batchVariance out: the batch's biased variance per channel, length C, another array than batchMean
     * @throws NullPointerException      if an array is null
     * @throws IndexOutOfBoundsException if the rows do not fit in {@code x} or {@code y}
     * @throws IllegalArgumentException  as {@link #train(float[], int, float[], int, int)}, and if an array's length is
     *                                   not C or both are one array
     */
    public void train(float[] x, int xOffset, float[] y, int yOffset, int rows, double[] batchMean,
                      double[] batchVariance) {
        train(x, xOffset, y, yOffset, rows, batchMean, batchVariance, Parallelism.sequential());
    }

    /**
     * {@link #train(float[], int, float[], int, int, double[], double[])} spread over threads; the same bits.
     *
     * @param x             input batch, NHWC
     * @param xOffset       index of the first input float
     * @param y             output, NHWC
     * @param yOffset       index of the first output float
     * @param rows          N·H·W, at least 1 (at least 2 under {@link Convention#PYTORCH})
     * @param batchMean     out: the batch mean per channel, length C
     * @param batchVariance out: the batch's biased variance per channel, length C, another array than batchMean
     * @param parallelism   where to run the work
     * @throws NullPointerException      if an array or {@code parallelism} is null
     * @throws IndexOutOfBoundsException if the rows do not fit in {@code x} or {@code y}
     * @throws IllegalArgumentException  as {@link #train(float[], int, float[], int, int)}, and if an array's length is
     *                                   not C or both are one array
     */
    public void train(float[] x, int xOffset, float[] y, int yOffset, int rows, double[] batchMean,
                      double[] batchVariance, Parallelism parallelism) {
        checkTraining(x, xOffset, y, yOffset, rows, parallelism);
        checkBatchArrays(batchMean, batchVariance);
        lockForChange();
        try {
            TrainingState t = trainingState();
            Engine.moments(x, xOffset, rows, channels, parallelism, t.mean, t.m2);
            Engine.normalize(x, xOffset, y, yOffset, rows, t.map(rows, gamma, beta, epsilon), relu,
                    parallelism);
            commit(t, rows);
            System.arraycopy(t.mean, 0, batchMean, 0, channels);
            System.arraycopy(t.variance, 0, batchVariance, 0, channels);
        } finally {
            lock.unlock();
        }
    }

    /**
     * One training step on a tensor of the given shape, NHWC or NCHW, with the batch moments over N, H and W;
     * {@code y} has the shape of {@code x}.
     *
     * @param x       input batch
     * @param xOffset index of the first input float
     * @param y       output, in the same shape
     * @param yOffset index of the first output float
     * @param shape   N, C and H·W, and the layout; N and H·W at least 1, C the layer's
     * @return the batch moments
     * @throws NullPointerException      if an array or {@code shape} is null
     * @throws IndexOutOfBoundsException if the tensor does not fit in {@code x} or {@code y}
     * @throws IllegalArgumentException  if the shape's channels are not C, N·H·W is 0 (or 1 under
     *                                   {@link Convention#PYTORCH}), or x and y partially overlap
     */
    public Moments train(float[] x, int xOffset, float[] y, int yOffset, TensorShape shape) {
        return train(x, xOffset, y, yOffset, shape, Parallelism.sequential());
    }

    /**
     * {@link #train(float[], int, float[], int, TensorShape)} spread over threads; the same bits.
     *
     * @param x           input batch
     * @param xOffset     index of the first input float
     * @param y           output, in the same shape
     * @param yOffset     index of the first output float
     * @param shape       N, C and H·W, and the layout; N and H·W at least 1, C the layer's
     * @param parallelism where to run the work
     * @return the batch moments
     * @throws NullPointerException      if an array, {@code shape} or {@code parallelism} is null
     * @throws IndexOutOfBoundsException if the tensor does not fit in {@code x} or {@code y}
     * @throws IllegalArgumentException  if the shape's channels are not C, N·H·W is 0 (or 1 under
     *                                   {@link Convention#PYTORCH}), or x and y partially overlap
     */
    public Moments train(float[] x, int xOffset, float[] y, int yOffset, TensorShape shape, Parallelism parallelism) {
        int floats = Check.tensorInOut(x, xOffset, y, yOffset, shape, channels);
        Check.positiveForStatistics(shape);
        checkTrainingRows(shape.valuesPerChannel());
        Check.notNull(parallelism, "parallelism");
        long count = shape.valuesPerChannel();
        lockForChange();
        try {
            TrainingState t = trainingState();
            Engine.moments(x, xOffset, shape, parallelism, t.mean, t.m2);
            Engine.normalize(x, xOffset, y, yOffset, shape, floats, t.map(count, gamma, beta, epsilon), relu,
                    parallelism);
            Moments batch = t.moments(count); // before the commit: nothing allocated after the state changes
            commit(t, count);
            return batch;
        } finally {
            lock.unlock();
        }
    }

    /**
     * One training step on float32 tensors in native byte order, on or off the heap, of any size, also above 2³¹
     * floats: the same step, and the same bits, as {@link #train(float[], int, float[], int, int)} on the same values.
     *
     * @param x           input batch, NHWC, aligned to 4 bytes; use {@code asSlice} for an offset
     * @param y           output, NHWC, writable, aligned to 4 bytes; may be the same bytes as {@code x}
     * @param rows        N·H·W, at least 1 (at least 2 under {@link Convention#PYTORCH})
     * @param parallelism where to run the work; segments confined to one thread are processed on it alone
     * @return the batch moments
     * @throws NullPointerException      if a segment or {@code parallelism} is null
     * @throws IndexOutOfBoundsException if the rows do not fit in {@code x} or {@code y}
     * @throws IllegalArgumentException  if {@code rows} is below its minimum, a segment is misaligned, y is
     *                                   read-only, x and y partially overlap, or the layer has more than 2¹⁴
     *                                   channels
     * @throws IllegalStateException     if an arena is closed
     * @throws WrongThreadException      if a segment is confined to another thread
     */
    public Moments train(MemorySegment x, MemorySegment y, long rows, Parallelism parallelism) {
        Check.segmentsInOut(x, y, rows, channels);
        checkTrainingRows(rows);
        Check.notNull(parallelism, "parallelism");
        lockForChange();
        try {
            TrainingState t = step(x, y, rows, parallelism);
            Moments batch = t.moments(rows); // before the commit: nothing allocated after the state changes
            commit(t, rows);
            return batch;
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@link #train(MemorySegment, MemorySegment, long, Parallelism)} that writes the batch statistics into the
     * caller's arrays and allocates nothing: for engines that train in a loop on native memory. The same values as
     * {@link #train(float[], int, float[], int, int, double[], double[])} writes.
     *
     * @param x             input batch, NHWC, aligned to 4 bytes; may lie in {@code batchMean} or
     *                      {@code batchVariance} (read in full before they are written)
     * @param y             output, NHWC, writable, aligned to 4 bytes; may be the same bytes as {@code x}, not the
     *                      bytes of {@code batchMean} or {@code batchVariance}
     * @param rows          N·H·W, at least 1 (at least 2 under {@link Convention#PYTORCH})
     * @param batchMean     out: the batch mean per channel, length C
     * @param batchVariance out: the batch's biased variance per channel, length C, another array than batchMean
     * @param parallelism   where to run the work; segments confined to one thread are processed on it alone
     * @throws NullPointerException      if a segment, an array or {@code parallelism} is null
     * @throws IndexOutOfBoundsException if the rows do not fit in {@code x} or {@code y}
     * @throws IllegalArgumentException  as {@link #train(MemorySegment, MemorySegment, long, Parallelism)}, and if an
     *                                   array's length is not C, both are one array, or y lies in one of them
     * @throws IllegalStateException     if an arena is closed
     * @throws WrongThreadException      if a segment is confined to another thread
     */
    public void train(MemorySegment x, MemorySegment y, long rows, double[] batchMean, double[] batchVariance,
                      Parallelism parallelism) {
        Check.segmentsInOut(x, y, rows, channels);
        checkTrainingRows(rows);
        Check.notNull(parallelism, "parallelism");
        checkBatchArrays(batchMean, batchVariance);
        // The statistics are written last: y in one of their arrays would lose what the step wrote there. (A segment
        // over a float[] is not over them: no heapBase, whose Optional may be a new object.)
        if (!y.isNative() && SegmentStaging.array(y) == null) {
            Object yBase = y.heapBase().orElse(null);
            if (yBase == batchMean || yBase == batchVariance) {
                throw new IllegalArgumentException("y must not lie in batchMean or batchVariance");
            }
        }
        lockForChange();
        try {
            TrainingState t = step(x, y, rows, parallelism);
            commit(t, rows);
            System.arraycopy(t.mean, 0, batchMean, 0, channels);
            System.arraycopy(t.variance, 0, batchVariance, 0, channels);
        } finally {
            lock.unlock();
        }
    }

    /** A training step on segments, checked, before its commit; the caller holds the lock. */
    private TrainingState step(MemorySegment x, MemorySegment y, long rows, Parallelism parallelism) {
        TrainingState t = trainingState();
        Engine.moments(x, rows, channels, parallelism, t.mean, t.m2);
        Engine.normalize(x, y, rows, t.map(rows, gamma, beta, epsilon), relu, parallelism);
        return t;
    }

    /**
     * As {@link #train(MemorySegment, MemorySegment, long, double[], double[], Parallelism)}, on the calling thread.
     *
     * @param x             input batch, NHWC, aligned to 4 bytes; may lie in {@code batchMean} or
     *                      {@code batchVariance}
     * @param y             output, NHWC, writable, aligned to 4 bytes; may be the same bytes as {@code x}, not the
     *                      bytes of {@code batchMean} or {@code batchVariance}
     * @param rows          N·H·W, at least 1 (at least 2 under {@link Convention#PYTORCH})
     * @param batchMean     out: the batch mean per channel, length C
     * @param batchVariance out: the batch's biased variance per channel, length C, another array than batchMean
     * @throws NullPointerException      if a segment or an array is null
     * @throws IndexOutOfBoundsException if the rows do not fit in {@code x} or {@code y}
     * @throws IllegalArgumentException  as the overload with a {@link Parallelism}
     * @throws IllegalStateException     if an arena is closed
     * @throws WrongThreadException      if a segment is confined to another thread
     */
    public void train(MemorySegment x, MemorySegment y, long rows, double[] batchMean, double[] batchVariance) {
        train(x, y, rows, batchMean, batchVariance, Parallelism.sequential());
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
     * @throws IllegalArgumentException  as {@link #train(MemorySegment, MemorySegment, long, Parallelism)}
     * @throws IllegalStateException     if an arena is closed
     * @throws WrongThreadException      if a segment is confined to another thread
     */
    public Moments train(MemorySegment x, MemorySegment y, long rows) {
        return train(x, y, rows, Parallelism.sequential());
    }

    private void checkBatchArrays(double[] batchMean, double[] batchVariance) {
        Check.length(batchMean, "batchMean", channels);
        Check.length(batchVariance, "batchVariance", channels);
        if (batchMean == batchVariance) {
            throw new IllegalArgumentException("batchMean and batchVariance must be distinct arrays");
        }
    }

    private void checkTraining(float[] x, int xOffset, float[] y, int yOffset, int rows, Parallelism parallelism) {
        Check.rowsInOut(x, xOffset, y, yOffset, rows, channels);
        checkTrainingRows(rows);
        Check.notNull(parallelism, "parallelism");
    }

    private void checkTrainingRows(long rows) {
        Check.positiveRows(rows);
        if (rows == 1 && convention == Convention.PYTORCH) {
            throw new IllegalArgumentException(
                    "PYTORCH convention: expected more than 1 value per channel when training (N·H·W), got 1");
        }
    }

    // ---------------------------------------------------------------------------------------------- inference

    /**
     * Normalizes {@code x} into {@code y} with the running statistics. Lock-free; allocation-free but for the new
     * snapshot the first call after a change makes (the class's Thread safety paragraph).
     *
     * @param x       input, NHWC
     * @param xOffset index of the first input float
     * @param y       output, NHWC
     * @param yOffset index of the first output float
     * @param rows    N·H·W, ≥ 0
     * @throws NullPointerException      if an array is null
     * @throws IndexOutOfBoundsException if the rows do not fit in {@code x} or {@code y}
     * @throws IllegalArgumentException  if {@code rows < 0} or x and y partially overlap
     * @throws IllegalStateException     if a running variance is +Inf (the class's Failure paragraph); every
     *                                   inference overload refuses it so, before writing
     */
    public void inference(float[] x, int xOffset, float[] y, int yOffset, int rows) {
        Check.rowsInOut(x, xOffset, y, yOffset, rows, channels);
        Engine.normalize(x, xOffset, y, yOffset, rows, currentMap().params(), relu, Parallelism.sequential());
    }

    /**
     * {@link #inference(float[], int, float[], int, int)} spread over threads; the same bits. Lock-free.
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
     * @throws IllegalStateException     if a running variance is +Inf (the class's Failure paragraph)
     */
    public void inference(float[] x, int xOffset, float[] y, int yOffset, int rows, Parallelism parallelism) {
        Check.rowsInOut(x, xOffset, y, yOffset, rows, channels);
        Check.notNull(parallelism, "parallelism");
        Engine.normalize(x, xOffset, y, yOffset, rows, currentMap().params(), relu, parallelism);
    }

    /**
     * Normalizes a tensor of the given shape, NHWC or NCHW, with the running statistics. Lock-free; allocation-free
     * but for the new snapshot the first call after a change makes (the class's Thread safety paragraph).
     *
     * @param x       input
     * @param xOffset index of the first input float
     * @param y       output, in the same shape
     * @param yOffset index of the first output float
     * @param shape   N, C and H·W, and the layout; C the layer's
     * @throws NullPointerException      if an array or {@code shape} is null
     * @throws IndexOutOfBoundsException if the tensor does not fit in {@code x} or {@code y}
     * @throws IllegalArgumentException  if the shape's channels are not C or x and y partially overlap
     * @throws IllegalStateException     if a running variance is +Inf (the class's Failure paragraph)
     */
    public void inference(float[] x, int xOffset, float[] y, int yOffset, TensorShape shape) {
        inference(x, xOffset, y, yOffset, shape, Parallelism.sequential());
    }

    /**
     * {@link #inference(float[], int, float[], int, TensorShape)} spread over threads; the same bits.
     *
     * @param x           input
     * @param xOffset     index of the first input float
     * @param y           output, in the same shape
     * @param yOffset     index of the first output float
     * @param shape       N, C and H·W, and the layout; C the layer's
     * @param parallelism where to run the work
     * @throws NullPointerException      if an array, {@code shape} or {@code parallelism} is null
     * @throws IndexOutOfBoundsException if the tensor does not fit in {@code x} or {@code y}
     * @throws IllegalArgumentException  if the shape's channels are not C or x and y partially overlap
     * @throws IllegalStateException     if a running variance is +Inf (the class's Failure paragraph)
     */
    public void inference(float[] x, int xOffset, float[] y, int yOffset, TensorShape shape, Parallelism parallelism) {
        int floats = Check.tensorInOut(x, xOffset, y, yOffset, shape, channels);
        Check.notNull(parallelism, "parallelism");
        Engine.normalize(x, xOffset, y, yOffset, shape, floats, currentMap().params(), relu, parallelism);
    }

    /**
     * Normalizes with the running statistics on float32 tensors in native byte order, on or off the heap, of any
     * size: the same bits as the array overload on the same values. Lock-free; sequential calls allocate nothing
     * after a thread's first.
     *
     * @param x           input, NHWC, aligned to 4 bytes; use {@code asSlice} for an offset
     * @param y           output, NHWC, writable, aligned to 4 bytes; may be the same bytes as {@code x}
     * @param rows        N·H·W, ≥ 0
     * @param parallelism where to run the work; segments confined to one thread are processed on it alone
     * @throws NullPointerException      if a segment or {@code parallelism} is null
     * @throws IndexOutOfBoundsException if the rows do not fit in {@code x} or {@code y}
     * @throws IllegalArgumentException  if {@code rows} is negative, a segment is misaligned, y is read-only, x and
     *                                   y partially overlap, or the layer has more than 2¹⁴ channels
     * @throws IllegalStateException     if an arena is closed, or a running variance is +Inf
     * @throws WrongThreadException      if a segment is confined to another thread
     */
    public void inference(MemorySegment x, MemorySegment y, long rows, Parallelism parallelism) {
        Check.segmentsInOut(x, y, rows, channels);
        Check.notNull(parallelism, "parallelism");
        Engine.normalize(x, y, rows, currentMap().params(), relu, parallelism);
    }

    /**
     * As {@link #inference(MemorySegment, MemorySegment, long, Parallelism)}, on the calling thread.
     *
     * @param x    input, NHWC, aligned to 4 bytes
     * @param y    output, NHWC, writable, aligned to 4 bytes; may be the same bytes as {@code x}
     * @param rows N·H·W, ≥ 0
     * @throws NullPointerException      if a segment is null
     * @throws IndexOutOfBoundsException if the rows do not fit in {@code x} or {@code y}
     * @throws IllegalArgumentException  as {@link #inference(MemorySegment, MemorySegment, long, Parallelism)}
     * @throws IllegalStateException     if an arena is closed, or a running variance is +Inf
     * @throws WrongThreadException      if a segment is confined to another thread
     */
    public void inference(MemorySegment x, MemorySegment y, long rows) {
        inference(x, y, rows, Parallelism.sequential());
    }

    @Override
    public String toString() {
        return "BatchNorm[channels=" + channels + ", convention=" + convention + ", epsilon=" + epsilon
                + (cumulativeAverage ? ", cumulativeAverage" : ", momentum=" + momentum) + ", activation="
                + activation + ", batchesTracked=" + batchesTracked() + "]";
    }
}
