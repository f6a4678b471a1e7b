package dev.simdnorm;

import dev.simdnorm.internal.AffineParams;
import dev.simdnorm.internal.KernelProvider;

import java.lang.foreign.MemorySegment;

/**
 * The fused per-channel map of batch normalization, kept in centred form:
 * {@code y = (x − center[c])·scale[c] + shift[c]}, one subtract and one FMA per element, optionally followed by a
 * fused {@link Activation}.
 *
 * <p><b>Why centred.</b> Folding the map into {@code x·s + (β − μ·s)}, as TensorFlow and ONNX Runtime do, loses about
 * {@code |x|·2⁻²⁴·s}: on data of mean 1e4 and standard deviation 1 their output is off by about 1.4e-3. Subtracting
 * the centre first is exact there (Sterbenz's lemma) and the output stays within about 1e-6.
 *
 * <p>When built from batch {@link Moments}, the centre is a hi/lo pair of floats carrying the double mean, and the map
 * is {@code ((x − μ_hi) − μ_lo)·scale + shift}, so the output does not inherit the float rounding of the mean.
 *
 * <p>Instances are immutable; {@link #apply} allocates nothing and is safe to call from many threads at once.
 */
public final class ChannelAffine {

    private final float[] center;
    private final float[] scale;
    private final float[] shift;
    private final Activation activation;
    /** The parameters as the active kernel reads them. */
    private final AffineParams params;

    private ChannelAffine(float[] center, float[] centerLo, float[] scale, float[] shift, Activation activation) {
        this(center, scale, shift, activation,
                KernelProvider.kernel().prepare(center.length, center, centerLo, scale, shift));
    }

    private ChannelAffine(float[] center, float[] scale, float[] shift, Activation activation, AffineParams params) {
        this.center = center;
        this.scale = scale;
        this.shift = shift;
        this.activation = activation;
        this.params = params;
    }

    /**
     * The map {@code y = x·scale[c] + shift[c]} (centre 0).
     *
     * @param scale per-channel scale, finite
     * @param shift per-channel shift, finite, same length
     * @return the map; the arrays are copied
     */
    public static ChannelAffine of(float[] scale, float[] shift) {
        Check.notNull(scale, "scale");
        int channels = Check.channels(scale.length);
        float[] s = Check.finite(scale.clone(), "scale");
        float[] b = Check.finite(Check.copyOfLength(shift, "shift", channels), "shift");
        return new ChannelAffine(new float[channels], null, s, b, Activation.NONE);
    }

    /**
     * The normalizing map {@code y = (x − mean)·γ/√(variance + ε) + β} with float statistics, as used for inference.
     * The scale is computed in double and rounded once.
     *
     * @param mean     per-channel mean, finite
     * @param variance per-channel variance, finite and ≥ 0
     * @param gamma    per-channel scale γ, finite
     * @param beta     per-channel offset β, finite
     * @param epsilon  ε &gt; 0, added to the variance inside the square root
     * @return the map; the arrays are copied
     */
    public static ChannelAffine normalizing(float[] mean, float[] variance, float[] gamma, float[] beta,
                                            float epsilon) {
        Check.notNull(mean, "mean");
        int channels = Check.channels(mean.length);
        float[] m = Check.finite(mean.clone(), "mean");
        float[] v = Check.nonNegativeFinite(Check.copyOfLength(variance, "variance", channels), "variance");
        float[] g = Check.finite(Check.copyOfLength(gamma, "gamma", channels), "gamma");
        float[] b = Check.finite(Check.copyOfLength(beta, "beta", channels), "beta");
        Check.epsilon(epsilon);
        return fold(m, v, g, b, epsilon, Activation.NONE);
    }

    /**
     * The inference map without checks or copies: the caller owns the arrays and never mutates them. Non-finite
     * statistics (left by non-finite training data) propagate into the output instead of throwing.
     */
    static ChannelAffine fold(float[] mean, float[] variance, float[] gamma, float[] beta, float epsilon,
                              Activation activation) {
        float[] scale = new float[mean.length];
        for (int c = 0; c < scale.length; c++) {
            scale[c] = scale(gamma[c], variance[c], epsilon);
        }
        return new ChannelAffine(mean, null, scale, beta, activation);
    }

    /**
     * The normalizing map of a training step: centred at the batch mean carried as a hi/lo float pair, scaled by
     * γ/√(σ² + ε) with the batch's population variance σ². Non-finite statistics (from non-finite data) pass through
     * and make that channel's output NaN or infinite.
     *
     * @param batch   the batch moments
     * @param gamma   per-channel scale γ, finite
     * @param beta    per-channel offset β, finite
     * @param epsilon ε &gt; 0
     * @return the map; the arrays are copied
     */
    public static ChannelAffine normalizing(Moments batch, float[] gamma, float[] beta, float epsilon) {
        Check.notNull(batch, "batch");
        int channels = batch.channels();
        float[] g = Check.finite(Check.copyOfLength(gamma, "gamma", channels), "gamma");
        float[] b = Check.finite(Check.copyOfLength(beta, "beta", channels), "beta");
        Check.epsilon(epsilon);
        float[] hi = new float[channels];
        float[] lo = new float[channels];
        float[] scale = new float[channels];
        for (int c = 0; c < channels; c++) {
            double mu = batch.meanAsDouble(c);
            hi[c] = (float) mu;
            float rest = (float) (mu - hi[c]);
            lo[c] = Float.isFinite(rest) ? rest : 0f; // hi already carries a non-finite mean
            scale[c] = (float) (g[c] / Math.sqrt(batch.varianceAsDouble(c) + epsilon));
        }
        return new ChannelAffine(hi, lo, scale, b, Activation.NONE);
    }

    /** γ/√(σ² + ε) in double, rounded once (the float form of TF's rsqrt(var + ε)·γ loses up to a few ulps). */
    static float scale(float gamma, float variance, float epsilon) {
        return (float) scaleInDouble(gamma, variance, epsilon);
    }

    /** γ/√(σ² + ε) in double, within 3 units of 2⁻⁵³ relative (sum, root, quotient), for products rounded once. */
    static double scaleInDouble(float gamma, float variance, float epsilon) {
        return gamma / Math.sqrt((double) variance + epsilon);
    }

    /**
     * The same map followed by the given activation.
     *
     * @param activation the fused activation
     * @return a new map, sharing nothing mutable with this one
     */
    public ChannelAffine withActivation(Activation activation) {
        Check.notNull(activation, "activation");
        return new ChannelAffine(center, scale, shift, activation, params);
    }

    /**
     * Applies the map to {@code rows} rows. {@code x} and {@code y} may be the same array at the same offset (in
     * place); a partial overlap is rejected. Allocates nothing.
     *
     * @param x       input, NHWC
     * @param xOffset index of the first input float
     * @param y       output, NHWC
     * @param yOffset index of the first output float
     * @param rows    N·H·W, ≥ 0
     * @throws NullPointerException      if an array is null
     * @throws IndexOutOfBoundsException if the rows do not fit in {@code x} or {@code y}
     * @throws IllegalArgumentException  if {@code rows} is negative or x and y partially overlap
     */
    public void apply(float[] x, int xOffset, float[] y, int yOffset, int rows) {
        apply(x, xOffset, y, yOffset, rows, Parallelism.sequential());
    }

    /**
     * Applies the map to {@code rows} rows, spreading them over threads; the output is the same, bit for bit, for
     * every parallelism (each element is computed alone). Allocation-free when it stays on the calling thread.
     *
     * @param x           input, NHWC
     * @param xOffset     index of the first input float
     * @param y           output, NHWC; may be {@code x} at the same offset
     * @param yOffset     index of the first output float
     * @param rows        number of rows, ≥ 0
     * @param parallelism where to run the work
     * @throws NullPointerException      if an array or {@code parallelism} is null
     * @throws IndexOutOfBoundsException if the rows do not fit in {@code x} or {@code y}
     * @throws IllegalArgumentException  if {@code rows} is negative or x and y partially overlap
     */
    public void apply(float[] x, int xOffset, float[] y, int yOffset, int rows, Parallelism parallelism) {
        int channels = center.length;
        Check.range(x, "x", xOffset, rows, channels);
        Check.range(y, "y", yOffset, rows, channels);
        Check.noPartialOverlap(x, xOffset, y, yOffset, rows * channels);
        Check.notNull(parallelism, "parallelism");
        boolean relu = activation == Activation.RELU;
        long floats = (long) rows * channels;
        if (!parallelism.spreads(floats)) {
            KernelProvider.kernel().normalize(x, xOffset, y, yOffset, rows, params, relu);
            return;
        }
        Slices slices = new Slices(rows, channels);
        parallelism.forEach(slices.count(), floats, s -> KernelProvider.kernel().normalize(x,
                xOffset + (int) slices.start(s) * channels, y, yOffset + (int) slices.start(s) * channels,
                slices.rows(s), params, relu));
    }

    /**
     * Applies the map to {@code rows} rows at the start of {@code x}, writing them at the start of {@code y}: float32
     * tensors in native byte order, on or off the heap, of any size, also above 2³¹ floats. The output is the same, bit
     * for bit, as the array overload on the same values, for every parallelism. Segments over {@code float[]} are
     * used directly; others are staged through a small per-thread heap buffer, so that the sequential call allocates
     * nothing after a thread's first.
     *
     * @param x           input, NHWC; aligned to 4 bytes; use {@code asSlice} for an offset
     * @param y           output, NHWC, writable, aligned to 4 bytes; may be the same bytes as {@code x}
     * @param rows        number of rows, ≥ 0
     * @param parallelism where to run the work; segments confined to one thread are processed on it alone
     * @throws NullPointerException      if a segment or {@code parallelism} is null
     * @throws IndexOutOfBoundsException if the rows do not fit in {@code x} or {@code y}
     * @throws IllegalArgumentException  if {@code rows} is negative, a segment is misaligned, y is read-only, x and
     *                                   y partially overlap, or the channels exceed 2¹⁴
     * @throws IllegalStateException     if an arena is closed
     * @throws WrongThreadException      if a segment is confined to another thread
     */
    public void apply(MemorySegment x, MemorySegment y, long rows, Parallelism parallelism) {
        int channels = center.length;
        Check.segment(x, "x", rows, channels);
        Check.segment(y, "y", rows, channels);
        Check.writable(y, "y");
        Check.noPartialOverlap(x, y, rows * channels * Float.BYTES);
        Check.notNull(parallelism, "parallelism");
        boolean relu = activation == Activation.RELU;
        Parallelism p = SegmentStaging.parallelismFor(y, SegmentStaging.parallelismFor(x, parallelism));
        long floats = rows * channels;
        Slices slices = new Slices(rows, channels);
        if (!p.spreads(floats)) { // a plain loop: no lambda to allocate on the sequential inference path
            for (int s = 0; s < slices.count(); s++) {
                SegmentStaging.normalize(x, slices.start(s), y, slices.rows(s), channels, params, relu);
            }
            return;
        }
        p.forEach(slices.count(), floats, s -> SegmentStaging.normalize(x, slices.start(s), y, slices.rows(s),
                channels, params, relu));
    }

    /**
     * As {@link #apply(MemorySegment, MemorySegment, long, Parallelism)}, on the calling thread.
     *
     * @param x    input, NHWC; aligned to 4 bytes
     * @param y    output, NHWC, writable, aligned to 4 bytes; may be the same bytes as {@code x}
     * @param rows number of rows, ≥ 0
     * @throws NullPointerException      if a segment is null
     * @throws IndexOutOfBoundsException if the rows do not fit in {@code x} or {@code y}
     * @throws IllegalArgumentException  if {@code rows} is negative, a segment is misaligned, y is read-only, x and
     *                                   y partially overlap, or the channels exceed 2¹⁴
     * @throws IllegalStateException     if an arena is closed
     * @throws WrongThreadException      if a segment is confined to another thread
     */
    public void apply(MemorySegment x, MemorySegment y, long rows) {
        apply(x, y, rows, Parallelism.sequential());
    }

    /**
     * Applies the map to a tensor of {@code n} images of {@link #channels()} channels and {@code spatial} = H·W
     * positions, laid out as {@code layout} says; each element gets the same arithmetic in either layout, so the
     * result is bit for bit the transpose of the other layout's. {@code x} and {@code y} may be the same array at the
     * same offset (in place); a partial overlap is rejected. Allocates nothing.
     *
     * @param x       input
     * @param xOffset index of the first input float
     * @param y       output, in the same layout
     * @param yOffset index of the first output float
     * @param layout  how the tensors lie in {@code x} and {@code y}
     * @param n       N, ≥ 0
     * @param spatial H·W, ≥ 0
     * @throws NullPointerException      if an array or {@code layout} is null
     * @throws IndexOutOfBoundsException if the n·channels·spatial floats do not fit in {@code x} or {@code y}
     * @throws IllegalArgumentException  if {@code n} or {@code spatial} is negative or x and y partially overlap
     */
    public void apply(float[] x, int xOffset, float[] y, int yOffset, TensorLayout layout, int n, int spatial) {
        apply(x, xOffset, y, yOffset, layout, n, spatial, Parallelism.sequential());
    }

    /**
     * {@link #apply(float[], int, float[], int, TensorLayout, int, int)}, spread over threads (NCHW in groups of whole
     * images); the same bits for every parallelism, as each element is computed alone.
     *
     * @param x           input
     * @param xOffset     index of the first input float
     * @param y           output, in the same layout; may be {@code x} at the same offset
     * @param yOffset     index of the first output float
     * @param layout      how the tensors lie in {@code x} and {@code y}
     * @param n           N, ≥ 0
     * @param spatial     H·W, ≥ 0
     * @param parallelism where to run the work
     * @throws NullPointerException      if an array, {@code layout} or {@code parallelism} is null
     * @throws IndexOutOfBoundsException if the n·C·spatial floats do not fit in {@code x} or {@code y}
     * @throws IllegalArgumentException  if {@code n} or {@code spatial} is negative or x and y partially overlap
     */
    public void apply(float[] x, int xOffset, float[] y, int yOffset, TensorLayout layout, int n, int spatial,
                      Parallelism parallelism) {
        Check.layout(layout);
        int floats = Check.tensorRange(x, "x", xOffset, n, center.length, spatial);
        Check.tensorRange(y, "y", yOffset, n, center.length, spatial);
        Check.noPartialOverlap(x, xOffset, y, yOffset, floats);
        Check.notNull(parallelism, "parallelism");
        if (floats == 0) {
            return; // (n·channels may not fit in an int when spatial is 0)
        }
        if (layout == TensorLayout.NHWC) {
            apply(x, xOffset, y, yOffset, n * spatial, parallelism);
            return;
        }
        boolean relu = activation == Activation.RELU;
        int image = floats / n;
        int group = Math.max(1, Slices.SLICE_FLOATS / image);
        parallelism.forEach(Math.ceilDiv(n, group), floats, g -> {
            int from = g * group;
            KernelProvider.kernel().normalizeNchw(x, xOffset + from * image, y, yOffset + from * image,
                    Math.min(group, n - from), spatial, params, relu);
        });
    }

    /**
     * Returns the number of channels.
     *
     * @return the number of channels
     */
    public int channels() {
        return center.length;
    }

    /** The parameters as the active kernel reads them: for the backward pass, which recomputes this map's input. */
    AffineParams params() {
        return params;
    }

    /**
     * Returns a copy of the per-channel centre (the hi part, when built from {@link Moments}).
     *
     * @return a copy of the per-channel centre (the hi part, when built from {@link Moments})
     */
    public float[] center() {
        return center.clone();
    }

    /**
     * Returns a copy of the per-channel scale.
     *
     * @return a copy of the per-channel scale
     */
    public float[] scale() {
        return scale.clone();
    }

    /**
     * Returns a copy of the per-channel shift.
     *
     * @return a copy of the per-channel shift
     */
    public float[] shift() {
        return shift.clone();
    }

    /**
     * Returns the fused activation.
     *
     * @return the fused activation
     */
    public Activation activation() {
        return activation;
    }
}
