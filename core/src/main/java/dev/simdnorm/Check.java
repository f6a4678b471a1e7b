package dev.simdnorm;

import java.lang.foreign.MemorySegment;

/** Argument checks shared by the public API; each message names the argument. */
final class Check {

    private Check() {
    }

    static <T> T notNull(T value, String name) {
        if (value == null) {
            throw new NullPointerException(name + " must not be null");
        }
        return value;
    }

    /**
     * The most channels a layer or tensor may have: per-channel arrays are laid out over a period of at most
     * {@code channels} floats (or 1024 for fewer channels), which must fit in an array.
     */
    static final int MAX_CHANNELS = 1 << 28;

    static int channels(int channels) {
        return channels(channels, "channels");
    }

    /** Channels given as {@code name} (an array's length, say): at least 1 and at most {@link #MAX_CHANNELS}. */
    static int channels(int channels, String name) {
        if (channels <= 0 || channels > MAX_CHANNELS) {
            String what = name.equals("channels") ? name : name + " (the channels)";
            throw new IllegalArgumentException(what + " must be in [1, " + MAX_CHANNELS + "], got " + channels);
        }
        return channels;
    }

    /** x and y of {@code rows} NHWC rows each: in range, and the same range or disjoint. */
    static void rowsInOut(float[] x, int xOffset, float[] y, int yOffset, int rows, int channels) {
        rowsInOut(x, xOffset, y, yOffset, rows, channels, "channels");
    }

    /** x and y of {@code rows} rows of {@code size} floats, normalized along the row: as {@link #rowsInOut}. */
    static void rowsAlongInOut(float[] x, int xOffset, float[] y, int yOffset, int rows, int size) {
        rowsInOut(x, xOffset, y, yOffset, rows, size, "size");
    }

    private static void rowsInOut(float[] x, int xOffset, float[] y, int yOffset, int rows, int width,
                                  String widthName) {
        range(x, "x", xOffset, rows, width, widthName);
        range(y, "y", yOffset, rows, width, widthName);
        noPartialOverlap(x, xOffset, y, yOffset, rows * width);
    }

    /**
     * The residual form: x and residual in, y (and h, if not null) out, each of {@code rows} rows of {@code size}
     * floats, in range; an output is an input at the same offset or disjoint from it, and y and h are disjoint.
     */
    static void residualInOut(float[] x, int xOffset, float[] residual, int residualOffset, float[] y, int yOffset,
                              float[] h, int hOffset, int rows, int size) {
        range(x, "x", xOffset, rows, size, "size");
        range(residual, "residual", residualOffset, rows, size, "size");
        range(y, "y", yOffset, rows, size, "size");
        int length = rows * size;
        noPartialOverlap(x, "x", xOffset, y, "y", yOffset, length);
        noPartialOverlap(residual, "residual", residualOffset, y, "y", yOffset, length);
        if (h != null) {
            range(h, "h", hOffset, rows, size, "size");
            noPartialOverlap(x, "x", xOffset, h, "h", hOffset, length);
            noPartialOverlap(residual, "residual", residualOffset, h, "h", hOffset, length);
            if (h == y && length > 0 && Math.abs((long) hOffset - yOffset) < length) {
                throw new IllegalArgumentException("h and y must not overlap (hOffset " + hOffset + ", yOffset "
                        + yOffset + ", length " + length + ")");
            }
        }
    }

    /** The floats normalized together, {@code size}: at least 1, and at most the JDK's largest array (γ, β). */
    static int size(int size) {
        if (size <= 0 || size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("size must be in [1, " + (Integer.MAX_VALUE - 8)
                    + "] (γ and β are arrays of size floats), got " + size);
        }
        return size;
    }

    /**
     * Per-row results of a call: arrays of at least {@code rows} floats, distinct from each other and from x and y
     * (the call reads x after it writes them).
     */
    static void perRowOut(float[] a, String aName, float[] b, String bName, int rows, float[] x, float[] y) {
        perRowArray(a, aName, rows, x, y);
        perRowArray(b, bName, rows, x, y);
        if (a == b) {
            throw new IllegalArgumentException(aName + " and " + bName + " must be distinct arrays");
        }
    }

    private static void perRowArray(float[] out, String name, int rows, float[] x, float[] y) {
        notNull(out, name);
        if (out.length < rows) {
            throw new IllegalArgumentException(name + ".length must be >= rows " + rows + ", got " + out.length);
        }
        if (out == x || out == y) {
            throw new IllegalArgumentException(name + " must not be x or y");
        }
    }

    /**
     * x and y holding a tensor of {@code shape}, whose channels must be {@code channels}: in range, and the same range
     * or disjoint.
     *
     * @return the floats of each
     */
    static int tensorInOut(float[] x, int xOffset, float[] y, int yOffset, TensorShape shape, int channels) {
        shapeChannels(shape, channels);
        return tensorInOut(x, xOffset, y, yOffset, shape.n(), channels, shape.spatial());
    }

    /** x and y holding n images of {@code channels·spatial} floats: in range, and the same range or disjoint. */
    static int tensorInOut(float[] x, int xOffset, float[] y, int yOffset, int n, int channels, int spatial) {
        int floats = tensorRange(x, "x", xOffset, n, channels, spatial);
        tensorRange(y, "y", yOffset, n, channels, spatial);
        noPartialOverlap(x, xOffset, y, yOffset, floats);
        return floats;
    }

    /**
     * {@code array} holding a tensor of {@code shape} from {@code offset}, whose channels must be {@code channels}.
     *
     * @return the floats of the tensor
     */
    static int tensorRange(float[] array, String name, int offset, TensorShape shape, int channels) {
        shapeChannels(shape, channels);
        return tensorRange(array, name, offset, shape.n(), channels, shape.spatial());
    }

    /** A shape, not null, of {@code channels} channels. */
    private static void shapeChannels(TensorShape shape, int channels) {
        notNull(shape, "shape");
        if (shape.channels() != channels) {
            throw new IllegalArgumentException("shape " + shape + " has " + shape.channels() + " channels, expected "
                    + channels);
        }
    }

    /** Segments x and y of {@code rows} NHWC rows each: usable, y writable, the same bytes or disjoint. */
    static void segmentsInOut(MemorySegment x, MemorySegment y, long rows, int channels) {
        segment(x, "x", rows, channels);
        segment(y, "y", rows, channels);
        writable(y, "y");
        noPartialOverlap(x, y, rows * channels * Float.BYTES);
    }

    /**
     * γ/√(variance + ε) must be a finite float for every channel whose variance is finite: a scale that overflows
     * would turn finite deviations into ±∞ and a zero one into NaN.
     */
    static void scales(float[] gamma, float[] variance, float epsilon) {
        for (int c = 0; c < gamma.length; c++) {
            scale(gamma[c], variance[c], epsilon, c, "variance");
        }
    }

    /** As {@link #scales(float[], float[], float)}, for variances in double (a batch's). */
    static void scales(float[] gamma, double[] variance, float epsilon) {
        for (int c = 0; c < gamma.length; c++) {
            scale(gamma[c], variance[c], epsilon, c, "the batch variance");
        }
    }

    /** Each finite mean must round to a finite float: a map's center is a float (non-finite means pass). */
    static void floatMeans(double[] mean) {
        for (int c = 0; c < mean.length; c++) {
            if (Double.isFinite(mean[c]) && Float.isInfinite((float) mean[c])) {
                throw new IllegalArgumentException("mean[" + c + "] = " + mean[c]
                        + " is beyond float's range: a map's center is a float");
            }
        }
    }

    /**
     * |γ|/√ε must be a finite float: the largest scale any batch can give γ in training (a constant channel has
     * variance 0).
     */
    static float[] trainableGamma(float[] gamma, float epsilon) {
        return gammaOverEpsilon(gamma, epsilon, "a batch variance of 0 (a constant channel)");
    }

    /** As {@link #trainableGamma}, for a variance of 0 described as {@code zeroVariance} in the message. */
    static float[] gammaOverEpsilon(float[] gamma, float epsilon, String zeroVariance) {
        for (int c = 0; c < gamma.length; c++) {
            scale(gamma[c], 0.0, epsilon, c, zeroVariance);
        }
        return gamma;
    }

    /** Groups of a GroupNorm: at least 1, dividing the channels. */
    static int groups(int channels, int groups) {
        if (groups <= 0 || channels % groups != 0) {
            throw new IllegalArgumentException("groups must be > 0 and divide channels " + channels + ", got "
                    + groups);
        }
        return groups;
    }

    private static void scale(float gamma, double variance, float epsilon, int c, String varianceName) {
        double scale = gamma / Math.sqrt(variance + epsilon);
        if (Double.isFinite(variance) && !Float.isFinite((float) scale)) {
            throw new IllegalArgumentException("gamma[" + c + "] = " + gamma + " over sqrt(" + varianceName + " "
                    + variance + " + epsilon " + epsilon + ") = " + scale + " overflows float: the output would be "
                    + "infinite or NaN where it is finite");
        }
    }

    /**
     * Checks that {@code array[offset, offset + rows·channels)} lies inside the array. The product is taken in long,
     * so an int overflow is reported as out of range, never wrapped.
     */
    static void range(float[] array, String name, int offset, int rows, int channels) {
        range(array, name, offset, rows, channels, "channels");
    }

    /** As {@link #range(float[], String, int, int, int)}, for rows of {@code width} floats called {@code widthName}. */
    static void range(float[] array, String name, int offset, int rows, int width, String widthName) {
        notNull(array, name);
        if (offset < 0) {
            throw new IndexOutOfBoundsException(name + "Offset must be >= 0, got " + offset);
        }
        if (rows < 0) {
            throw new IllegalArgumentException("rows must be >= 0, got " + rows);
        }
        long end = offset + (long) rows * width;
        if (end > array.length) {
            throw new IndexOutOfBoundsException(name + ": offset " + offset + " + rows " + rows + " × " + widthName
                    + " " + width + " = " + end + " exceeds " + name + ".length " + array.length);
        }
    }

    /**
     * Checks a float32 tensor segment: alive, readable by this thread, aligned to 4 bytes, holding
     * {@code rows·channels} floats; the byte count is checked without overflow.
     */
    static void segment(MemorySegment segment, String name, long rows, int channels) {
        segment(segment, name, rows, channels, "channels", MAX_SEGMENT_CHANNELS);
    }

    /**
     * Segments x and y of {@code rows} rows of {@code size} floats each: usable, y writable, the same bytes or
     * disjoint.
     */
    static void rowSegmentsInOut(MemorySegment x, MemorySegment y, long rows, int size) {
        segmentsInOut(x, y, rows, size, "size");
    }

    /**
     * Segments x and y of {@code n} NCHW images of {@code image} floats each: usable, y writable, the same bytes or
     * disjoint.
     */
    static void imageSegmentsInOut(MemorySegment x, MemorySegment y, long n, int image) {
        segmentsInOut(x, y, n, image, "channels × spatial");
    }

    /** x and y of {@code rows} rows of {@code width} floats (any width): usable, y writable, same bytes or disjoint. */
    private static void segmentsInOut(MemorySegment x, MemorySegment y, long rows, int width, String widthName) {
        segment(x, "x", rows, width, widthName, Integer.MAX_VALUE);
        segment(y, "y", rows, width, widthName, Integer.MAX_VALUE);
        writable(y, "y");
        noPartialOverlap(x, y, rows * width * Float.BYTES);
    }

    /**
     * As {@link #segment(MemorySegment, String, long, int)}, for rows of {@code width} floats called
     * {@code widthName}, at most {@code maxWidth} of them.
     */
    private static void segment(MemorySegment segment, String name, long rows, int width, String widthName,
                                int maxWidth) {
        notNull(segment, name);
        if (!segment.scope().isAlive()) {
            throw new IllegalStateException(name + ": its arena is already closed");
        }
        if (!segment.isAccessibleBy(Thread.currentThread())) {
            throw new WrongThreadException(name + " is confined to another thread");
        }
        if (segment.maxByteAlignment() < Float.BYTES) {
            throw new IllegalArgumentException(name + " must be aligned to 4 bytes (a float32), its address "
                    + segment.address() + " is aligned to " + segment.maxByteAlignment()
                    + (segment.isNative() ? "" : " (a segment over a byte[], short[] or char[] never is: wrap a "
                    + "float[], or copy into a native segment)"));
        }
        if (rows < 0) {
            throw new IllegalArgumentException("rows must be >= 0, got " + rows);
        }
        if (width > maxWidth) {
            throw new IllegalArgumentException(widthName + " must be <= " + maxWidth
                    + " for a MemorySegment (its slices are staged through heap arrays), got " + width);
        }
        long floats = segment.byteSize() / Float.BYTES;
        if (width > 0 && rows > floats / width) { // rows of no floats (an NCHW image of spatial 0) fit any segment
            throw new IndexOutOfBoundsException(name + ": rows " + rows + " × " + widthName + " " + width
                    + " floats exceed " + name + ".byteSize() " + segment.byteSize() + " (" + floats + " floats)");
        }
    }

    /**
     * Channels of a segment. Its statistics stage a slice at a time through a heap array, and a slice holds at least
     * 256 rows (one block): 2¹⁴ channels keep that buffer at 16 MiB per thread, and one row fits in the normalize
     * chunk.
     */
    static final int MAX_SEGMENT_CHANNELS = SegmentStaging.CHUNK_FLOATS;

    static void writable(MemorySegment segment, String name) {
        if (segment.isReadOnly()) {
            throw new IllegalArgumentException(name + " is read-only");
        }
    }

    /**
     * The residual form on segments: x and residual in, y (and h, if not null) out, each {@code rows} rows of
     * {@code size} floats; an output is an input's bytes or disjoint from it, and y and h are disjoint.
     */
    static void residualSegmentsInOut(MemorySegment x, MemorySegment residual, MemorySegment y, MemorySegment h,
                                      long rows, int size) {
        segment(x, "x", rows, size, "size", Integer.MAX_VALUE);
        segment(residual, "residual", rows, size, "size", Integer.MAX_VALUE);
        segment(y, "y", rows, size, "size", Integer.MAX_VALUE);
        writable(y, "y");
        long bytes = rows * size * Float.BYTES;
        noPartialOverlap(x, "x", y, "y", bytes);
        noPartialOverlap(residual, "residual", y, "y", bytes);
        if (h != null) {
            segment(h, "h", rows, size, "size", Integer.MAX_VALUE);
            writable(h, "h");
            noPartialOverlap(x, "x", h, "h", bytes);
            noPartialOverlap(residual, "residual", h, "h", bytes);
            if (overlapGap(y, h, bytes) >= 0) {
                throw new IllegalArgumentException("h and y must not overlap");
            }
        }
    }

    /**
     * As for arrays: the same bytes (in place) or disjoint ones. Allocates nothing for native segments, nor for
     * segments over a {@code float[]} where C2 inlines {@code heapBase} ({@link SegmentStaging#array}).
     */
    static void noPartialOverlap(MemorySegment x, MemorySegment y, long bytes) {
        noPartialOverlap(x, "x", y, "y", bytes);
    }

    /** {@link #noPartialOverlap(MemorySegment, MemorySegment, long)} for an input and an output of other names. */
    static void noPartialOverlap(MemorySegment x, String xName, MemorySegment y, String yName, long bytes) {
        if (overlapGap(x, y, bytes) > 0) {
            throw new IllegalArgumentException(xName + " and " + yName + " overlap without being the same bytes; "
                    + "pass the same segment range for in place");
        }
    }

    /**
     * How far apart the starts of the first {@code bytes} of two segments are where those ranges share a byte (0: the
     * same start), or -1 where they share none. Ranges compared by address, so that native segments and segments over
     * a {@code float[]} allocate nothing (the slices and {@code Optional} of {@code asOverlappingSlice} were seen
     * allocating 80 B a call where C2 did not remove them); a read-only heap view, which hides its array, asks the
     * segments themselves.
     */
    private static long overlapGap(MemorySegment x, MemorySegment y, long bytes) {
        if (bytes == 0 || x.isNative() != y.isNative()) {
            return -1; // native and heap memory never overlap
        }
        // Segments over float[]s without heapBase's Optional (SegmentStaging.array): nothing allocated per call.
        float[] xFloats = SegmentStaging.array(x);
        float[] yFloats = SegmentStaging.array(y);
        Object xBase = xFloats != null ? xFloats : x.isNative() ? null : x.heapBase().orElse(null);
        Object yBase = yFloats != null ? yFloats : y.isNative() ? null : y.heapBase().orElse(null);
        if (x.isNative() || xBase != null && yBase != null) {
            // The same address space (or the same array, where the address is the byte offset): compare ranges.
            long gap = Math.abs(x.address() - y.address());
            return xBase == yBase && gap < bytes ? gap : -1;
        }
        MemorySegment xs = x.asSlice(0, bytes);
        MemorySegment ys = y.asSlice(0, bytes);
        return xs.asOverlappingSlice(ys).isPresent() ? Math.abs(xs.address() - ys.address()) : -1;
    }

    static void positiveRows(long rows) {
        if (rows <= 0) {
            throw new IllegalArgumentException("rows must be > 0 (statistics need values), got " + rows);
        }
    }

    static void positiveRows(int rows) {
        if (rows <= 0) {
            throw new IllegalArgumentException("rows must be > 0 (statistics need values), got " + rows);
        }
    }

    /** x and y may be the same range (in place) or disjoint; a partial overlap would read values already written. */
    static void noPartialOverlap(float[] x, int xOffset, float[] y, int yOffset, int length) {
        noPartialOverlap(x, "x", xOffset, y, "y", yOffset, length);
    }

    /** As {@link #noPartialOverlap(float[], int, float[], int, int)}, for an input and an output of other names. */
    static void noPartialOverlap(float[] in, String inName, int inOffset, float[] out, String outName, int outOffset,
                                 int length) {
        if (in == out && inOffset != outOffset && length > 0) {
            long gap = Math.abs((long) inOffset - outOffset);
            if (gap < length) {
                throw new IllegalArgumentException(inName + " and " + outName
                        + " overlap without being the same range (" + inName + "Offset " + inOffset + ", " + outName
                        + "Offset " + outOffset + ", length " + length + "); use the same offset for in place");
            }
        }
    }

    /** {@code values} of length {@code channels}. */
    static float[] length(float[] values, String name, int channels) {
        return length(values, name, channels, "channels");
    }

    private static float[] length(float[] values, String name, int length, String lengthName) {
        notNull(values, name);
        if (values.length != length) {
            throw new IllegalArgumentException(name + ".length must be " + length + " (" + lengthName + "), got "
                    + values.length);
        }
        return values;
    }

    /** A copy of {@code values}, of length {@code size} (per position of a row). */
    static float[] copyOfSize(float[] values, String name, int size) {
        return length(values, name, size, "size").clone();
    }

    static float[] copyOfLength(float[] values, String name, int channels) {
        return length(values, name, channels).clone();
    }

    /**
     * Two distinct arrays of C floats for dγ and dβ, neither x, dy nor dx: the pass writes them before it reads x and
     * dy and writes dx.
     */
    static void gradientsOut(float[] dGamma, float[] dBeta, int channels, float[] x, float[] dy, float[] dx) {
        length(dGamma, "dGamma", channels);
        length(dBeta, "dBeta", channels);
        if (dGamma == dBeta) {
            throw new IllegalArgumentException("dGamma and dBeta must be distinct arrays");
        }
        if (dGamma == x || dGamma == dy || dGamma == dx || dBeta == x || dBeta == dy || dBeta == dx) {
            throw new IllegalArgumentException("dGamma and dBeta must not be x, dy or dx");
        }
    }

    /** {@code values} of length {@code channels}, for results written by a call. */
    static double[] length(double[] values, String name, int channels) {
        notNull(values, name);
        if (values.length != channels) {
            throw new IllegalArgumentException(name + ".length must be " + channels + " (channels), got "
                    + values.length);
        }
        return values;
    }

    static float[] finite(float[] values, String name) {
        for (int c = 0; c < values.length; c++) {
            if (!Float.isFinite(values[c])) {
                throw new IllegalArgumentException(name + "[" + c + "] must be finite, got " + values[c]);
            }
        }
        return values;
    }

    static float[] nonNegativeFinite(float[] values, String name) {
        finite(values, name);
        for (int c = 0; c < values.length; c++) {
            if (values[c] < 0f) {
                throw new IllegalArgumentException(name + "[" + c + "] must be >= 0 (a variance), got " + values[c]);
            }
        }
        return values;
    }

    static float epsilon(float epsilon) {
        if (!(epsilon > 0f) || !Float.isFinite(epsilon)) {
            throw new IllegalArgumentException("epsilon must be finite and > 0, got " + epsilon);
        }
        return epsilon;
    }

    static float momentum(float momentum) {
        if (!(momentum >= 0f && momentum <= 1f)) {
            throw new IllegalArgumentException("momentum must be in [0, 1], got " + momentum);
        }
        return momentum;
    }

    // ------------------------------------------------------------ tensors given by layout, n and spatial (H·W)

    static TensorLayout layout(TensorLayout layout) {
        return notNull(layout, "layout");
    }

    /** Statistics need at least one value per channel: n ≥ 1 and spatial ≥ 1. */
    static void positiveForStatistics(TensorShape shape) {
        positiveForStatistics(shape.n(), "n");
        positiveForStatistics(shape.spatial(), "spatial");
    }

    /**
     * Checks that {@code array[offset, offset + n·channels·spatial)} lies inside the array and that n and spatial are
     * not negative. The product is taken exactly, so an overflow is reported as out of range, never wrapped.
     *
     * @return the number of floats, n·channels·spatial
     */
    static int tensorRange(float[] array, String name, int offset, int n, int channels, int spatial) {
        notNull(array, name);
        if (offset < 0) {
            throw new IndexOutOfBoundsException(name + "Offset must be >= 0, got " + offset);
        }
        nonNegative(n, "n");
        nonNegative(spatial, "spatial");
        long end;
        try {
            end = Math.addExact(offset, Math.multiplyExact((long) n * channels, spatial));
        } catch (ArithmeticException e) {
            throw new IndexOutOfBoundsException(tensorSum(name, offset, n, channels, spatial) + " overflows; it exceeds "
                    + name + ".length " + array.length);
        }
        if (end > array.length) {
            throw new IndexOutOfBoundsException(tensorSum(name, offset, n, channels, spatial) + " = " + end
                    + " exceeds " + name + ".length " + array.length);
        }
        return (int) (end - offset);
    }

    private static String tensorSum(String name, int offset, int n, int channels, int spatial) {
        return name + ": offset " + offset + " + n " + n + " × channels " + channels + " × spatial " + spatial;
    }

    static void nonNegative(int value, String name) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must be >= 0, got " + value);
        }
    }

    /** Statistics need at least one value per channel: n ≥ 1 and spatial ≥ 1. */
    static void positiveForStatistics(int value, String name) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be > 0 for statistics, got " + value);
        }
    }
}
