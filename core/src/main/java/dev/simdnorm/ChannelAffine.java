package dev.simdnorm;

import dev.simdnorm.internal.AffineParams;
import dev.simdnorm.internal.Kernel;
import dev.simdnorm.internal.KernelProvider;
import dev.simdnorm.internal.LanePeriod;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The fused per-channel map of batch normalization, kept in centered form:
 * {@code y = (x − center[c])·scale[c] + shift[c]}, one subtract and one FMA per element, optionally followed by a
 * fused {@link Activation}.
 *
 * <p><b>Why centered.</b> Folding the map into {@code x·s + (β − μ·s)}, as TensorFlow and ONNX Runtime do, loses about
 * {@code |x|·2⁻²⁴·s}: on data of mean 1e4 and standard deviation 1 their output is off by about 1.4e-3. Subtracting
 * the center first is exact there (Sterbenz's lemma) and the output stays within about 1e-6.
 *
 * <p>When built from batch {@link Moments}, the center is a hi/lo pair of floats carrying the double mean, and the map
 * is {@code ((x − μ_hi) − μ_lo)·scale + shift}, so the output does not inherit the float rounding of the mean.
 *
 * <p>Where a finite x lies so far from a center (of at least about 1e31, of the opposite sign) that {@code x − center}
 * overflows float, that element is computed in double and rounded once, so a finite true output stays finite; such a
 * call runs without the vector kernels. Other elements keep the centered map's bits. The scale itself is a float:
 * where {@code γ/√(σ² + ε)} falls below float's normal range (about 1.2e-38: a tiny γ over a variance near float's
 * largest values) it keeps fewer bits, and below 2⁻¹⁵⁰ it is 0, that channel's output then the shift.
 *
 * <p>Instances are immutable and safe to call from many threads at once; {@link #apply} on arrays allocates nothing
 * when sequential (a call spread over a {@link Parallelism} allocates a few objects per task, and a thread's first
 * call on a segment not over a {@code float[]} its staging buffers).
 */
public final class ChannelAffine {

    /** The parameters, laid out for the kernels once, at construction; never written afterwards. */
    private final AffineParams params;
    private final Activation activation;

    private ChannelAffine(AffineParams params, Activation activation) {
        this.params = params;
        this.activation = activation;
    }

    /**
     * The map {@code y = x·scale[c] + shift[c]} (center 0).
     *
     * @param scale per-channel scale, finite
     * @param shift per-channel shift, finite, same length
     * @return the map; the arrays are copied
     * @throws NullPointerException     if an array is null
     * @throws IllegalArgumentException if the arrays are empty, of different lengths, or not finite
     */
    public static ChannelAffine of(float[] scale, float[] shift) {
        Check.notNull(scale, "scale");
        int channels = Check.channels(scale.length, "scale.length");
        Check.length(shift, "shift", channels);
        AffineParams p = new AffineParams(channels);
        // Checked as copied: a value another thread writes after the check cannot reach the map.
        System.arraycopy(scale, 0, p.scale(), 0, channels);
        System.arraycopy(shift, 0, p.shift(), 0, channels);
        Check.finite(p.scale(), "scale");
        Check.finite(p.shift(), "shift");
        p.layOut();
        return new ChannelAffine(p, Activation.NONE);
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
     * @throws NullPointerException     if an array is null
     * @throws IllegalArgumentException if the arrays are empty or of different lengths, a value is not finite, a
     *                                  variance is negative, ε is not positive, or a scale γ/√(variance + ε)
     *                                  overflows float
     */
    public static ChannelAffine normalizing(float[] mean, float[] variance, float[] gamma, float[] beta,
                                            float epsilon) {
        Check.notNull(mean, "mean");
        int channels = Check.channels(mean.length, "mean.length");
        // Checked as copied: a value another thread writes after the check cannot reach the map.
        float[] m = Check.finite(mean.clone(), "mean");
        float[] v = Check.nonNegativeFinite(Check.copyOfLength(variance, "variance", channels), "variance");
        float[] g = Check.finite(Check.copyOfLength(gamma, "gamma", channels), "gamma");
        float[] b = Check.finite(Check.copyOfLength(beta, "beta", channels), "beta");
        Check.epsilon(epsilon);
        Check.scales(g, v, epsilon);
        return new ChannelAffine(inference(m, v, g, b, epsilon), Activation.NONE);
    }

    /**
     * The inference map's parameters, without checks: {@code (x − mean)·γ/√(variance + ε) + β}. Non-finite statistics
     * (left by non-finite training data) propagate into the output.
     */
    static AffineParams inference(float[] mean, float[] variance, float[] gamma, float[] beta, float epsilon) {
        int channels = mean.length;
        AffineParams p = new AffineParams(channels);
        System.arraycopy(mean, 0, p.center(), 0, channels);
        System.arraycopy(beta, 0, p.shift(), 0, channels);
        float[] scale = p.scale();
        for (int c = 0; c < channels; c++) {
            scale[c] = scale(gamma[c], variance[c], epsilon);
        }
        p.layOut();
        return p;
    }

    /** A map over parameters its caller laid out and will never write again. */
    static ChannelAffine of(AffineParams params, Activation activation) {
        return new ChannelAffine(params, activation);
    }

    /**
     * The normalizing map of a training step: centered at the batch mean carried as a hi/lo float pair, scaled by
     * γ/√(σ² + ε) with the batch's population variance σ². Non-finite statistics (from non-finite data) pass through
     * and make that channel's output NaN or infinite.
     *
     * @param batch   the batch moments
     * @param gamma   per-channel scale γ, finite
     * @param beta    per-channel offset β, finite
     * @param epsilon ε &gt; 0
     * @return the map; the arrays are copied
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if an array's length is not the batch's channels, a value is not finite, ε is
     *                                  not positive, a scale γ/√(σ² + ε) overflows float, or a finite batch mean is
     *                                  beyond float's range (from {@link Moments#ofSums} or bytes: no float data
     *                                  have such a mean, and the map's center is a float)
     */
    public static ChannelAffine normalizing(Moments batch, float[] gamma, float[] beta, float epsilon) {
        Check.notNull(batch, "batch");
        int channels = batch.channels();
        float[] g = Check.finite(Check.copyOfLength(gamma, "gamma", channels), "gamma"); // checked as copied
        float[] b = Check.finite(Check.copyOfLength(beta, "beta", channels), "beta");
        Check.epsilon(epsilon);
        double[] variance = new double[channels];
        for (int c = 0; c < channels; c++) {
            variance[c] = batch.varianceAsDouble(c);
        }
        Check.scales(g, variance, epsilon);
        Check.floatMeans(batch.meanArray());
        AffineParams p = new AffineParams(channels);
        System.arraycopy(b, 0, p.shift(), 0, channels);
        LanePeriod.repeat(p.shift(), channels, p.period());
        training(p, batch.meanArray(), variance, batch.count(), g, epsilon);
        p.findWideCenters(); // the map may be applied to other data than the batch's
        return new ChannelAffine(p, Activation.NONE);
    }

    /**
     * Fills a training map from the batch mean and variance in double, without checks: the center as a hi/lo pair,
     * the scale rounded once, and lays out what it wrote. Its shift must already hold β, laid out; it is not written.
     * The map stays centered for every channel: where the values spread wider than the largest float
     * ({@code |x − μ| ≤ √(n·σ²)} reaches 2¹²⁷), it notes the centers a deviation could overflow from
     * ({@link AffineParams#findWideCenters}), and the call that applies it maps those elements in double
     * ({@link DeviationOverflow}). Folding such a channel into {@code x·s + (β − μ·s)} instead loses
     * {@code |μ|·s·2⁻²⁴} and overflows where {@code |μ|·s} passes the largest float while the outputs do not.
     *
     * @param count the values per channel the statistics were taken over
     */
    static void training(AffineParams p, double[] mean, double[] variance, long count, float[] gamma,
                         float epsilon) {
        training(p, mean, variance, count, gamma, epsilon, true);
    }

    /**
     * {@link #training(AffineParams, double[], double[], long, float[], float)}, laying out what it wrote over the
     * period only where {@code layOut} is true: the NCHW kernels read the first C entries alone.
     */
    static void training(AffineParams p, double[] mean, double[] variance, long count, float[] gamma, float epsilon,
                         boolean layOut) {
        int channels = p.channels();
        Kernel k = KernelProvider.layingOut(); // the same floats from either kernel
        boolean rare = k.trainingValues(p, mean, variance, count, gamma, epsilon);
        p.lowPartWritten();
        // The rare steps walk the channels again, nearly as long as the values themselves (C = 1000): only where the
        // kernel says a channel may need them.
        p.findWideCenters(rare && rareChannels(p, variance, count));
        if (layOut) {
            k.repeat(p.center(), p.centerLow(), p.scale(), channels, p.period());
        }
    }

    /**
     * The channels of {@link #training} with a non-finite mean (its low part set to 0) or values spread wider than
     * the largest float; whether one was so spread ({@code n·σ² ≥ 2²⁵⁴}, so {@code √(n·σ²) ≥ 2¹²⁷}).
     */
    private static boolean rareChannels(AffineParams p, double[] variance, long count) {
        float[] lo = p.centerLow();
        boolean spread = false;
        for (int c = 0; c < p.channels(); c++) {
            if (!Float.isFinite(lo[c])) {
                lo[c] = 0f; // hi already carries a non-finite mean
            }
            spread |= variance[c] * count >= 0x1p254 && Double.isFinite(variance[c]);
        }
        return spread;
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
     * @throws NullPointerException if {@code activation} is null
     */
    public ChannelAffine withActivation(Activation activation) {
        Check.notNull(activation, "activation");
        return new ChannelAffine(params, activation);
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
        int channels = params.channels();
        Check.rowsInOut(x, xOffset, y, yOffset, rows, channels);
        Check.notNull(parallelism, "parallelism");
        Engine.normalize(x, xOffset, y, yOffset, rows, params, relu(), parallelism);
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
        Check.segmentsInOut(x, y, rows, params.channels());
        Check.notNull(parallelism, "parallelism");
        Engine.normalize(x, y, rows, params, relu(), parallelism);
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
     * Applies the map to a tensor of the given shape, NHWC or NCHW; each element gets the same arithmetic in either
     * layout, so the result is bit for bit the transpose of the other layout's. Allocates nothing.
     *
     * @param x       input
     * @param xOffset index of the first input float
     * @param y       output, in the same shape
     * @param yOffset index of the first output float
     * @param shape   N, C and H·W, and the layout; C the map's
     * @throws NullPointerException      if an array or {@code shape} is null
     * @throws IndexOutOfBoundsException if the tensor does not fit in {@code x} or {@code y}
     * @throws IllegalArgumentException  if the shape's channels are not the map's or x and y partially overlap
     */
    public void apply(float[] x, int xOffset, float[] y, int yOffset, TensorShape shape) {
        apply(x, xOffset, y, yOffset, shape, Parallelism.sequential());
    }

    /**
     * {@link #apply(float[], int, float[], int, TensorShape)} spread over threads (NCHW in groups of whole images);
     * the same bits for every parallelism.
     *
     * @param x           input
     * @param xOffset     index of the first input float
     * @param y           output, in the same shape
     * @param yOffset     index of the first output float
     * @param shape       N, C and H·W, and the layout; C the map's
     * @param parallelism where to run the work
     * @throws NullPointerException      if an array, {@code shape} or {@code parallelism} is null
     * @throws IndexOutOfBoundsException if the tensor does not fit in {@code x} or {@code y}
     * @throws IllegalArgumentException  if the shape's channels are not the map's or x and y partially overlap
     */
    public void apply(float[] x, int xOffset, float[] y, int yOffset, TensorShape shape, Parallelism parallelism) {
        int floats = Check.tensorInOut(x, xOffset, y, yOffset, shape, params.channels());
        Check.notNull(parallelism, "parallelism");
        Engine.normalize(x, xOffset, y, yOffset, shape, floats, params, relu(), parallelism);
    }

    /**
     * Returns the number of channels.
     *
     * @return the number of channels
     */
    public int channels() {
        return params.channels();
    }

    /** The parameters as the kernels read them: for the backward pass, which recomputes this map's input. */
    AffineParams params() {
        return params;
    }

    /** Whether the map fuses ReLU. */
    boolean relu() {
        return activation == Activation.RELU;
    }

    /**
     * Returns a copy of the per-channel center (the hi part, when built from {@link Moments}).
     *
     * @return a copy of the per-channel center (the hi part, when built from {@link Moments})
     */
    public float[] center() {
        return Arrays.copyOf(params.center(), params.channels());
    }

    /**
     * Returns a copy of the per-channel scale.
     *
     * @return a copy of the per-channel scale
     */
    public float[] scale() {
        return Arrays.copyOf(params.scale(), params.channels());
    }

    /**
     * Returns a copy of the per-channel shift.
     *
     * @return a copy of the per-channel shift
     */
    public float[] shift() {
        return Arrays.copyOf(params.shift(), params.channels());
    }

    /**
     * Returns the fused activation.
     *
     * @return the fused activation
     */
    public Activation activation() {
        return activation;
    }

    @Override
    public String toString() {
        return "ChannelAffine[channels=" + params.channels() + ", center=" + Arrays.toString(center()) + ", scale="
                + Arrays.toString(scale()) + ", shift=" + Arrays.toString(shift()) + ", activation=" + activation
                + "]";
    }
}
