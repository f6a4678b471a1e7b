package dev.simdnorm;

import dev.simdnorm.internal.MomentMerge;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * Immutable per-channel mean and variance of a float tensor, reduced over N, H and W: NHWC by default, NCHW where a
 * {@link TensorShape} says so.
 *
 * <p><b>Accuracy.</b> One pass over memory: blocks of rows are summed in float around a center close to the block's
 * mean (the mean so far, checked, else the block's own mean from a second pass in cache), and the blocks are folded
 * with Chan, Golub and LeVeque's formula in double (docs/numerics.md). The mean and M2 are kept in double, so the mean
 * carries its own rounding error: {@link ChannelAffine#normalizing(Moments, float[], float[],
 * float)} uses it to center data at {@code (x − μ_hi) − μ_lo}. On data of mean 1e4 and standard deviation 1 the
 * variance is within about 1e-7 relatively of a double two-pass computation. {@link Precision#DOUBLE} sums the
 * deviations in double instead: the variance to about 1e-13 relatively of the exact one for any finite data, the
 * mean to about 1e-13·(|μ| + σ).
 *
 * <p><b>Special values.</b> The variance is never negative; a constant channel has variance exactly 0. A NaN or ±Inf
 * in a channel's data makes that channel's mean and variance NaN or infinite; other channels are unaffected. Which of
 * the two is not specified: a +Inf among finite values gives a mean of +Inf or NaN depending on the blocks it falls
 * in and the precision (a block's deviations from an infinite center, or two infinite means merged, are ∞ − ∞).
 *
 * <p>Instances are immutable and safe to share between threads.
 */
public final class Moments {

    final long count;
    final double[] mean;
    final double[] m2;

    private Moments(long count, double[] mean, double[] m2) {
        this.count = count;
        this.mean = mean;
        this.m2 = m2;
    }

    /** Moments over arrays the caller hands over and never touches again. */
    static Moments wrap(long count, double[] mean, double[] m2) {
        return new Moments(count, mean, m2);
    }

    /** The means in double, not copied: for the maps built from these moments, which only read them. */
    double[] meanArray() {
        return mean;
    }

    /**
     * Computes the moments of {@code rows} rows of {@code channels} floats starting at {@code x[offset]}.
     *
     * @param x        the tensor, NHWC, channels innermost
     * @param offset   index of the first float
     * @param rows     N·H·W, at least 1
     * @param channels C, at least 1
     * @return the per-channel moments over the rows
     * @throws NullPointerException      if {@code x} is null
     * @throws IllegalArgumentException  if {@code rows} or {@code channels} is not positive
     * @throws IndexOutOfBoundsException if the rows do not fit in {@code x} from {@code offset}
     */
    public static Moments of(float[] x, int offset, int rows, int channels) {
        return of(x, offset, rows, channels, Parallelism.sequential());
    }

    /**
     * Computes the moments of {@code rows} rows of {@code channels} floats starting at {@code x[offset]}, spreading
     * the work over threads. The result is the same, bit for bit, for every parallelism, and equals
     * {@link #of(float[], int, int, int)}: the rows are cut into fixed slices whose partial moments are merged in a
     * fixed tree, whatever the threads ({@link Parallelism}).
     *
     * @param x           the tensor, NHWC, channels innermost
     * @param offset      index of the first float
     * @param rows        N·H·W, at least 1
     * @param channels    C, at least 1
     * @param parallelism where to run the work
     * @return the per-channel moments over the rows
     * @throws NullPointerException      if {@code x} or {@code parallelism} is null
     * @throws IllegalArgumentException  if {@code rows} or {@code channels} is not positive
     * @throws IndexOutOfBoundsException if the rows do not fit in {@code x} from {@code offset}
     */
    public static Moments of(float[] x, int offset, int rows, int channels, Parallelism parallelism) {
        return of(x, offset, rows, channels, Precision.FLOAT, parallelism);
    }

    /**
     * {@link #of(float[], int, int, int)} with the deviations summed in the given precision: {@link Precision#DOUBLE}
     * for statistics to store and reuse.
     *
     * @param x         the tensor, NHWC, channels innermost
     * @param offset    index of the first float
     * @param rows      N·H·W, at least 1
     * @param channels  C, at least 1
     * @param precision the arithmetic of the sums
     * @return the per-channel moments over the rows
     * @throws NullPointerException      if {@code x} or {@code precision} is null
     * @throws IllegalArgumentException  if {@code rows} or {@code channels} is not positive
     * @throws IndexOutOfBoundsException if the rows do not fit in {@code x} from {@code offset}
     */
    public static Moments of(float[] x, int offset, int rows, int channels, Precision precision) {
        return of(x, offset, rows, channels, precision, Parallelism.sequential());
    }

    /**
     * {@link #of(float[], int, int, int, Parallelism)} with the deviations summed in the given precision; the same
     * bits for every parallelism.
     *
     * @param x           the tensor, NHWC, channels innermost
     * @param offset      index of the first float
     * @param rows        N·H·W, at least 1
     * @param channels    C, at least 1
     * @param precision   the arithmetic of the sums
     * @param parallelism where to run the work
     * @return the per-channel moments over the rows
     * @throws NullPointerException      if {@code x}, {@code precision} or {@code parallelism} is null
     * @throws IllegalArgumentException  if {@code rows} or {@code channels} is not positive
     * @throws IndexOutOfBoundsException if the rows do not fit in {@code x} from {@code offset}
     */
    public static Moments of(float[] x, int offset, int rows, int channels, Precision precision,
                             Parallelism parallelism) {
        Check.notNull(x, "x");
        Check.channels(channels);
        Check.range(x, "x", offset, rows, channels);
        Check.positiveRows(rows);
        Check.notNull(precision, "precision");
        Check.notNull(parallelism, "parallelism");
        double[] mean = new double[channels];
        double[] m2 = new double[channels];
        Engine.moments(x, offset, rows, channels, precision, parallelism, mean, m2);
        return new Moments(rows, mean, m2);
    }

    /**
     * Computes the moments of {@code rows} rows of {@code channels} floats at the start of {@code x}: a float32
     * tensor in native byte order, on or off the heap, of any size, also above 2³¹ floats. The result is the same, bit
     * for bit, as {@link #of(float[], int, int, int)} on the same values, for every parallelism. Each slice of about
     * 1 MiB (C KiB above 1,024 channels; in double, up to 4 MiB above 256 channels) is staged through a per-thread
     * heap buffer for the kernels: a copy that stays in cache.
     *
     * @param x           the tensor, NHWC, channels innermost; aligned to 4 bytes; use {@code asSlice} for an offset
     * @param rows        N·H·W, at least 1
     * @param channels    C, at least 1
     * @param parallelism where to run the work; a segment confined to one thread is read on the calling thread only
     * @return the per-channel moments over the rows
     * @throws NullPointerException      if {@code x} or {@code parallelism} is null
     * @throws IllegalArgumentException  if {@code rows} or {@code channels} is not positive or channels exceed 2¹⁴, or
     *                                   if x is misaligned
     * @throws IndexOutOfBoundsException if the rows do not fit in {@code x}
     * @throws IllegalStateException     if x's arena is closed
     * @throws WrongThreadException      if x is confined to another thread
     */
    public static Moments of(MemorySegment x, long rows, int channels, Parallelism parallelism) {
        return of(x, rows, channels, Precision.FLOAT, parallelism);
    }

    /**
     * {@link #of(MemorySegment, long, int, Parallelism)} with the deviations summed in the given precision: the same
     * bits as {@link #of(float[], int, int, int, Precision)} on the same values, for every parallelism.
     *
     * @param x           the tensor, NHWC, channels innermost; aligned to 4 bytes; use {@code asSlice} for an offset
     * @param rows        N·H·W, at least 1
     * @param channels    C, at least 1
     * @param precision   the arithmetic of the sums
     * @param parallelism where to run the work; a segment confined to one thread is read on the calling thread only
     * @return the per-channel moments over the rows
     * @throws NullPointerException      if {@code x}, {@code precision} or {@code parallelism} is null
     * @throws IllegalArgumentException  if {@code rows} or {@code channels} is not positive or channels exceed 2¹⁴, or
     *                                   if x is misaligned
     * @throws IndexOutOfBoundsException if the rows do not fit in {@code x}
     * @throws IllegalStateException     if x's arena is closed
     * @throws WrongThreadException      if x is confined to another thread
     */
    public static Moments of(MemorySegment x, long rows, int channels, Precision precision,
                             Parallelism parallelism) {
        Check.channels(channels);
        Check.segment(x, "x", rows, channels);
        Check.positiveRows(rows);
        Check.notNull(precision, "precision");
        Check.notNull(parallelism, "parallelism");
        double[] mean = new double[channels];
        double[] m2 = new double[channels];
        Engine.moments(x, rows, channels, precision, parallelism, mean, m2);
        return new Moments(rows, mean, m2);
    }

    /**
     * As {@link #of(MemorySegment, long, int, Parallelism)}, on the calling thread.
     *
     * @param x        the tensor, NHWC, channels innermost; aligned to 4 bytes
     * @param rows     N·H·W, at least 1
     * @param channels C, at least 1
     * @return the per-channel moments over the rows
     * @throws NullPointerException      if {@code x} is null
     * @throws IllegalArgumentException  if {@code rows} or {@code channels} is not positive or channels exceed 2¹⁴, or
     *                                   if x is misaligned
     * @throws IndexOutOfBoundsException if the rows do not fit in {@code x}
     * @throws IllegalStateException     if x's arena is closed
     * @throws WrongThreadException      if x is confined to another thread
     */
    public static Moments of(MemorySegment x, long rows, int channels) {
        return of(x, rows, channels, Parallelism.sequential());
    }

    /**
     * Computes the moments of a tensor of the given shape, NHWC or NCHW, over N, H and W. For NCHW each channel's
     * planes are summed along memory (docs/numerics.md); the accuracy is that of the NHWC path.
     *
     * @param x      the tensor
     * @param offset index of the first float
     * @param shape  N, C and H·W, and the layout; N and H·W at least 1
     * @return the per-channel moments over the N·H·W values of each channel
     * @throws NullPointerException      if {@code x} or {@code shape} is null
     * @throws IllegalArgumentException  if N or H·W is not positive
     * @throws IndexOutOfBoundsException if the N·C·H·W floats do not fit in {@code x} from {@code offset}
     */
    public static Moments of(float[] x, int offset, TensorShape shape) {
        return of(x, offset, shape, Parallelism.sequential());
    }

    /**
     * {@link #of(float[], int, TensorShape)}, spread over threads; the same bits for every parallelism. NHWC is cut
     * into slices of rows as {@link #of(float[], int, int, int, Parallelism)}; NCHW into groups of whole channels
     * (about 1 MiB of data each), whose moments do not depend on one another.
     *
     * @param x           the tensor
     * @param offset      index of the first float
     * @param shape       N, C and H·W, and the layout; N and H·W at least 1
     * @param parallelism where to run the work
     * @return the per-channel moments over the N·H·W values of each channel
     * @throws NullPointerException      if {@code x}, {@code shape} or {@code parallelism} is null
     * @throws IndexOutOfBoundsException if the tensor does not fit in {@code x}
     * @throws IllegalArgumentException  as {@link #of(float[], int, TensorShape)}
     */
    public static Moments of(float[] x, int offset, TensorShape shape, Parallelism parallelism) {
        return of(x, offset, shape, Precision.FLOAT, parallelism);
    }

    /**
     * {@link #of(float[], int, TensorShape, Parallelism)} with the deviations summed in the given precision; the same
     * bits for every parallelism.
     *
     * @param x           the tensor
     * @param offset      index of the first float
     * @param shape       N, C and H·W, and the layout; N and H·W at least 1
     * @param precision   the arithmetic of the sums
     * @param parallelism where to run the work
     * @return the per-channel moments over the N·H·W values of each channel
     * @throws NullPointerException      if {@code x}, {@code shape}, {@code precision} or {@code parallelism} is null
     * @throws IllegalArgumentException  if N or H·W is not positive
     * @throws IndexOutOfBoundsException if the N·C·H·W floats do not fit in {@code x} from {@code offset}
     */
    public static Moments of(float[] x, int offset, TensorShape shape, Precision precision,
                             Parallelism parallelism) {
        Check.notNull(x, "x");
        Check.notNull(shape, "shape");
        Check.tensorRange(x, "x", offset, shape, shape.channels());
        Check.positiveForStatistics(shape);
        Check.notNull(precision, "precision");
        Check.notNull(parallelism, "parallelism");
        double[] mean = new double[shape.channels()];
        double[] m2 = new double[shape.channels()];
        Engine.moments(x, offset, shape, precision, parallelism, mean, m2);
        return new Moments(shape.valuesPerChannel(), mean, m2);
    }

    /**
     * Moments of {@code count} values per channel with the given means and M2 (sums of squared deviations from the
     * mean), for callers that keep statistics elsewhere.
     *
     * @param count number of values per channel, at least 1
     * @param mean  per-channel means
     * @param m2    per-channel sums of squared deviations, each ≥ 0, same length as {@code mean}
     * @return the moments
     * @throws NullPointerException     if an array is null
     * @throws IllegalArgumentException if {@code count ≤ 0}, the lengths differ or are not in [1, 2²⁸], a mean is not
     *                                  finite, or an M2 is negative, NaN or infinite
     */
    public static Moments ofSums(long count, double[] mean, double[] m2) {
        Check.notNull(mean, "mean");
        Check.notNull(m2, "m2");
        if (count <= 0) {
            throw new IllegalArgumentException("count must be > 0, got " + count);
        }
        Check.channels(mean.length, "mean.length");
        if (m2.length != mean.length) {
            throw new IllegalArgumentException("m2.length must be " + mean.length + " (mean.length), got " + m2.length);
        }
        // Checked as copied: another thread writing the caller's arrays cannot slip in what the checks reject.
        double[] means = mean.clone();
        double[] sums = m2.clone();
        for (int c = 0; c < sums.length; c++) {
            if (!Double.isFinite(means[c])) {
                throw new IllegalArgumentException("mean[" + c + "] must be finite, got " + means[c]);
            }
            if (!(sums[c] >= 0) || sums[c] == Double.POSITIVE_INFINITY) {
                throw new IllegalArgumentException("m2[" + c + "] must be finite and >= 0 (a sum of squared "
                        + "deviations), got " + sums[c]);
            }
        }
        return new Moments(count, means, sums);
    }

    /**
     * The moments of the union of the two groups of values, by Chan, Golub and LeVeque's pairwise formula in double:
     * the moments of two slices of rows, merged, equal those of all the rows up to rounding.
     *
     * @param other moments over the same channels
     * @return a new instance; neither operand changes
     * @throws NullPointerException     if {@code other} is null
     * @throws IllegalArgumentException if the channel counts differ
     * @throws ArithmeticException      if the merged count overflows a {@code long}, or a channel's merged M2
     *                                  overflows a {@code double} where both operands' mean and M2 are finite (values
     *                                  that no float data give, such as {@link #ofSums} near {@code Double.MAX_VALUE}):
     *                                  an infinite M2 beside a finite mean would read as no data's moments
     */
    public Moments merge(Moments other) {
        Check.notNull(other, "other");
        if (other.channels() != channels()) {
            throw new IllegalArgumentException("other has " + other.channels() + " channels, expected " + channels());
        }
        long total;
        try {
            total = Math.addExact(count, other.count);
        } catch (ArithmeticException e) {
            throw new ArithmeticException("merged count " + count + " + " + other.count + " overflows a long");
        }
        double[] mergedMean = mean.clone();
        double[] mergedM2 = m2.clone();
        MomentMerge.merge(count, mergedMean, mergedM2, other.count, other.mean, other.m2, mergedMean.length);
        for (int c = 0; c < mergedM2.length; c++) {
            // The mean lies between the operands' unless their difference overflowed, and then M2 is infinite too.
            if (!Double.isFinite(mergedM2[c]) && Double.isFinite(mean[c]) && Double.isFinite(m2[c])
                    && Double.isFinite(other.mean[c]) && Double.isFinite(other.m2[c])) {
                throw new ArithmeticException("merged M2 of channel " + c + " overflows a double (means " + mean[c]
                        + " and " + other.mean[c] + ", M2 " + m2[c] + " and " + other.m2[c] + ")");
            }
        }
        return new Moments(total, mergedMean, mergedM2);
    }

    // ------------------------------------------------------------------------------------------- binary form

    /** "SNMO" read as a little-endian int: the first four bytes of {@link #toBytes()}. */
    private static final int MAGIC = 0x4F4D4E53;
    /** The version of the binary form; {@link #fromBytes} reads this version only. */
    private static final byte FORMAT_VERSION = 1;
    /** Magic, version, channels and count. */
    private static final int HEADER_BYTES = 4 + 1 + 4 + 8;
    /** The most channels whose binary form fits in one array. */
    private static final int MAX_BYTES_CHANNELS = (Integer.MAX_VALUE - 8 - HEADER_BYTES) / 16;

    /**
     * A lossless, versioned binary form: every bit of the count, means and M2, so that partial results can be stored
     * or sent between machines (a Spark aggregation buffer, say) and merged later as if they had never left. Little
     * endian: the magic {@code "SNMO"} (4 bytes), the version 1 (1 byte), C (int), the count (long), then the C means
     * and the C M2 values (doubles): 17 + 16·C bytes.
     *
     * @return a new array
     * @throws IllegalStateException if C exceeds 134,217,726, whose form would not fit in one array
     */
    public byte[] toBytes() {
        int channels = channels();
        if (channels > MAX_BYTES_CHANNELS) {
            throw new IllegalStateException(channels + " channels do not fit in one byte array (at most "
                    + MAX_BYTES_CHANNELS + ")");
        }
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES + 16 * channels).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).put(FORMAT_VERSION).putInt(channels).putLong(count);
        for (double v : mean) {
            b.putDouble(v);
        }
        for (double v : m2) {
            b.putDouble(v);
        }
        return b.array();
    }

    /**
     * Reads the binary form of {@link #toBytes()}: the same count, means and M2, bit for bit (non-finite statistics
     * of non-finite data included).
     *
     * @param bytes a binary form of version 1
     * @return the moments it holds
     * @throws NullPointerException     if {@code bytes} is null
     * @throws IllegalArgumentException if {@code bytes} is not such a form: another magic or version, a length that
     *                                  does not match C, C or the count not positive, an M2 below 0, or an M2 not
     *                                  finite with a finite mean
     */
    public static Moments fromBytes(byte[] bytes) {
        Check.notNull(bytes, "bytes");
        if (bytes.length < HEADER_BYTES) {
            throw new IllegalArgumentException("bytes.length " + bytes.length + " is shorter than the header of "
                    + HEADER_BYTES + " bytes");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt() != MAGIC) {
            throw new IllegalArgumentException("bytes do not start with the magic \"SNMO\" of Moments.toBytes()");
        }
        byte version = b.get();
        if (version != FORMAT_VERSION) {
            throw new IllegalArgumentException("bytes are of version " + version + ", this library reads version "
                    + FORMAT_VERSION);
        }
        int channels = b.getInt();
        if (channels <= 0 || channels > Math.min(Check.MAX_CHANNELS, MAX_BYTES_CHANNELS)) {
            throw new IllegalArgumentException("channels in bytes must be in [1, "
                    + Math.min(Check.MAX_CHANNELS, MAX_BYTES_CHANNELS) + "], got " + channels);
        }
        if (bytes.length != HEADER_BYTES + 16L * channels) {
            throw new IllegalArgumentException("bytes.length must be " + (HEADER_BYTES + 16L * channels) + " for "
                    + channels + " channels, got " + bytes.length);
        }
        long count = b.getLong();
        if (count <= 0) {
            throw new IllegalArgumentException("count in bytes must be > 0, got " + count);
        }
        double[] mean = new double[channels];
        double[] m2 = new double[channels];
        for (int c = 0; c < channels; c++) {
            mean[c] = b.getDouble();
        }
        for (int c = 0; c < channels; c++) {
            m2[c] = b.getDouble();
            if (m2[c] < 0) {
                throw new IllegalArgumentException("m2[" + c + "] in bytes must not be negative, got " + m2[c]);
            }
            // Finite data, however spread, give a finite M2 (at most 2⁶³·(2¹²⁹)² in double): a finite mean with a
            // NaN or infinite M2 is no data's, and would turn every merge and map made from it into NaN or β.
            if (Double.isFinite(mean[c]) && !Double.isFinite(m2[c])) {
                throw new IllegalArgumentException("m2[" + c + "] in bytes must be finite where mean[" + c
                        + "] is (the moments of finite data), got " + m2[c]);
            }
        }
        return new Moments(count, mean, m2);
    }

    /**
     * Returns the number of channels C.
     *
     * @return the number of channels C
     */
    public int channels() {
        return mean.length;
    }

    /**
     * Returns the number of values per channel (N·H·W summed over merged groups).
     *
     * @return the number of values per channel (N·H·W summed over merged groups)
     */
    public long count() {
        return count;
    }

    /**
     * Returns the mean of channel {@code c}, rounded to float.
     *
     * @param c channel index
     * @return the mean of channel {@code c}, rounded to float
     * @throws IndexOutOfBoundsException if {@code c} is not in [0, C)
     */
    public float mean(int c) {
        return (float) mean[Objects.checkIndex(c, mean.length)];
    }

    /**
     * Returns the population (biased, ÷n) variance of channel {@code c}, as {@code tf.nn.moments} returns it.
     *
     * @param c channel index
     * @return the population (biased, ÷n) variance of channel {@code c}, as {@code tf.nn.moments} returns it
     * @throws IndexOutOfBoundsException if {@code c} is not in [0, C)
     */
    public float variance(int c) {
        return (float) (m2[Objects.checkIndex(c, m2.length)] / count);
    }

    /**
     * Returns the sample (unbiased, ÷(n−1)) variance of channel {@code c}; NaN when the count is 1.
     *
     * @param c channel index
     * @return the sample (unbiased, ÷(n−1)) variance of channel {@code c}; NaN when the count is 1
     * @throws IndexOutOfBoundsException if {@code c} is not in [0, C)
     */
    public float sampleVariance(int c) {
        double v = m2[Objects.checkIndex(c, m2.length)];
        return count > 1 ? (float) (v / (count - 1)) : Float.NaN;
    }

    /**
     * Returns a copy of all the means.
     *
     * @return a copy of all the means
     */
    public float[] means() {
        float[] out = new float[mean.length];
        for (int c = 0; c < out.length; c++) {
            out[c] = (float) mean[c];
        }
        return out;
    }

    /**
     * Returns a copy of all the population variances.
     *
     * @return a copy of all the population variances
     */
    public float[] variances() {
        float[] out = new float[m2.length];
        for (int c = 0; c < out.length; c++) {
            out[c] = (float) (m2[c] / count);
        }
        return out;
    }

    /**
     * Returns a copy of all the sample variances (NaN when the count is 1).
     *
     * @return a copy of all the sample variances (NaN when the count is 1)
     */
    public float[] sampleVariances() {
        float[] out = new float[m2.length];
        for (int c = 0; c < out.length; c++) {
            out[c] = sampleVariance(c);
        }
        return out;
    }

    /**
     * Returns the mean of channel {@code c} in double, as accumulated (more precise than {@link #mean(int)}).
     *
     * @param c channel index
     * @return the mean of channel {@code c} in double, as accumulated (more precise than {@link #mean(int)})
     * @throws IndexOutOfBoundsException if {@code c} is not in [0, C)
     */
    public double meanAsDouble(int c) {
        return mean[Objects.checkIndex(c, mean.length)];
    }

    /**
     * Returns the population variance of channel {@code c} in double, as accumulated.
     *
     * @param c channel index
     * @return the population variance of channel {@code c} in double, as accumulated
     * @throws IndexOutOfBoundsException if {@code c} is not in [0, C)
     */
    public double varianceAsDouble(int c) {
        return m2[Objects.checkIndex(c, m2.length)] / count;
    }

    @Override
    public String toString() {
        return "Moments[count=" + count + ", means=" + Arrays.toString(means()) + ", variances="
                + Arrays.toString(variances()) + "]";
    }
}
