package dev.simdnorm;

import dev.simdnorm.internal.AffineParams;

/**
 * The backward passes of a {@link BatchNorm}, training and frozen, with their checks; a layer of the class hierarchy
 * only so that {@link BatchNorm} stays one concern per file. Its public methods are {@link BatchNorm}'s.
 */
abstract sealed class BatchNormBackward extends BatchNormState permits BatchNorm {

    BatchNormBackward(BatchNormBuilder b) {
        super(b);
    }

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
     * bit as {@link BatchNorm#train} computed the output, so the output itself is not needed; that holds while γ and β are
     * those of the step (call this before loading new ones). NaN and ±Inf propagate per IEEE into their channel's
     * gradients; dγ and dβ are rounded to float once, so sums beyond float's range give ±Inf. The backward passes take
     * NHWC rows: the moments of a step trained on an NCHW {@link TensorShape} have the same form, and are not told
     * apart, so pass such a step's tensors to the overload with its {@link TensorShape}. The moments must be those
     * {@link BatchNorm#train} computed for x: the pass bounds each deviation by √(n·σ²) to decide where float cannot
     * carry dx's correction term, and moments of other data void that bound (dx may then be ±Inf where the formula's
     * value is finite).
     *
     * @param x        the step's input, NHWC, as passed to {@link BatchNorm#train}
     * @param xOffset  index of the first input float
     * @param dy       gradient with respect to the step's output, NHWC
     * @param dyOffset index of the first float of {@code dy}
     * @param dx       out: gradient with respect to {@code x}, NHWC; may be {@code x} or {@code dy} at the same offset
     * @param dxOffset index of the first float of {@code dx}
     * @param rows     N·H·W, equal to {@code batch.count()}
     * @param batch    the moments {@link BatchNorm#train} returned for {@code x}
     * @return dγ and dβ
     * @throws NullPointerException      if an array or {@code batch} is null
     * @throws IndexOutOfBoundsException if the rows do not fit in {@code x}, {@code dy} or {@code dx}
     * @throws IllegalArgumentException  if {@code rows} is not {@code batch.count()}, {@code batch} has another number
     *                                   of channels, a finite mean beyond float's range (no float data have one) or
     *                                   an infinite variance, or {@code dx} partially overlaps {@code x} or
     *                                   {@code dy}
     */
    public Gradients backward(float[] x, int xOffset, float[] dy, int dyOffset, float[] dx, int dxOffset, int rows,
                              Moments batch) {
        return backward(x, xOffset, dy, dyOffset, dx, dxOffset, rows, batch, Parallelism.sequential());
    }

    /**
     * {@link #backward(float[], int, float[], int, float[], int, int, Moments)} on a tensor of the given shape, NHWC
     * or NCHW, for a step that {@link BatchNorm#train(float[], int, float[], int, TensorShape)} took on it. An NCHW
     * tensor is staged: the rows of each of the NHWC pass's slices are copied into per-thread NHWC buffers (kept by the
     * thread, as the segment overloads' are) and the NHWC kernels run on them, dx copied back a chunk of rows at a
     * time, so the gradients are the bits of the NHWC pass on the same tensor in NHWC order. Up to 2¹⁴ channels the
     * call allocates nothing proportional to the tensor (beyond, a slice of 256 rows is more than a thread keeps, 16
     * MiB, and is staged through arrays of its own). An NHWC shape runs the NHWC pass.
     *
     * @param x        the step's input, of {@code shape}, as passed to {@link BatchNorm#train}
     * @param xOffset  index of the first input float
     * @param dy       gradient with respect to the step's output, of {@code shape}
     * @param dyOffset index of the first float of {@code dy}
     * @param dx       out: gradient with respect to {@code x}, of {@code shape}; may be {@code x} or {@code dy} at the
     *                 same offset
     * @param dxOffset index of the first float of {@code dx}
     * @param shape    the tensor's layout and dimensions; N·H·W equal to {@code batch.count()}
     * @param batch    the moments {@link BatchNorm#train} returned for {@code x}
     * @return dγ and dβ
     * @throws NullPointerException      if an array, {@code shape} or {@code batch} is null
     * @throws IndexOutOfBoundsException if the tensor does not fit in {@code x}, {@code dy} or {@code dx}
     * @throws IllegalArgumentException  as the NHWC form, and if the shape's channels are not the layer's
     */
    public Gradients backward(float[] x, int xOffset, float[] dy, int dyOffset, float[] dx, int dxOffset,
                              TensorShape shape, Moments batch) {
        return backward(x, xOffset, dy, dyOffset, dx, dxOffset, shape, batch, Parallelism.sequential());
    }

    /**
     * {@link #backward(float[], int, float[], int, float[], int, TensorShape, Moments)} spread over threads: the
     * NHWC pass's, the same bits for every parallelism.
     *
     * @param x           the step's input, of {@code shape}, as passed to {@link BatchNorm#train}
     * @param xOffset     index of the first input float
     * @param dy          gradient with respect to the step's output, of {@code shape}
     * @param dyOffset    index of the first float of {@code dy}
     * @param dx          out: gradient with respect to {@code x}, of {@code shape}
     * @param dxOffset    index of the first float of {@code dx}
     * @param shape       the tensor's layout and dimensions; N·H·W equal to {@code batch.count()}
     * @param batch       the moments {@link BatchNorm#train} returned for {@code x}
     * @param parallelism where to run the work
     * @return dγ and dβ
     * @throws NullPointerException      if an array, {@code shape}, {@code batch} or {@code parallelism} is null
     * @throws IndexOutOfBoundsException if the tensor does not fit in {@code x}, {@code dy} or {@code dx}
     * @throws IllegalArgumentException  as the form without a {@link Parallelism}
     */
    public Gradients backward(float[] x, int xOffset, float[] dy, int dyOffset, float[] dx, int dxOffset,
                              TensorShape shape, Moments batch, Parallelism parallelism) {
        int rows = checkShaped(x, xOffset, dy, dyOffset, dx, dxOffset, shape, parallelism);
        Check.notNull(batch, "batch");
        checkMoments(batch, rows);
        return trainingGradients(x, xOffset, dy, dyOffset, dx, dxOffset, rows, planes(shape), batch, parallelism);
    }

    /** The NCHW shape, or null for NHWC, whose passes are the rows form's. */
    private static TensorShape planes(TensorShape shape) {
        return shape.layout() == TensorLayout.NCHW ? shape : null;
    }

    /**
     * The checks of a shaped backward pass: x, dy and dx hold the tensor, dx the same range as x or dy or apart.
     *
     * @return the tensor's rows, N·H·W
     */
    private int checkShaped(float[] x, int xOffset, float[] dy, int dyOffset, float[] dx, int dxOffset,
                            TensorShape shape, Parallelism parallelism) {
        Check.tensorRange(x, "x", xOffset, shape, channels);
        Check.tensorRange(dy, "dy", dyOffset, shape, channels);
        int floats = Check.tensorRange(dx, "dx", dxOffset, shape, channels);
        Check.noPartialOverlap(x, "x", xOffset, dx, "dx", dxOffset, floats);
        Check.noPartialOverlap(dy, "dy", dyOffset, dx, "dx", dxOffset, floats);
        Check.notNull(parallelism, "parallelism");
        return floats / channels;
    }

    /** Moments a training step over {@code rows} rows of this layer can have returned. */
    private void checkMoments(Moments batch, long rows) {
        if (batch.channels() != channels) {
            throw new IllegalArgumentException("batch has " + batch.channels() + " channels, expected " + channels);
        }
        if (batch.count() != rows) {
            throw new IllegalArgumentException("rows must equal batch.count() " + batch.count()
                    + " (the moments of these rows), got " + rows);
        }
        Check.floatMeans(batch.meanArray());
        for (int c = 0; c < channels; c++) {
            // No data give an infinite variance with a finite or NaN one elsewhere: only bytes made by hand do.
            if (batch.varianceAsDouble(c) == Double.POSITIVE_INFINITY) {
                throw new IllegalArgumentException("batch variance[" + c + "] is +Inf: not the moments of a batch");
            }
        }
    }

    /**
     * {@link #backward(float[], int, float[], int, float[], int, int, Moments)} spread over threads: the per-slice
     * sums are added in a fixed tree, so dx, dγ and dβ are the same bits for every parallelism.
     *
     * @param x           the step's input, as passed to {@link BatchNorm#train}
     * @param xOffset     index of the first input float
     * @param dy          gradient with respect to the step's output, NHWC
     * @param dyOffset    index of the first float of {@code dy}
     * @param dx          out: gradient with respect to {@code x}, NHWC
     * @param dxOffset    index of the first float of {@code dx}
     * @param rows        N·H·W, equal to {@code batch.count()}
     * @param batch       the moments {@link BatchNorm#train} returned for {@code x}
     * @param parallelism where to run the work
     * @return dγ and dβ
     * @throws NullPointerException      if an array, {@code batch} or {@code parallelism} is null
     * @throws IndexOutOfBoundsException if the rows do not fit in {@code x}, {@code dy} or {@code dx}
     * @throws IllegalArgumentException  as {@link #backward(float[], int, float[], int, float[], int, int, Moments)}
     */
    public Gradients backward(float[] x, int xOffset, float[] dy, int dyOffset, float[] dx, int dxOffset, int rows,
                              Moments batch, Parallelism parallelism) {
        Check.notNull(batch, "batch");
        checkBackward(x, xOffset, dy, dyOffset, dx, dxOffset, rows, parallelism);
        checkMoments(batch, rows);
        return trainingGradients(x, xOffset, dy, dyOffset, dx, dxOffset, rows, null, batch, parallelism);
    }

    /** The training backward pass for {@code batch}, into new {@link Gradients}; the arguments checked. */
    private Gradients trainingGradients(float[] x, int xOffset, float[] dy, int dyOffset, float[] dx, int dxOffset,
                                        int rows, TensorShape planes, Moments batch, Parallelism parallelism) {
        float[] dGamma = new float[channels];
        float[] dBeta = new float[channels];
        backwardTraining(x, xOffset, dy, dyOffset, dx, dxOffset, rows, planes, batch, null, null, dGamma, dBeta,
                parallelism);
        return new Gradients(dGamma, dBeta);
    }

    /**
     * {@link #backward(float[], int, float[], int, float[], int, int, Moments)} for the batch statistics that
     * {@link BatchNorm#train(float[], int, float[], int, int, double[], double[])} wrote, writing dγ and dβ into the caller's
     * arrays: once warm, it allocates nothing.
     *
     * @param x             the step's input, as passed to {@link BatchNorm#train}
     * @param xOffset       index of the first input float
     * @param dy            gradient with respect to the step's output, NHWC
     * @param dyOffset      index of the first float of {@code dy}
     * @param dx            out: gradient with respect to {@code x}, NHWC
     * @param dxOffset      index of the first float of {@code dx}
     * @param rows          N·H·W, as passed to {@link BatchNorm#train}
     * @param batchMean     the batch mean train wrote, length C: within float's range, or not finite
     * @param batchVariance the batch variance train wrote, length C: finite values ≥ 0, or NaN
     * @param dGamma        out: dγ, length C, another array than x, dy, dx and dβ
     * @param dBeta         out: dβ, length C, another array than x, dy and dx
     * @throws NullPointerException      if an array is null
     * @throws IndexOutOfBoundsException if the rows do not fit in {@code x}, {@code dy} or {@code dx}
     * @throws IllegalArgumentException  if {@code rows < 1} (no batch {@link BatchNorm#train} takes), an array's
     *                                   length is not C, a batch variance is negative or +Inf, a finite batch mean is
     *                                   beyond float's range, dγ or dβ is one of x, dy, dx or the other, or
     *                                   {@code dx} partially overlaps {@code x} or {@code dy}
     */
    public void backward(float[] x, int xOffset, float[] dy, int dyOffset, float[] dx, int dxOffset, int rows,
                         double[] batchMean, double[] batchVariance, float[] dGamma, float[] dBeta) {
        backward(x, xOffset, dy, dyOffset, dx, dxOffset, rows, batchMean, batchVariance, dGamma, dBeta,
                Parallelism.sequential());
    }

    /**
     * {@link #backward(float[], int, float[], int, float[], int, int, double[], double[], float[], float[])} spread
     * over threads; the same bits.
     *
     * @param x             the step's input, as passed to {@link BatchNorm#train}
     * @param xOffset       index of the first input float
     * @param dy            gradient with respect to the step's output, NHWC
     * @param dyOffset      index of the first float of {@code dy}
     * @param dx            out: gradient with respect to {@code x}, NHWC
     * @param dxOffset      index of the first float of {@code dx}
     * @param rows          N·H·W, as passed to {@link BatchNorm#train}
     * @param batchMean     the batch mean train wrote, length C: within float's range, or not finite
     * @param batchVariance the batch variance train wrote, length C: finite values ≥ 0, or NaN
     * @param dGamma        out: dγ, length C, another array than x, dy, dx and dβ
     * @param dBeta         out: dβ, length C, another array than x, dy and dx
     * @param parallelism   where to run the work
     * @throws NullPointerException      if an array or {@code parallelism} is null
     * @throws IndexOutOfBoundsException if the rows do not fit in {@code x}, {@code dy} or {@code dx}
     * @throws IllegalArgumentException  as the form without a {@link Parallelism}
     */
    public void backward(float[] x, int xOffset, float[] dy, int dyOffset, float[] dx, int dxOffset, int rows,
                         double[] batchMean, double[] batchVariance, float[] dGamma, float[] dBeta,
                         Parallelism parallelism) {
        checkBackward(x, xOffset, dy, dyOffset, dx, dxOffset, rows, parallelism);
        // The statistics of no rows are no batch's: the correction terms would be 0/0, dγ and dβ written as 0.
        Check.positiveRows(rows);
        Check.length(batchMean, "batchMean", channels);
        Check.length(batchVariance, "batchVariance", channels);
        checkBatch(batchMean, batchVariance);
        Check.gradientsOut(dGamma, dBeta, channels, x, dy, dx);
        backwardTraining(x, xOffset, dy, dyOffset, dx, dxOffset, rows, null, null, batchMean, batchVariance, dGamma,
                dBeta, parallelism);
    }

    /** A batch's statistics as train writes them: a variance finite and ≥ 0 or NaN, a mean within float's range. */
    private void checkBatch(double[] batchMean, double[] batchVariance) {
        for (int c = 0; c < channels; c++) {
            // train writes a finite variance >= 0, or NaN for non-finite data; anything else is not a batch's
            if (batchVariance[c] < 0 || batchVariance[c] == Double.POSITIVE_INFINITY) {
                throw new IllegalArgumentException(
                        "batchVariance[" + c + "] must be finite and >= 0, or NaN, got " + batchVariance[c]);
            }
        }
        Check.floatMeans(batchMean);
    }

    /**
     * The training backward pass, for the statistics in {@code batch}, or else {@code mean} and {@code variance}; over
     * NHWC rows, or the NCHW tensor of shape {@code planes} where not null.
     */
    private void backwardTraining(float[] x, int xOffset, float[] dy, int dyOffset, float[] dx, int dxOffset,
                                  int rows, TensorShape planes, Moments batch, double[] mean, double[] variance,
                                  float[] dGamma, float[] dBeta, Parallelism parallelism) {
        lockForChange();
        try {
            TrainingState t = trainingState();
            if (batch != null) { // into the working arrays: the call allocates only the Gradients it returns
                mean = batch.meanArray();
                variance = t.variance;
                for (int c = 0; c < channels; c++) {
                    variance[c] = batch.varianceAsDouble(c);
                }
            } else {
                // The caller's arrays, copied into the working arrays and checked again there: read once, so that a
                // concurrent write after the entry's check cannot reach the map or the correction.
                System.arraycopy(mean, 0, t.mean, 0, channels);
                System.arraycopy(variance, 0, t.variance, 0, channels);
                mean = t.mean;
                variance = t.variance;
                checkBatch(mean, variance);
            }
            AffineParams forward = t.map(mean, variance, rows, gamma, beta, epsilon);
            BatchNormGradient.backward(x, xOffset, dy, dyOffset, dx, dxOffset, rows, planes, forward, relu, variance,
                    gamma, epsilon, true, t, dGamma, dBeta, parallelism);
        } finally {
            lock.unlock();
        }
    }

    /**
     * The backward pass of {@link BatchNorm#inference}, for a layer whose statistics are frozen: the running statistics are
     * constants, so {@code dx = g·γ/√(R_σ² + ε)}, {@code dγ = Σ(x − R_μ)·g/√(R_σ² + ε)} and {@code dβ = Σg}, with
     * {@code g = dy} (with {@link Activation#RELU}, 0 where the inference output was ≤ 0, recomputed from x). One pass
     * over x and dy, and a second that reads dy (and x only for the ReLU mask). x, dy and dx are NHWC rows; for an
     * NCHW tensor use the overload with its {@link TensorShape}.
     *
     * @param x        the input, as passed to {@link BatchNorm#inference}
     * @param xOffset  index of the first input float
     * @param dy       gradient with respect to the output, NHWC
     * @param dyOffset index of the first float of {@code dy}
     * @param dx       out: gradient with respect to {@code x}, NHWC; may be {@code x} or {@code dy} at the same offset
     * @param dxOffset index of the first float of {@code dx}
     * @param rows     N·H·W, ≥ 0
     * @return dγ and dβ
     * @throws NullPointerException      if an array is null
     * @throws IndexOutOfBoundsException if the rows do not fit in {@code x}, {@code dy} or {@code dx}
     * @throws IllegalArgumentException  if {@code rows < 0} or {@code dx} partially overlaps {@code x} or {@code dy}
     * @throws IllegalStateException     if a running variance is +Inf ({@link BatchNorm}'s Failure paragraph), before
     *                                   anything is written
     */
    public Gradients backwardInference(float[] x, int xOffset, float[] dy, int dyOffset, float[] dx, int dxOffset,
                                       int rows) {
        return backwardInference(x, xOffset, dy, dyOffset, dx, dxOffset, rows, Parallelism.sequential());
    }

    /**
     * {@link #backwardInference(float[], int, float[], int, float[], int, int)} spread over threads; the same bits.
     *
     * @param x           the input, as passed to {@link BatchNorm#inference}
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
     * @throws IllegalArgumentException  as the form without a {@link Parallelism}
     * @throws IllegalStateException     if a running variance is +Inf, before anything is written
     */
    public Gradients backwardInference(float[] x, int xOffset, float[] dy, int dyOffset, float[] dx, int dxOffset,
                                       int rows, Parallelism parallelism) {
        checkBackward(x, xOffset, dy, dyOffset, dx, dxOffset, rows, parallelism);
        return frozenGradients(x, xOffset, dy, dyOffset, dx, dxOffset, rows, null, parallelism);
    }

    /** The frozen backward pass into new {@link Gradients}; the arguments checked. */
    private Gradients frozenGradients(float[] x, int xOffset, float[] dy, int dyOffset, float[] dx, int dxOffset,
                                      int rows, TensorShape planes, Parallelism parallelism) {
        float[] dGamma = new float[channels];
        float[] dBeta = new float[channels];
        backwardFrozen(x, xOffset, dy, dyOffset, dx, dxOffset, rows, planes, dGamma, dBeta, parallelism);
        return new Gradients(dGamma, dBeta);
    }

    /**
     * {@link #backwardInference(float[], int, float[], int, float[], int, int)} on a tensor of the given shape, NHWC or
     * NCHW, as {@link BatchNorm#inference(float[], int, float[], int, TensorShape)} took it. An NCHW tensor is staged
     * as in {@link #backward(float[], int, float[], int, float[], int, TensorShape, Moments)}: the NHWC pass's bits,
     * nothing allocated proportional to the tensor up to 2¹⁴ channels.
     *
     * @param x        the input, of {@code shape}, as passed to {@link BatchNorm#inference}
     * @param xOffset  index of the first input float
     * @param dy       gradient with respect to the output, of {@code shape}
     * @param dyOffset index of the first float of {@code dy}
     * @param dx       out: gradient with respect to {@code x}, of {@code shape}; may be {@code x} or {@code dy} at the
     *                 same offset
     * @param dxOffset index of the first float of {@code dx}
     * @param shape    the tensor's layout and dimensions
     * @return dγ and dβ
     * @throws NullPointerException      if an array or {@code shape} is null
     * @throws IndexOutOfBoundsException if the tensor does not fit in {@code x}, {@code dy} or {@code dx}
     * @throws IllegalArgumentException  if the shape's channels are not C, or {@code dx} partially overlaps {@code x}
     *                                   or {@code dy}
     * @throws IllegalStateException     if a running variance is +Inf, before {@code dx} is written
     */
    public Gradients backwardInference(float[] x, int xOffset, float[] dy, int dyOffset, float[] dx, int dxOffset,
                                       TensorShape shape) {
        return backwardInference(x, xOffset, dy, dyOffset, dx, dxOffset, shape, Parallelism.sequential());
    }

    /**
     * {@link #backwardInference(float[], int, float[], int, float[], int, TensorShape)} spread over threads; the same
     * bits.
     *
     * @param x           the input, of {@code shape}, as passed to {@link BatchNorm#inference}
     * @param xOffset     index of the first input float
     * @param dy          gradient with respect to the output, of {@code shape}
     * @param dyOffset    index of the first float of {@code dy}
     * @param dx          out: gradient with respect to {@code x}, of {@code shape}
     * @param dxOffset    index of the first float of {@code dx}
     * @param shape       the tensor's layout and dimensions
     * @param parallelism where to run the work
     * @return dγ and dβ
     * @throws NullPointerException      if an array, {@code shape} or {@code parallelism} is null
     * @throws IndexOutOfBoundsException if the tensor does not fit in {@code x}, {@code dy} or {@code dx}
     * @throws IllegalArgumentException  as the form without a {@link Parallelism}
     * @throws IllegalStateException     if a running variance is +Inf, before {@code dx} is written
     */
    public Gradients backwardInference(float[] x, int xOffset, float[] dy, int dyOffset, float[] dx, int dxOffset,
                                       TensorShape shape, Parallelism parallelism) {
        int rows = checkShaped(x, xOffset, dy, dyOffset, dx, dxOffset, shape, parallelism);
        return frozenGradients(x, xOffset, dy, dyOffset, dx, dxOffset, rows, planes(shape), parallelism);
    }

    /**
     * {@link #backwardInference(float[], int, float[], int, float[], int, int)} writing dγ and dβ into the caller's
     * arrays: once warm, it allocates nothing.
     *
     * @param x        the input, as passed to {@link BatchNorm#inference}
     * @param xOffset  index of the first input float
     * @param dy       gradient with respect to the output, NHWC
     * @param dyOffset index of the first float of {@code dy}
     * @param dx       out: gradient with respect to {@code x}, NHWC
     * @param dxOffset index of the first float of {@code dx}
     * @param rows     N·H·W, ≥ 0
     * @param dGamma   out: dγ, length C, another array than x, dy, dx and dβ
     * @param dBeta    out: dβ, length C, another array than x, dy and dx
     * @throws NullPointerException      if an array is null
     * @throws IndexOutOfBoundsException if the rows do not fit in {@code x}, {@code dy} or {@code dx}
     * @throws IllegalArgumentException  if {@code rows < 0}, an array's length is not C, dγ or dβ is one of x, dy, dx
     *                                   or the other, or {@code dx} partially overlaps {@code x} or {@code dy}
     * @throws IllegalStateException     if a running variance is +Inf, before anything is written
     */
    public void backwardInference(float[] x, int xOffset, float[] dy, int dyOffset, float[] dx, int dxOffset,
                                  int rows, float[] dGamma, float[] dBeta) {
        backwardInference(x, xOffset, dy, dyOffset, dx, dxOffset, rows, dGamma, dBeta, Parallelism.sequential());
    }

    /**
     * {@link #backwardInference(float[], int, float[], int, float[], int, int, float[], float[])} spread over threads;
     * the same bits.
     *
     * @param x           the input, as passed to {@link BatchNorm#inference}
     * @param xOffset     index of the first input float
     * @param dy          gradient with respect to the output, NHWC
     * @param dyOffset    index of the first float of {@code dy}
     * @param dx          out: gradient with respect to {@code x}, NHWC
     * @param dxOffset    index of the first float of {@code dx}
     * @param rows        N·H·W, ≥ 0
     * @param dGamma      out: dγ, length C, another array than x, dy, dx and dβ
     * @param dBeta       out: dβ, length C, another array than x, dy and dx
     * @param parallelism where to run the work
     * @throws NullPointerException      if an array or {@code parallelism} is null
     * @throws IndexOutOfBoundsException if the rows do not fit in {@code x}, {@code dy} or {@code dx}
     * @throws IllegalArgumentException  as the form without a {@link Parallelism}
     * @throws IllegalStateException     if a running variance is +Inf, before anything is written
     */
    public void backwardInference(float[] x, int xOffset, float[] dy, int dyOffset, float[] dx, int dxOffset,
                                  int rows, float[] dGamma, float[] dBeta, Parallelism parallelism) {
        checkBackward(x, xOffset, dy, dyOffset, dx, dxOffset, rows, parallelism);
        Check.gradientsOut(dGamma, dBeta, channels, x, dy, dx);
        backwardFrozen(x, xOffset, dy, dyOffset, dx, dxOffset, rows, null, dGamma, dBeta, parallelism);
    }

    /** The frozen backward pass, over NHWC rows, or the NCHW tensor of shape {@code planes} where not null. */
    private void backwardFrozen(float[] x, int xOffset, float[] dy, int dyOffset, float[] dx, int dxOffset,
                                int rows, TensorShape planes, float[] dGamma, float[] dBeta, Parallelism parallelism) {
        lockForChange();
        try {
            TrainingState t = trainingState();
            for (int c = 0; c < channels; c++) {
                t.variance[c] = runningVariance[c];
            }
            AffineParams map = refresh().usable().params(); // refused before anything is written
            BatchNormGradient.backward(x, xOffset, dy, dyOffset, dx, dxOffset, rows, planes, map, relu, t.variance,
                    gamma, epsilon, false, t, dGamma, dBeta, parallelism);
        } finally {
            lock.unlock();
        }
    }

    private void checkBackward(float[] x, int xOffset, float[] dy, int dyOffset, float[] dx, int dxOffset, int rows,
                               Parallelism parallelism) {
        Check.range(x, "x", xOffset, rows, channels);
        Check.range(dy, "dy", dyOffset, rows, channels);
        Check.range(dx, "dx", dxOffset, rows, channels);
        Check.noPartialOverlap(x, "x", xOffset, dx, "dx", dxOffset, rows * channels);
        Check.noPartialOverlap(dy, "dy", dyOffset, dx, "dx", dxOffset, rows * channels);
        Check.notNull(parallelism, "parallelism");
    }
}
