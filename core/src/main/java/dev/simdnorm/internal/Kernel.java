package dev.simdnorm.internal;

/**
 * What a kernel does: per-channel statistics and the fused per-channel affine map over NHWC rows and over NCHW
 * planes, and the two passes of the map's gradient.
 *
 * <p>Kernels are stateless and thread-safe, and every kernel gives the same bits for the same call: the scalar kernel
 * and the vector kernel run one shared algorithm ({@link RowStatistics}, {@link PlaneStatistics},
 * {@link GradientSums}) and walk the same {@link LanePeriod}. Arguments are validated by the public API before they
 * get here; a kernel trusts them. The NHWC operations read {@code rows * channels} floats starting at an offset,
 * channel innermost.
 */
public interface Kernel {

    /** Short name for reports: {@code "scalar"} or {@code "vector"}. */
    String name();

    /**
     * Writes each channel's mean and sum of squared deviations (M2) over {@code rows} rows, by {@link RowStatistics}.
     *
     * @param mean out: per-channel mean, length ≥ channels
     * @param m2   out: per-channel sum of squared deviations from the mean, length ≥ channels
     */
    void moments(float[] x, int offset, int rows, int channels, double[] mean, double[] m2);

    /**
     * {@link #moments} with the first block summed around {@code firstCenter}, for the slices of one tensor after the
     * first ({@link RowStatistics#moments(RowStatistics.Deviations, float[], int, int, int, float[], double[],
     * double[])}).
     *
     * @param firstCenter per channel, the first block's center, from {@link #firstCenter}; only read
     */
    void moments(float[] x, int offset, int rows, int channels, float[] firstCenter, double[] mean, double[] m2);

    /**
     * Writes the center {@link #moments} takes for the first block of these rows ({@link RowStatistics#firstCenter}).
     *
     * @param center out: per-channel center, length ≥ channels
     */
    void firstCenter(float[] x, int offset, int rows, int channels, float[] center);

    /**
     * {@link #moments} with the deviations summed in double, by {@link DoubleRowStatistics}; the means come out as
     * offsets from {@code origin}, so that partial results of one tensor merge without the rounding of its means.
     *
     * @param origin per channel, the value the means are taken from
     * @param mean   out: per-channel mean less {@code origin[c]}, length ≥ channels
     * @param m2     out: per-channel sum of squared deviations from the mean, length ≥ channels
     */
    void momentsInDouble(float[] x, int offset, int rows, int channels, double[] origin, double[] mean, double[] m2);

    /**
     * Computes {@code y = fma((x − center[c]) − centerLow[c], scale[c], shift[c])}, then {@code y < 0 ? 0 : y} if
     * {@code relu}. A map without a low part has +0 there, which changes no bit. {@code x} and {@code y} may be the
     * same range; they never partially overlap.
     */
    void normalize(float[] x, int xOffset, float[] y, int yOffset, int rows, AffineParams params, boolean relu);

    // ------------------------------------------------------------ NCHW: each channel is N contiguous planes

    /**
     * Writes the mean and M2 of channels [fromChannel, toChannel) of an NCHW tensor of {@code n·channels·spatial}
     * floats from {@code offset}, by {@link PlaneStatistics}: each channel's result does not depend on which others
     * are computed with it.
     *
     * @param mean out: per-channel mean, length ≥ channels; entries outside the range are left alone
     * @param m2   out: per-channel sum of squared deviations from the mean, length ≥ channels
     */
    void momentsNchw(float[] x, int offset, int n, int channels, int spatial, int fromChannel, int toChannel,
                     double[] mean, double[] m2);

    /**
     * {@link #momentsNchw} with the deviations summed in double, by {@link DoublePlaneStatistics}.
     *
     * @param mean out: per-channel mean, length ≥ channels; entries outside the range are left alone
     * @param m2   out: per-channel sum of squared deviations from the mean, length ≥ channels
     */
    void momentsNchwInDouble(float[] x, int offset, int n, int channels, int spatial, int fromChannel, int toChannel,
                             double[] mean, double[] m2);

    /**
     * {@link #normalize} for an NCHW tensor of {@code n·channels·spatial} floats: the same formula per element, with
     * the parameters of channel c over each of its planes of {@code spatial} floats.
     */
    void normalizeNchw(float[] x, int xOffset, float[] y, int yOffset, int n, int spatial, AffineParams params,
                       boolean relu);

    // ---------------------------------------------------------------------------------------------- backward

    /**
     * The first backward pass, by {@link GradientSums}: each channel's {@code Σg} and {@code Σv·g} over {@code rows}
     * rows, one read of {@code x} and {@code dy}. Here {@code v = (x − center[c]) − centerLow[c]} is the forward map's
     * centered input and {@code g} is {@code dy}, or with {@code relu} 0 where the forward output
     * {@code fma(v, scale[c], shift[c])} is ≤ 0 (recomputed bit for bit, so the output itself is not needed).
     *
     * @param sumDy          out: per-channel Σg, length ≥ channels
     * @param sumDeviationDy out: per-channel Σv·g, length ≥ channels
     */
    void gradientSums(float[] x, int xOffset, float[] dy, int dyOffset, int rows, AffineParams forward, boolean relu,
                      double[] sumDy, double[] sumDeviationDy);

    /**
     * The second backward pass: {@code dx = fma(g, scale[c], fma(v, deviationScale[c], offset[c]))} with {@code v}
     * and {@code g} as in {@link #gradientSums}; without {@code correction} (the gradient of inference, whose
     * statistics do not depend on x) {@code dx = g·scale[c]}, and {@code x} is read only for the ReLU mask.
     * {@code dx} may be the same range as {@code x} or {@code dy}; it never partially overlaps them.
     *
     * @param correction the training step's coefficients, or null for none
     */
    void inputGradient(float[] x, int xOffset, float[] dy, int dyOffset, float[] dx, int dxOffset, int rows,
                       AffineParams forward, GradientParams correction, boolean relu);

    // ------------------------------------------------------------ rows along their length: LayerNorm, RMSNorm

    /**
     * Normalizes {@code rows} rows of {@code size} floats along their length, with the map of {@link RowParams}:
     * {@code y = fma(fma((x − center[r]) − centerLow[r], scale[r], offset[r]), gamma[j], beta[j])}. {@code x} and
     * {@code y} may be the same range; they never partially overlap. At most {@link RowParams#CHUNK_ROWS} rows.
     */
    void normalizeRows(float[] x, int xOffset, float[] y, int yOffset, int rows, int size, RowParams params);

    /**
     * RMSNorm's map of {@code rows} rows of {@code size} floats, with the scales and γ of {@link RowParams}:
     * {@code y = (x · scale[r]) · gamma[j]}, each product rounded to float (its other arrays unused). No β stream:
     * RMSNorm has none, and a fourth row-length array no longer fits in L1 beside x, γ and y for a decode row of
     * 4,096 floats. {@code x} and {@code y} may be the same range; they never partially overlap. At most
     * {@link RowParams#CHUNK_ROWS} rows.
     */
    void scaleRows(float[] x, int xOffset, float[] y, int yOffset, int rows, int size, RowParams params);

    /**
     * RMSNorm's two passes over two rows at once: {@link #scaleRows} of the row at {@code xOffset} with the scale of
     * row {@code row} of {@code params}, and the sum of squares of the row at {@code nextOffset} by
     * {@link RowSquares}, returned. The same bits as the two calls; in one loop, so that a long row's squares stream
     * in from memory while the previous row is written, as a copy's read and write overlap. The rows must not
     * overlap, nor y the next row.
     */
    double scaleRowAndSumNext(float[] x, int xOffset, float[] y, int yOffset, int size, RowParams params, int row,
                              int nextOffset);

    /**
     * LayerNorm's two passes over two rows at once: {@link #normalizeRows} of the row at {@code xOffset} with the
     * map of row {@code row} of {@code params}, and {@link RowMoments.Deviations#total} of the row at
     * {@code nextOffset} around its first value, S into {@code out[0]} and Q into {@code out[1]}: the bits of the two
     * calls, in one loop, as {@link #scaleRowAndSumNext}. The rows must not overlap, nor y the next row.
     */
    void normalizeRowAndSumNext(float[] x, int xOffset, float[] y, int yOffset, int size, RowParams params, int row,
                                int nextOffset, double[] out);

    /**
     * {@link #normalizeRowAndSumNext} for LayerNorm's rows longer than {@link RowMoments#LONGEST}, whose statistics
     * are {@link #momentsNchw}'s float blocks: {@link #normalizeRows} of the row at {@code xOffset} with the map of
     * row {@code row} of {@code params}, and {@link PlaneStatistics#sumRun} of the row at {@code nextOffset} around
     * {@code center}, R into {@code sums[0]} and Q into {@code sums[1]}: the bits of the two calls. At most
     * {@link PlaneStatistics#MAX_BLOCK_LENGTH} floats a row. The rows must not overlap, nor y the next row.
     */
    void normalizeRowAndSumNextBlock(float[] x, int xOffset, float[] y, int yOffset, int size, RowParams params,
                                     int row, int nextOffset, float center, float[] sums);

    /** How this kernel sums deviations for {@link #momentsNchw}: for the steps of {@link PlaneStatistics#runCenter}. */
    PlaneStatistics.Deviations planeDeviations();

    /**
     * Writes each row's mean and M2, in double, by {@link RowMoments}.
     *
     * @param mean out: per row, length ≥ rows
     * @param m2   out: per row, length ≥ rows
     */
    void rowMoments(float[] x, int offset, int rows, int size, double[] mean, double[] m2);

    /**
     * Writes each row's sum of squares, in double, by {@link RowSquares}.
     *
     * @param sums out: per row, length ≥ rows
     */
    void sumSquares(float[] x, int offset, int rows, int size, double[] sums);

    /**
     * {@code out = a + b}, elementwise over {@code length} floats: the residual add of a pre-norm transformer.
     * {@code out} may be the same range as {@code a} or {@code b}; it never partially overlaps them.
     */
    void add(float[] a, int aOffset, float[] b, int bOffset, float[] out, int outOffset, int length);

    /**
     * A training map's per-channel values, the first C entries of {@code p}'s center, low part and scale
     * ({@link AffineParams#trainingValues}), and whether a channel may need the map's rare steps: true wherever a
     * low part is not finite or {@code n·σ² ≥ 2²⁵⁴} (deviations that could overflow), and it may be true otherwise.
     * This one says true always; a vector kernel finds out in its loop, so that ordinary maps skip a second walk over
     * the channels.
     *
     * @param p        the map whose first C entries to write
     * @param mean     per-channel mean, in double
     * @param variance per-channel variance, in double
     * @param count    the values per channel the statistics were taken over
     * @param gamma    per-channel γ
     * @param epsilon  ε
     * @return false only if no channel needs the rare steps
     */
    default boolean trainingValues(AffineParams p, double[] mean, double[] variance, long count, float[] gamma,
                                   float epsilon) {
        p.trainingValues(0, mean, variance, gamma, epsilon);
        return true;
    }

    /**
     * {@link LanePeriod#repeat}: the first {@code channels} floats of {@code a} repeated over {@code period}. A copy,
     * so every kernel writes the same floats; a kernel may do it faster.
     */
    default void repeat(float[] a, int channels, int period) {
        LanePeriod.repeat(a, channels, period);
    }

    /**
     * {@link #repeat} of three arrays (a training map's center, low part and scale): one call, so a kernel may make
     * the three layouts' vectors together.
     */
    default void repeat(float[] a, float[] b, float[] c, int channels, int period) {
        repeat(a, channels, period);
        repeat(b, channels, period);
        repeat(c, channels, period);
    }
}
