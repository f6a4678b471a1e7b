package dev.simdnorm;

import java.lang.foreign.MemorySegment;

/**
 * Root-mean-square normalization over the last {@code size} floats of each row:
 * {@code y = x/√(mean(x²) + ε)·γ[j]} at position j, with γ elementwise over the row and no centering.
 *
 * <pre>{@code
 * RmsNorm rms = RmsNorm.builder(4096).epsilon(1e-6f).gamma(weight).build();   // a Llama-style RMSNorm
 * rms.apply(x, 0, y, 0, tokens);                                               // rows of 4096 floats
 * }</pre>
 *
 * <p><b>Frameworks.</b> PyTorch's {@code RMSNorm(normalized_shape)} and ONNX's {@code RMSNormalization(axis)}
 * normalize over the trailing dimensions: {@code size} is their product and {@code rows} the product of the leading
 * ones. ε: ONNX's default 1e-5 (the default here); PyTorch's default {@code eps=None} is the float epsilon,
 * {@code Math.ulp(1f)} = 2⁻²³. The sum of squares is accumulated in double (each float's square is exact there), so
 * the scale is within about one float rounding for rows of any length; the output then takes two more roundings.
 * (A row whose root mean square passes 2¹²⁶, about 8.5e37, has a scale below float's normal range: it keeps fewer
 * bits, 21 of 24 at 3.4e38.)
 *
 * <p>Immutable and thread-safe; {@link #apply} allocates nothing after a thread's first call (its working arrays are
 * per thread; a call spread over threads allocates a few small objects per task, {@link Parallelism}; rows of more than
 * 2²² floats on a segment not over a {@code float[]} are staged through an array of their own, each row). Arguments are
 * checked before anything is written, and a call that throws for an argument changes nothing. An error during the work
 * may leave some rows of the outputs written (the rule of {@link BatchNorm}): a task of a {@link Parallelism} that
 * throws (an {@code OutOfMemoryError}, say) or its executor throwing an {@code Error}, an {@code OutOfMemoryError}
 * staging a long row, or a shared arena closed during a call on its segments. A NaN in a row makes that row's
 * outputs NaN; a ±Inf makes its scale 0, so its outputs are NaN at the infinite values and ±0 elsewhere, as PyTorch's
 * {@code x * rsqrt(mean(x²) + ε)}.
 */
public final class RmsNorm {

    private final int size;
    private final float epsilon;
    private final float[] gamma;

    RmsNorm(RmsNormBuilder b) {
        this.size = b.size;
        this.epsilon = b.epsilon;
        this.gamma = b.gamma != null ? b.gamma.clone() : LayerNorm.filled(b.size, 1f);
    }

    /**
     * A builder for rows of {@code size} floats.
     *
     * @param size the floats normalized together, at least 1
     * @return a builder with ε = 1e-5 and γ = 1
     * @throws IllegalArgumentException if {@code size ≤ 0} or {@code size > 2³¹ − 9} (γ is an array of size floats)
     */
    public static RmsNormBuilder builder(int size) {
        return new RmsNormBuilder(Check.size(size));
    }

    /**
     * Normalizes each of {@code rows} rows of {@code size} floats.
     *
     * @param x       input, rows of {@code size} floats
     * @param xOffset index of the first input float
     * @param y       output, the same shape; may be {@code x} at the same offset
     * @param yOffset index of the first output float
     * @param rows    the number of rows, ≥ 0
     * @throws NullPointerException      if an array is null
     * @throws IndexOutOfBoundsException if the rows do not fit in {@code x} or {@code y}
     * @throws IllegalArgumentException  if {@code rows < 0} or x and y partially overlap
     */
    public void apply(float[] x, int xOffset, float[] y, int yOffset, int rows) {
        apply(x, xOffset, y, yOffset, rows, Parallelism.sequential());
    }

    /**
     * As {@link #apply(float[], int, float[], int, int)}, spread over {@code parallelism}'s threads in runs of whole
     * rows; each row depends on itself alone, so the bits are the same for any number of threads.
     *
     * @param x           input, rows of {@code size} floats
     * @param xOffset     index of the first input float
     * @param y           output, the same shape; may be {@code x} at the same offset
     * @param yOffset     index of the first output float
     * @param rows        the number of rows, ≥ 0
     * @param parallelism the threads to use
     * @throws NullPointerException also if {@code parallelism} is null
     */
    public void apply(float[] x, int xOffset, float[] y, int yOffset, int rows, Parallelism parallelism) {
        Check.notNull(parallelism, "parallelism");
        Check.rowsAlongInOut(x, xOffset, y, yOffset, rows, size);
        RowNormalization.normalize(true, x, xOffset, null, 0, null, 0, y, yOffset, rows, size, gamma, null, epsilon,
                null, null, parallelism);
    }

    /**
     * The pre-norm residual step of a transformer in one call: {@code y = RMSNorm(x + residual)}, rows of
     * {@code size} floats (ONNX Runtime's SkipSimplifiedLayerNormalization without bias). The sum is rounded to
     * float, as {@code x + residual} would be, before it is normalized; it is written into {@code y} and normalized
     * there.
     *
     * @param x              input, rows of {@code size} floats
     * @param xOffset        index of the first input float
     * @param residual       the residual, the same shape
     * @param residualOffset index of its first float
     * @param y              output, the same shape; may be {@code x} or {@code residual} at the same offset
     * @param yOffset        index of the first output float
     * @param rows           the number of rows, ≥ 0
     * @throws NullPointerException      if an array is null
     * @throws IndexOutOfBoundsException if the rows do not fit in an array
     * @throws IllegalArgumentException  if an output partially overlaps an input, or {@code rows < 0}
     */
    public void apply(float[] x, int xOffset, float[] residual, int residualOffset, float[] y, int yOffset,
                      int rows) {
        apply(x, xOffset, residual, residualOffset, y, yOffset, rows, Parallelism.sequential());
    }

    /**
     * As {@link #apply(float[], int, float[], int, float[], int, int)}, spread over {@code parallelism}'s threads;
     * the same bits for any number of threads.
     *
     * @param x              input, rows of {@code size} floats
     * @param xOffset        index of the first input float
     * @param residual       the residual, the same shape
     * @param residualOffset index of its first float
     * @param y              output, the same shape; may be {@code x} or {@code residual} at the same offset
     * @param yOffset        index of the first output float
     * @param rows           the number of rows, ≥ 0
     * @param parallelism    the threads to use
     * @throws NullPointerException      if an array or {@code parallelism} is null
     * @throws IndexOutOfBoundsException if the rows do not fit in an array
     * @throws IllegalArgumentException  if an output partially overlaps an input, or {@code rows < 0}
     */
    public void apply(float[] x, int xOffset, float[] residual, int residualOffset, float[] y, int yOffset,
                      int rows, Parallelism parallelism) {
        Check.notNull(parallelism, "parallelism");
        Check.residualInOut(x, xOffset, residual, residualOffset, y, yOffset, null, 0, rows, size);
        RowNormalization.normalize(true, x, xOffset, residual, residualOffset, null, 0, y, yOffset, rows, size,
                gamma, null, epsilon, null, null, parallelism);
    }

    /**
     * {@link #apply(float[], int, float[], int, float[], int, int)} that also writes the sum
     * {@code h = x + residual}, the next layer's residual.
     *
     * @param x              input, rows of {@code size} floats
     * @param xOffset        index of the first input float
     * @param residual       the residual, the same shape
     * @param residualOffset index of its first float
     * @param y              output, the same shape; may be {@code x} or {@code residual} at the same offset
     * @param yOffset        index of the first output float
     * @param h              out: {@code x + residual}; may be {@code x} or {@code residual} at the same offset, and
     *                       must not overlap {@code y}
     * @param hOffset        index of the first float of {@code h}
     * @param rows           the number of rows, ≥ 0
     * @throws NullPointerException      if an array is null
     * @throws IndexOutOfBoundsException if the rows do not fit in an array
     * @throws IllegalArgumentException  if an output partially overlaps an input, h overlaps y, or {@code rows < 0}
     */
    public void apply(float[] x, int xOffset, float[] residual, int residualOffset, float[] y, int yOffset,
                      float[] h, int hOffset, int rows) {
        apply(x, xOffset, residual, residualOffset, y, yOffset, h, hOffset, rows, Parallelism.sequential());
    }

    /**
     * As {@link #apply(float[], int, float[], int, float[], int, float[], int, int)}, spread over
     * {@code parallelism}'s threads; the same bits for any number of threads.
     *
     * @param x              input, rows of {@code size} floats
     * @param xOffset        index of the first input float
     * @param residual       the residual, the same shape
     * @param residualOffset index of its first float
     * @param y              output, the same shape; may be {@code x} or {@code residual} at the same offset
     * @param yOffset        index of the first output float
     * @param h              out: {@code x + residual}; may be {@code x} or {@code residual} at the same offset, and
     *                       must not overlap {@code y}
     * @param hOffset        index of the first float of {@code h}
     * @param rows           the number of rows, ≥ 0
     * @param parallelism    the threads to use
     * @throws NullPointerException      if an array or {@code parallelism} is null
     * @throws IndexOutOfBoundsException if the rows do not fit in an array
     * @throws IllegalArgumentException  if an output partially overlaps an input, h overlaps y, or {@code rows < 0}
     */
    public void apply(float[] x, int xOffset, float[] residual, int residualOffset, float[] y, int yOffset,
                      float[] h, int hOffset, int rows, Parallelism parallelism) {
        Check.notNull(h, "h");
        Check.notNull(parallelism, "parallelism");
        Check.residualInOut(x, xOffset, residual, residualOffset, y, yOffset, h, hOffset, rows, size);
        RowNormalization.normalize(true, x, xOffset, residual, residualOffset, h, hOffset, y, yOffset, rows, size,
                gamma, null, epsilon, null, null, parallelism);
    }

    /**
     * As {@link #apply(float[], int, float[], int, int)}, on memory segments: {@code rows} rows of {@code size}
     * float32 values each, in the platform's byte order (native memory, a mapped file, or a heap segment over a
     * {@code float[]}, {@code int[]}, {@code long[]} or {@code double[]}; one over a {@code byte[]} is not aligned to
     * 4 bytes). Where every segment of the call is a writable one over a {@code float[]}, they are read as those
     * arrays; otherwise each is staged through a per-thread heap buffer a run of rows at a time. The same bits as the
     * array overload on the same values.
     *
     * @param x    input, at least {@code rows·size} floats
     * @param y    output, at least {@code rows·size} floats; may be {@code x} (the same bytes)
     * @param rows the number of rows, ≥ 0
     * @throws NullPointerException      if a segment is null
     * @throws IllegalStateException     if a segment's arena is closed
     * @throws WrongThreadException      if a segment is confined to another thread
     * @throws IndexOutOfBoundsException if the rows do not fit in a segment
     * @throws IllegalArgumentException  if {@code rows < 0}, a segment is not aligned to 4 bytes, {@code y} is
     *                                   read-only, or x and y partially overlap
     */
    public void apply(MemorySegment x, MemorySegment y, long rows) {
        apply(x, y, rows, Parallelism.sequential());
    }

    /**
     * As {@link #apply(MemorySegment, MemorySegment, long)}, spread over {@code parallelism}'s threads in runs of
     * whole rows (a segment confined to one thread keeps the call on it); each row depends on itself alone, so the
     * bits are the same for any number of threads.
     *
     * @param x           input, at least {@code rows·size} floats
     * @param y           output, at least {@code rows·size} floats; may be {@code x} (the same bytes)
     * @param rows        the number of rows, ≥ 0
     * @param parallelism the threads to use
     * @throws NullPointerException      if a segment or {@code parallelism} is null
     * @throws IllegalStateException     if a segment's arena is closed
     * @throws WrongThreadException      if a segment is confined to another thread
     * @throws IndexOutOfBoundsException if the rows do not fit in a segment
     * @throws IllegalArgumentException  if {@code rows < 0}, a segment is not aligned to 4 bytes, {@code y} is
     *                                   read-only, or x and y partially overlap
     */
    public void apply(MemorySegment x, MemorySegment y, long rows, Parallelism parallelism) {
        Check.notNull(parallelism, "parallelism");
        Check.rowSegmentsInOut(x, y, rows, size);
        RowNormalization.normalize(true, x, null, y, null, rows, size, gamma, null, epsilon, parallelism);
    }

    /**
     * The residual form ({@code y = RMSNorm(x + residual)}) on memory segments: {@code rows} rows of {@code size}
     * float32 values each, in the platform's byte order, with the checks of {@link #apply(MemorySegment, MemorySegment,
     * long)}. Segments over {@code float[]}s are read as those arrays; any others are staged through per-thread heap
     * buffers a run of rows at a time. The same bits as the array overload on the same values.
     *
     * @param x        input, at least {@code rows·size} floats
     * @param residual the residual, the same shape
     * @param y        output, the same shape; may be {@code x} or {@code residual} (the same bytes)
     * @param rows     the number of rows, ≥ 0
     * @throws NullPointerException      if a segment is null
     * @throws IllegalStateException     if a segment's arena is closed
     * @throws WrongThreadException      if a segment is confined to another thread
     * @throws IndexOutOfBoundsException if the rows do not fit in a segment
     * @throws IllegalArgumentException  if {@code rows < 0}, a segment is not aligned to 4 bytes, {@code y} is
     *                                   read-only, or an output partially overlaps an input
     */
    public void apply(MemorySegment x, MemorySegment residual, MemorySegment y, long rows) {
        apply(x, residual, y, rows, Parallelism.sequential());
    }

    /**
     * As {@link #apply(MemorySegment, MemorySegment, MemorySegment, long)}, spread over {@code parallelism}'s
     * threads in runs of whole rows (a segment confined to one thread keeps the call on it); the same bits for any
     * number of threads.
     *
     * @param x           input, at least {@code rows·size} floats
     * @param residual    the residual, the same shape
     * @param y           output, the same shape; may be {@code x} or {@code residual} (the same bytes)
     * @param rows        the number of rows, ≥ 0
     * @param parallelism the threads to use
     * @throws NullPointerException      if a segment or {@code parallelism} is null
     * @throws IllegalStateException     if a segment's arena is closed
     * @throws WrongThreadException      if a segment is confined to another thread
     * @throws IndexOutOfBoundsException if the rows do not fit in a segment
     * @throws IllegalArgumentException  if {@code rows < 0}, a segment is not aligned to 4 bytes, {@code y} is
     *                                   read-only, or an output partially overlaps an input
     */
    public void apply(MemorySegment x, MemorySegment residual, MemorySegment y, long rows, Parallelism parallelism) {
        Check.notNull(parallelism, "parallelism");
        Check.residualSegmentsInOut(x, residual, y, null, rows, size);
        RowNormalization.normalize(true, x, residual, y, null, rows, size, gamma, null, epsilon, parallelism);
    }

    /**
     * {@link #apply(MemorySegment, MemorySegment, MemorySegment, long)} that also writes the sum
     * {@code h = x + residual}, the next layer's residual.
     *
     * @param x        input, at least {@code rows·size} floats
     * @param residual the residual, the same shape
     * @param y        output, the same shape; may be {@code x} or {@code residual} (the same bytes)
     * @param h        out: {@code x + residual}; may be {@code x} or {@code residual} (the same bytes), and must not
     *                 overlap {@code y}
     * @param rows     the number of rows, ≥ 0
     * @throws NullPointerException      if a segment is null
     * @throws IllegalStateException     if a segment's arena is closed
     * @throws WrongThreadException      if a segment is confined to another thread
     * @throws IndexOutOfBoundsException if the rows do not fit in a segment
     * @throws IllegalArgumentException  if {@code rows < 0}, a segment is not aligned to 4 bytes, an output is
     *                                   read-only, an output partially overlaps an input, or y and h overlap
     */
    public void apply(MemorySegment x, MemorySegment residual, MemorySegment y, MemorySegment h, long rows) {
        apply(x, residual, y, h, rows, Parallelism.sequential());
    }

    /**
     * As {@link #apply(MemorySegment, MemorySegment, MemorySegment, MemorySegment, long)}, spread over
     * {@code parallelism}'s threads in runs of whole rows (a segment confined to one thread keeps the call on it);
     * the same bits for any number of threads.
     *
     * @param x           input, at least {@code rows·size} floats
     * @param residual    the residual, the same shape
     * @param y           output, the same shape; may be {@code x} or {@code residual} (the same bytes)
     * @param h           out: {@code x + residual}; may be {@code x} or {@code residual} (the same bytes), and
     *                    must not overlap {@code y}
     * @param rows        the number of rows, ≥ 0
     * @param parallelism the threads to use
     * @throws NullPointerException      if a segment or {@code parallelism} is null
     * @throws IllegalStateException     if a segment's arena is closed
     * @throws WrongThreadException      if a segment is confined to another thread
     * @throws IndexOutOfBoundsException if the rows do not fit in a segment
     * @throws IllegalArgumentException  if {@code rows < 0}, a segment is not aligned to 4 bytes, an output is
     *                                   read-only, an output partially overlaps an input, or y and h overlap
     */
    public void apply(MemorySegment x, MemorySegment residual, MemorySegment y, MemorySegment h, long rows,
                      Parallelism parallelism) {
        Check.notNull(parallelism, "parallelism");
        Check.notNull(h, "h");
        Check.residualSegmentsInOut(x, residual, y, h, rows, size);
        RowNormalization.normalize(true, x, residual, y, h, rows, size, gamma, null, epsilon, parallelism);
    }

    /**
     * Returns the floats normalized together.
     *
     * @return {@code size}
     */
    public int size() {
        return size;
    }

    /**
     * Returns ε, added to the mean of squares inside the square root.
     *
     * @return ε
     */
    public float epsilon() {
        return epsilon;
    }

    /**
     * Returns a copy of γ.
     *
     * @return γ, one per position
     */
    public float[] gamma() {
        return gamma.clone();
    }

    @Override
    public String toString() {
        return "RmsNorm[size=" + size + ", epsilon=" + epsilon + "]";
    }
}
