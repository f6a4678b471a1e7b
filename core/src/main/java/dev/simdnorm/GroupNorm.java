package dev.simdnorm;

import java.lang.foreign.MemorySegment;

/**
 * Group normalization of image tensors: the C channels fall into G groups of C/G consecutive channels; for each image
 * and group, the mean μ and biased variance σ² (÷ the group's C/G·H·W values), then
 * {@code y = (x − μ)/√(σ² + ε)·γ[c] + β[c]} with γ and β per channel. Instance normalization is the case G = C
 * ({@link #instanceNorm}); G = 1 normalizes each image as a whole.
 *
 * <pre>{@code
 * GroupNorm gn = GroupNorm.builder(320, 32).gamma(weight).beta(bias).build();   // ε = 1e-5, as PyTorch and ONNX
 * gn.apply(x, 0, y, 0, TensorLayout.NCHW, batch, height * width);
 * }</pre>
 *
 * <p><b>Frameworks.</b> PyTorch's {@code GroupNorm(num_groups, num_channels)} (ε 1e-5) and ONNX's
 * {@code GroupNormalization} from opset 21 (ε 1e-5; per-channel {@code scale} and {@code bias}) are NCHW; Keras'
 * {@code GroupNormalization(groups)} (ε 0.001) is NHWC. ONNX's opset-18 form took one scale and bias per group:
 * repeat each over its C/G channels. PyTorch's {@code InstanceNorm2d} (ε 1e-5, no affine parameters by default: γ = 1,
 * β = 0, the defaults here) and ONNX's {@code InstanceNormalization} are {@link #instanceNorm}.
 *
 * <p>The statistics are those of {@link BatchNorm} (blocks summed around a center, merged in double), so images far
 * from zero keep their accuracy, and the map is its centered training map. Vector and scalar kernels give the same
 * bits, and so does every {@link Parallelism}. One limit at float's edge, as BatchNorm's: the map's scale is
 * {@code γ[c]/√(σ² + ε)} rounded to float, so where that falls below float's normal range (about 1.2e-38: a tiny γ
 * with σ near float's largest values) it keeps fewer bits, and below 2⁻¹⁵⁰ it is 0, that channel's y then β, even
 * where the exact y is a normal float (LayerNorm and RMSNorm multiply by γ after the scale).
 *
 * <p>Immutable and thread-safe; {@link #apply} allocates nothing after a thread's first call (its working arrays are
 * per thread; NCHW images of more than 2²² floats on a segment not over a {@code float[]} are staged through an array
 * of their own, each image); a call spread over threads allocates a few small objects per task and, where it cuts an
 * image into slices, their statistics (2·C doubles a slice). Arguments are checked before anything is written, and a
 * call that throws for an argument changes nothing. An error during the work may leave some images of {@code y}
 * written (the rule of {@link BatchNorm}): a task of a {@link Parallelism} that throws (an {@code OutOfMemoryError},
 * say) or its executor throwing an {@code Error}, an {@code OutOfMemoryError} staging a large image, or a shared arena
 * closed during a call on its segments. NaN and ±Inf
 * propagate into their group of their image.
 */
public final class GroupNorm {

    private final int channels;
    private final int groups;
    private final float epsilon;
    private final float[] gamma;
    private final float[] beta;
    private final GroupNormalization engine;

    GroupNorm(GroupNormBuilder b) {
        this.channels = b.channels;
        this.groups = b.groups;
        this.epsilon = b.epsilon;
        this.gamma = b.gamma != null ? b.gamma.clone() : LayerNorm.filled(b.channels, 1f);
        this.beta = b.beta != null ? b.beta.clone() : LayerNorm.filled(b.channels, 0f);
        this.engine = new GroupNormalization(channels, groups, epsilon, gamma, beta);
    }

    /**
     * A builder for tensors of {@code channels} channels in {@code groups} groups.
     *
     * @param channels C, in [1, 2²⁸]
     * @param groups   G, dividing C
     * @return a builder with ε = 1e-5, γ = 1 and β = 0
     * @throws IllegalArgumentException if {@code channels} is out of range or {@code groups} does not divide it
     */
    public static GroupNormBuilder builder(int channels, int groups) {
        return new GroupNormBuilder(Check.channels(channels), Check.groups(channels, groups));
    }

    /**
     * A builder for instance normalization: each channel of each image normalized on its own (G = C).
     *
     * @param channels C, in [1, 2²⁸]
     * @return a builder with ε = 1e-5 (PyTorch's {@code InstanceNorm2d} and ONNX's), γ = 1 and β = 0
     * @throws IllegalArgumentException if {@code channels} is out of range
     */
    public static GroupNormBuilder instanceNorm(int channels) {
        return builder(channels, channels);
    }

    /**
     * Normalizes {@code n} images of {@code channels} channels of {@code spatial} positions, on the calling thread.
     *
     * @param x       input, n·channels·spatial floats in {@code layout}
     * @param xOffset index of the first input float
     * @param y       output, the same shape; may be {@code x} at the same offset
     * @param yOffset index of the first output float
     * @param layout  NHWC (channels innermost) or NCHW (planes)
     * @param n       N, the images, ≥ 0
     * @param spatial H·W, the positions of an image, ≥ 0
     * @throws NullPointerException      if an array or {@code layout} is null
     * @throws IndexOutOfBoundsException if the tensor does not fit in {@code x} or {@code y}
     * @throws IllegalArgumentException  if {@code n} or {@code spatial} is negative, or x and y partially overlap
     */
    public void apply(float[] x, int xOffset, float[] y, int yOffset, TensorLayout layout, int n, int spatial) {
        apply(x, xOffset, y, yOffset, layout, n, spatial, Parallelism.sequential());
    }

    /**
     * As {@link #apply(float[], int, float[], int, TensorLayout, int, int)}, spread over {@code parallelism}'s
     * threads: whole images per task, or the slices of one large image; the same bits for any number of threads.
     *
     * @param x           input, n·channels·spatial floats in {@code layout}
     * @param xOffset     index of the first input float
     * @param y           output, the same shape; may be {@code x} at the same offset
     * @param yOffset     index of the first output float
     * @param layout      NHWC (channels innermost) or NCHW (planes)
     * @param n           N, the images, ≥ 0
     * @param spatial     H·W, the positions of an image, ≥ 0
     * @param parallelism the threads to use
     * @throws NullPointerException also if {@code parallelism} is null
     */
    public void apply(float[] x, int xOffset, float[] y, int yOffset, TensorLayout layout, int n, int spatial,
                      Parallelism parallelism) {
        Check.layout(layout);
        Check.notNull(parallelism, "parallelism");
        Check.tensorInOut(x, xOffset, y, yOffset, n, channels, spatial);
        engine.apply(x, xOffset, y, yOffset, layout, n, spatial, parallelism);
    }

    /**
     * As {@link #apply(float[], int, float[], int, TensorLayout, int, int)}, for a tensor of {@code shape}, as
     * {@link BatchNorm}'s shaped overloads take it.
     *
     * @param x       input, in {@code shape}
     * @param xOffset index of the first input float
     * @param y       output, the same shape; may be {@code x} at the same offset
     * @param yOffset index of the first output float
     * @param shape   the tensor's layout and dimensions; its channels must be this layer's
     * @throws NullPointerException     also if {@code shape} is null
     * @throws IllegalArgumentException also if {@code shape} has other channels
     */
    public void apply(float[] x, int xOffset, float[] y, int yOffset, TensorShape shape) {
        apply(x, xOffset, y, yOffset, shape, Parallelism.sequential());
    }

    /**
     * As {@link #apply(float[], int, float[], int, TensorShape)}, spread over {@code parallelism}'s threads; the same
     * bits for any number of threads.
     *
     * @param x           input, in {@code shape}
     * @param xOffset     index of the first input float
     * @param y           output, the same shape; may be {@code x} at the same offset
     * @param yOffset     index of the first output float
     * @param shape       the tensor's layout and dimensions; its channels must be this layer's
     * @param parallelism the threads to use
     * @throws NullPointerException      if an array, {@code shape} or {@code parallelism} is null
     * @throws IndexOutOfBoundsException if the tensor does not fit in {@code x} or {@code y}
     * @throws IllegalArgumentException  as the form without a {@link Parallelism}
     */
    public void apply(float[] x, int xOffset, float[] y, int yOffset, TensorShape shape, Parallelism parallelism) {
        Check.notNull(parallelism, "parallelism");
        Check.tensorInOut(x, xOffset, y, yOffset, shape, channels);
        engine.apply(x, xOffset, y, yOffset, shape.layout(), shape.n(), shape.spatial(), parallelism);
    }

    /**
     * As {@link #apply(float[], int, float[], int, TensorLayout, int, int)} for NHWC tensors on memory segments:
     * {@code n} images of {@code spatial} rows of {@code channels} float32 values, in the platform's byte order (native
     * memory, a mapped file, or a heap segment over a {@code float[]}, {@code int[]}, {@code long[]} or
     * {@code double[]}; one over a {@code byte[]} is not aligned to 4 bytes), with BatchNorm's segment checks. A
     * segment over a {@code float[]} is read as that array; any other is staged through per-thread heap buffers a
     * slice at a time.
     * Threads take whole images, as in the array overload. The same bits as the array overload on the same values.
     *
     * @param x           input, at least n·spatial·channels floats, NHWC
     * @param y           output, the same; may be {@code x} (the same bytes)
     * @param n           N, the images, ≥ 0
     * @param spatial     H·W, ≥ 0
     * @param parallelism the threads to use (a segment confined to one thread keeps the call on it)
     * @throws NullPointerException      if a segment or {@code parallelism} is null
     * @throws IllegalStateException     if a segment's arena is closed
     * @throws WrongThreadException      if a segment is confined to another thread
     * @throws IndexOutOfBoundsException if the tensor does not fit in a segment
     * @throws IllegalArgumentException  if {@code n} or {@code spatial} is negative, a segment is not aligned to 4
     *                                   bytes, {@code y} is read-only, x and y partially overlap, or C exceeds 16384
     */
    public void apply(MemorySegment x, MemorySegment y, long n, int spatial, Parallelism parallelism) {
        Check.notNull(x, "x");
        Check.notNull(y, "y");
        Check.notNull(parallelism, "parallelism");
        if (n < 0) {
            throw new IllegalArgumentException("n must be >= 0, got " + n);
        }
        Check.nonNegative(spatial, "spatial");
        long rows;
        try {
            rows = Math.multiplyExact(n, spatial);
        } catch (ArithmeticException e) {
            throw new IndexOutOfBoundsException("n " + n + " × spatial " + spatial + " rows overflow a long");
        }
        Check.segmentsInOut(x, y, rows, channels);
        engine.apply(x, y, n, spatial, parallelism);
    }

    /**
     * As {@link #apply(MemorySegment, MemorySegment, long, int, Parallelism)}, on the calling thread.
     *
     * @param x       input, at least n·spatial·channels floats, NHWC
     * @param y       output, the same; may be {@code x} (the same bytes)
     * @param n       N, the images, ≥ 0
     * @param spatial H·W, ≥ 0
     * @throws NullPointerException      if a segment is null
     * @throws IndexOutOfBoundsException if the images do not fit in {@code x} or {@code y}
     * @throws IllegalArgumentException  as {@link #apply(MemorySegment, MemorySegment, long, int, Parallelism)}
     * @throws IllegalStateException     if an arena is closed
     * @throws WrongThreadException      if a segment is confined to another thread
     */
    public void apply(MemorySegment x, MemorySegment y, long n, int spatial) {
        apply(x, y, n, spatial, Parallelism.sequential());
    }

    /**
     * As {@link #apply(float[], int, float[], int, TensorLayout, int, int)} on memory segments, in either layout:
     * {@code n} images of {@code channels} channels of {@code spatial} positions, float32 in the platform's byte order,
     * with BatchNorm's segment checks. NHWC is {@link #apply(MemorySegment, MemorySegment, long, int, Parallelism)}. In
     * NCHW a segment over a {@code float[]} is read as that array; any other is staged an image at a time through a
     * per-thread heap buffer of one image (allocated on a thread's first call, and again only for a larger image; an
     * image of more than 2²² floats gets an array of its own, as a buffer that large kept by every thread
     * would outlive the call), so an NCHW image on such a segment must fit in an array. The same bits as the array
     * overload on the same values.
     *
     * @param x           input, at least n·channels·spatial floats in {@code layout}
     * @param y           output, the same; may be {@code x} (the same bytes)
     * @param layout      NHWC (channels innermost) or NCHW (planes)
     * @param n           N, the images, ≥ 0
     * @param spatial     H·W, ≥ 0
     * @param parallelism the threads to use (a segment confined to one thread keeps the call on it)
     * @throws NullPointerException      if a segment, {@code layout} or {@code parallelism} is null
     * @throws IllegalStateException     if a segment's arena is closed
     * @throws WrongThreadException      if a segment is confined to another thread
     * @throws IndexOutOfBoundsException if the tensor does not fit in a segment
     * @throws IllegalArgumentException  if {@code n} or {@code spatial} is negative, a segment is not aligned to 4
     *                                   bytes, {@code y} is read-only, x and y partially overlap, in NHWC if C exceeds
     *                                   16384, and in NCHW if n > 0 and channels·spatial exceeds 2³¹ − 9 (an
     *                                   array's limit)
     */
    public void apply(MemorySegment x, MemorySegment y, TensorLayout layout, long n, int spatial,
                      Parallelism parallelism) {
        Check.layout(layout);
        if (layout == TensorLayout.NHWC) {
            apply(x, y, n, spatial, parallelism);
            return;
        }
        Check.notNull(x, "x");
        Check.notNull(y, "y");
        Check.notNull(parallelism, "parallelism");
        if (n < 0) {
            throw new IllegalArgumentException("n must be >= 0, got " + n);
        }
        Check.nonNegative(spatial, "spatial");
        long image = (long) channels * spatial;
        if (n > 0 && image > MAX_STAGED_IMAGE) {
            throw new IllegalArgumentException("an NCHW image on a segment is staged through a heap array: channels "
                    + channels + " × spatial " + spatial + " must be <= " + MAX_STAGED_IMAGE + " floats");
        }
        Check.imageSegmentsInOut(x, y, n, (int) Math.min(image, MAX_STAGED_IMAGE));
        if (n == 0) {
            return; // no image to stage, whatever its size: as the array and NHWC overloads
        }
        engine.applyNchw(x, y, n, spatial, parallelism);
    }

    /**
     * As {@link #apply(MemorySegment, MemorySegment, TensorLayout, long, int, Parallelism)}, on the calling thread.
     *
     * @param x       input, at least n·channels·spatial floats in {@code layout}
     * @param y       output, the same; may be {@code x} (the same bytes)
     * @param layout  NHWC (channels innermost) or NCHW (planes)
     * @param n       N, the images, ≥ 0
     * @param spatial H·W, ≥ 0
     * @throws NullPointerException      if a segment or {@code layout} is null
     * @throws IndexOutOfBoundsException if the images do not fit in {@code x} or {@code y}
     * @throws IllegalArgumentException  as {@link #apply(MemorySegment, MemorySegment, TensorLayout, long, int,
     *                                   Parallelism)}
     * @throws IllegalStateException     if an arena is closed
     * @throws WrongThreadException      if a segment is confined to another thread
     */
    public void apply(MemorySegment x, MemorySegment y, TensorLayout layout, long n, int spatial) {
        apply(x, y, layout, n, spatial, Parallelism.sequential());
    }

    /** The most floats of an NCHW image on a segment, which is staged through one array: the JDK's array limit. */
    static final int MAX_STAGED_IMAGE = Integer.MAX_VALUE - 8;

    /**
     * Returns C.
     *
     * @return the channels
     */
    public int channels() {
        return channels;
    }

    /**
     * Returns G.
     *
     * @return the groups, each of {@code channels/groups} consecutive channels
     */
    public int groups() {
        return groups;
    }

    /**
     * Returns ε, added to each group's variance inside the square root.
     *
     * @return ε
     */
    public float epsilon() {
        return epsilon;
    }

    /**
     * Returns a copy of γ.
     *
     * @return γ, one per channel
     */
    public float[] gamma() {
        return gamma.clone();
    }

    /**
     * Returns a copy of β.
     *
     * @return β, one per channel
     */
    public float[] beta() {
        return beta.clone();
    }

    @Override
    public String toString() {
        return "GroupNorm[channels=" + channels + ", groups=" + groups + ", epsilon=" + epsilon + "]";
    }
}
