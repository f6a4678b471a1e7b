package dev.simdnorm.internal;

/**
 * The plain-Java kernel: the oracle every vector kernel is tested against, and the fallback wherever the Vector API
 * is unavailable (and while the vector kernel is still being compiled, see {@link KernelProvider}). It walks the
 * tensor in the {@link LanePeriod} the vector kernel uses, one position at a time, so the two agree bit for bit.
 *
 * <p>The fused ReLU and the ReLU mask of the backward pass are computed on the bits, without a branch: on data of
 * mixed sign a branch mispredicts about every other element (docs/design-log.md). Where no output can be −0, the
 * forward ReLU is instead {@code max(t, +0)}, which C2 vectorizes: the same bits, at a fraction of the bit-level
 * ReLU's cost. It is fused into the map where the map's own loop is vectorized (x and y at the same index,
 * {@link #mapAtOneIndex}), and otherwise a separate pass over each block of y while it is in L1. The backward's
 * gradient sums take the mask as a product by 0 or 1, which C2 vectorizes, and fall back to the bits where that could
 * differ ({@link ScalarGradients#sums}).
 */
public final class ScalarKernel implements Kernel {

    /** The single instance; the kernel has no state. */
    public static final ScalarKernel INSTANCE = new ScalarKernel();

    /**
     * Floats normalized before a separate ReLU pass runs over them while they are in L1 (8 KiB), where the map's
     * loop stays scalar (x and y at different indices): the pass is a loop C2 vectorizes.
     */
    private static final int RELU_BLOCK = 2048;

    /** Below this |shift|, a map's output may round to −0 (see {@link #maxIsRelu}). */
    private static final float SMALLEST_SAFE_SHIFT = 0x1p-100f;

    /**
     * Floats per run of {@link #mapAtOneIndex}'s inner loop, at least: C2 wraps its vectorized loop body in a loop that
     * aligns and one that finishes, and on runs of one 64-float period the call took 1.7x the time it takes on runs of
     * 512 floats (JMH, 256 KiB, C = 64; docs/performance.md, "The fused ReLU").
     */
    private static final int RUN = 512;

    /**
     * Periods at least this long are a run by themselves: two periods of 256 floats a run were not faster than one
     * (JMH, C = 256), and the wrapping loops are a small part of so long a loop.
     */
    private static final int LONG_PERIOD = 256;

    /** {@link #parametersInDouble}'s array, grown to the longest run this thread has seen. */
    private static final ThreadLocal<double[]> PARAMETERS_IN_DOUBLE =
            ThreadLocal.withInitial(() -> new double[4 * RUN]);

    /** {@link #deviations}' center and sums in double, grown to the longest period this thread has seen. */
    private static final ThreadLocal<double[][]> DEVIATION_SUMS =
            ThreadLocal.withInitial(() -> new double[][] {new double[256], new double[256], new double[256]});

    private ScalarKernel() {
    }

    @Override
    public String name() {
        return "scalar";
    }

    /**
     * {@code t < 0 ? +0 : t}, as TensorFlow's {@code std::max(t, 0)} and the vector kernel's blend: NaN and −0 stay as
     * they are. Without a branch: {@code t < 0} exactly when its bits lie in [0x80000001, 0xFF800000] (negative,
     * nonzero, not NaN), that is when {@code d = bits − 0x80000001} lies in [0, 0x7F7FFFFF].
     *
     * @param t a value
     * @return ReLU of {@code t}
     */
    public static float relu(float t) {
        int bits = Float.floatToRawIntBits(t);
        int d = bits - 0x80000001;
        int keep = (d >> 31) | ((0x7F7FFFFF - d) >> 31);
        return Float.intBitsToFloat(bits & keep);
    }

    /**
     * {@code forward ≤ 0 ? +0 : dy}, the gradient through a ReLU whose input was {@code forward} (a NaN passes dy
     * on, as PyTorch's {@code threshold_backward}). Without a branch: {@code forward + 0} turns −0 into +0, after
     * which {@code forward ≤ 0} means bits 0 or negative, nonzero and not NaN (as in {@link #relu}).
     *
     * @param dy      the upstream gradient
     * @param forward the forward map's output before the ReLU
     * @return the gradient that reaches the map
     */
    public static float reluGradient(float dy, float forward) {
        int bits = Float.floatToRawIntBits(forward + 0f);
        int d = bits - 0x80000001;
        int notNegative = (d >> 31) | ((0x7F7FFFFF - d) >> 31);
        int notZero = (bits | -bits) >> 31;
        return Float.intBitsToFloat(Float.floatToRawIntBits(dy) & notNegative & notZero);
    }

    @Override
    public void moments(float[] x, int offset, int rows, int channels, double[] mean, double[] m2) {
        RowStatistics.moments(ScalarKernel::deviations, x, offset, rows, channels, mean, m2);
    }

    @Override
    public void moments(float[] x, int offset, int rows, int channels, float[] firstCenter, double[] mean,
                        double[] m2) {
        RowStatistics.moments(ScalarKernel::deviations, x, offset, rows, channels, firstCenter, mean, m2);
    }

    @Override
    public void firstCenter(float[] x, int offset, int rows, int channels, float[] center) {
        RowStatistics.firstCenter(ScalarKernel::deviations, x, offset, rows, channels, center);
    }

    /**
     * {@link RowStatistics.Deviations}, one position at a time. The float sums are kept in doubles (each stored value a
     * float, so exactly; each add and FMA in float, as the vector kernel's lanes) and the center read from doubles: no
     * store of the loop can then change x, and C2 vectorizes it, which it cannot do with float accumulators that
     * might be x itself (as {@link #mapAtOneIndex}).
     */
    private static void deviations(float[] x, int base, int period, int periods, int tail, float[] center, float[] r,
                                   float[] q) {
        double[][] sums = DEVIATION_SUMS.get();
        if (sums[0].length < period) {
            sums = new double[][] {new double[period], new double[period], new double[period]};
            DEVIATION_SUMS.set(sums);
        }
        double[] c = sums[0];
        double[] rd = sums[1];
        double[] qd = sums[2];
        for (int p = 0; p < period; p++) {
            c[p] = center[p];
            rd[p] = 0.0;
            qd[p] = 0.0;
        }
        int end = base + periods * period;
        for (int i = base; i < end; i += period) {
            for (int p = 0; p < period; p++) {
                float d = x[i + p] - (float) c[p];
                rd[p] = (float) rd[p] + d;
                qd[p] = Math.fma(d, d, (float) qd[p]);
            }
        }
        for (int p = 0; p < tail; p++) {
            float d = x[end + p] - (float) c[p];
            rd[p] = (float) rd[p] + d;
            qd[p] = Math.fma(d, d, (float) qd[p]);
        }
        for (int p = 0; p < period; p++) {
            r[p] = (float) rd[p];
            q[p] = (float) qd[p];
        }
        java.util.Arrays.fill(r, period, r.length, 0f); // as before: the padding past the period reads as 0
        java.util.Arrays.fill(q, period, q.length, 0f);
    }

    @Override
    public void momentsInDouble(float[] x, int offset, int rows, int channels, double[] origin, double[] mean,
                                double[] m2) {
        DoubleRowStatistics.moments(ScalarKernel::deviationsInDouble, x, offset, rows, channels, origin, mean, m2);
    }

    /** {@link DoubleRowStatistics.Deviations}, one position at a time. */
    private static void deviationsInDouble(float[] x, int base, int period, int periods, int tail, double[] center,
                                           double[] r, double[] q) {
        java.util.Arrays.fill(r, 0.0);
        java.util.Arrays.fill(q, 0.0);
        int end = base + periods * period;
        for (int i = base; i < end; i += period) {
            for (int p = 0; p < period; p++) {
                double d = x[i + p] - center[p];
                r[p] += d;
                q[p] = Math.fma(d, d, q[p]);
            }
        }
        for (int p = 0; p < tail; p++) {
            double d = x[end + p] - center[p];
            r[p] += d;
            q[p] = Math.fma(d, d, q[p]);
        }
    }

    @Override
    public void normalize(float[] x, int xOffset, float[] y, int yOffset, int rows, AffineParams p, boolean relu) {
        boolean maxIsRelu = relu && maxIsRelu(p.scale(), p.shift(), p.channels());
        if ((maxIsRelu || !relu) && xOffset == yOffset) {
            mapAtOneIndex(x, y, xOffset, rows, p, maxIsRelu);
        } else if (maxIsRelu) {
            normalizeThenRelu(x, xOffset, y, yOffset, rows, p);
        } else {
            map(x, xOffset, y, yOffset, rows, p, relu);
        }
    }

    /** The map over rows, with the bit-level ReLU fused if asked. */
    private static void map(float[] x, int xOffset, float[] y, int yOffset, int rows, AffineParams p, boolean relu) {
        int channels = p.channels();
        float[] center = p.center();
        float[] centerLow = p.centerLow();
        float[] scale = p.scale();
        float[] shift = p.shift();
        for (int r = 0, i = xOffset, o = yOffset; r < rows; r++, i += channels, o += channels) {
            for (int c = 0; c < channels; c++) {
                float v = (x[i + c] - center[c]) - centerLow[c];
                float t = Math.fma(v, scale[c], shift[c]);
                y[o + c] = relu ? relu(t) : t;
            }
        }
    }

    /**
     * The map where x and y start at the same index, in a loop C2 vectorizes: runs of whole walked periods, the
     * parameters laid out over a run, so one long inner loop whatever C; then the periods left, fewer than a run's;
     * then the rows left, fewer than a period's, by
     * {@link #map(float[], int, float[], int, int, AffineParams, boolean)}.
     * Its parameters are read from doubles, as a float parameter array could be y itself but a double array cannot,
     * and x and y share one index, which rules out a dependence between them across iterations (JDK 25 has no run-time
     * aliasing checks). Each parameter is a float widened exactly and narrowed back, so the same float operations and
     * bits. With {@code max}, {@code max(t, +0)} on each output ({@link #relu} where {@link #maxIsRelu}), fused in the
     * same loop.
     */
    private static void mapAtOneIndex(float[] x, float[] y, int offset, int rows, AffineParams p, boolean max) {
        int channels = p.channels();
        int period = p.period();
        int rowsPerPeriod = period / channels;
        int periods = rows / rowsPerPeriod;
        if (periods > 0) {
            int periodsPerRun = periodsPerRun(period, periods);
            int run = periodsPerRun * period;
            double[] q = parametersInDouble(p, period, run);
            int runs = periods / periodsPerRun;
            int rest = offset + runs * run;
            int periodsLeft = periods - runs * periodsPerRun;
            if (max) {
                periodsWithMax(x, y, offset, runs, run, run, q);
                periodsWithMax(x, y, rest, periodsLeft, period, run, q);
            } else {
                periods(x, y, offset, runs, run, run, q);
                periods(x, y, rest, periodsLeft, period, run, q);
            }
        }
        int rest = offset + periods * period;
        map(x, rest, y, rest, rows - periods * rowsPerPeriod, p, max);
    }

    /**
     * Walked periods per run of {@link #mapAtOneIndex}: enough for {@link #RUN} floats, one where the period is
     * {@link #LONG_PERIOD} or longer, and no more than a 32nd of the call's periods, so that laying out the parameters
     * stays a small part of a short call.
     */
    private static int periodsPerRun(int period, int periods) {
        int wanted = period >= LONG_PERIOD ? 1 : (RUN + period - 1) / period;
        return Math.max(1, Math.min(wanted, periods / 32));
    }

    /**
     * {@code count} runs of {@code length} floats from {@code offset}, x and y at the same index; the parameters at
     * {@code stride} from one another in {@code q}.
     */
    private static void periods(float[] x, float[] y, int offset, int count, int length, int stride, double[] q) {
        int low = stride;
        int scale = 2 * stride;
        int shift = 3 * stride;
        for (int r = 0, i = offset; r < count; r++, i += length) {
            for (int c = 0; c < length; c++) {
                float v = (x[i + c] - (float) q[c]) - (float) q[low + c];
                y[i + c] = Math.fma(v, (float) q[scale + c], (float) q[shift + c]);
            }
        }
    }

    /**
     * {@link #periods} with {@code max(t, +0)} on each output: 1.12-1.17x the map's time in a probe, against 1.26-1.27
     * for a pass of {@code max} after each block. A loop of its own: one loop with a flag for the max measured
     * 1.23-1.33x.
     */
    private static void periodsWithMax(float[] x, float[] y, int offset, int count, int length, int stride,
                                       double[] q) {
        int low = stride;
        int scale = 2 * stride;
        int shift = 3 * stride;
        for (int r = 0, i = offset; r < count; r++, i += length) {
            for (int c = 0; c < length; c++) {
                float v = (x[i + c] - (float) q[c]) - (float) q[low + c];
                y[i + c] = Math.max(Math.fma(v, (float) q[scale + c], (float) q[shift + c]), 0f);
            }
        }
    }

    /**
     * This thread's copy of the map's center, low part, scale and shift, each laid out over {@code length} positions
     * (the walked period of {@code period} floats repeated) and widened to double, in that order.
     */
    private static double[] parametersInDouble(AffineParams p, int period, int length) {
        double[] q = PARAMETERS_IN_DOUBLE.get();
        if (q.length < 4 * length) {
            q = new double[4 * length];
            PARAMETERS_IN_DOUBLE.set(q);
        }
        float[] center = p.center();
        float[] low = p.centerLow();
        float[] scale = p.scale();
        float[] shift = p.shift();
        for (int c = 0; c < period; c++) {
            q[c] = center[c];
            q[length + c] = low[c];
            q[2 * length + c] = scale[c];
            q[3 * length + c] = shift[c];
        }
        for (int s = 0; s < 4 * length; s += length) {
            for (int done = period; done < length; done *= 2) { // doubling copies, each of what is already laid out
                System.arraycopy(q, s, q, s + done, Math.min(done, length - done));
            }
        }
        return q;
    }

    /** The map without ReLU on blocks of rows, each followed by {@link #reluInPlace} while it is in L1. */
    private static void normalizeThenRelu(float[] x, int xOffset, float[] y, int yOffset, int rows, AffineParams p) {
        int channels = p.channels();
        int blockRows = Math.max(1, RELU_BLOCK / channels);
        for (int r = 0; r < rows; r += blockRows) {
            int count = Math.min(blockRows, rows - r);
            int from = yOffset + r * channels;
            map(x, xOffset + r * channels, y, from, count, p, false);
            reluInPlace(y, from, from + count * channels);
        }
    }

    /**
     * Whether {@code max(t, +0)} is {@link #relu} on every output {@code t = fma(v, scale[c], shift[c])} of a map.
     * The two differ only at t = −0 (max gives +0); NaN passes through both. t is −0 only where the exact sum is −0 or
     * a negative value below 2^−150 that rounds to it, and a channel rules that out in either of two ways:
     * <ul>
     *   <li>|shift| ≥ 2^−100: a product that cancels it is itself ≥ 2^−101, so both are multiples of 2^−149 and a
     *       nonzero sum is at least that; an exact zero sum is +0 (IEEE 754-2019, 6.3);</li>
     *   <li>shift = +0 and |scale| &gt; 1/2: v·scale is ±0 (and ±0 + +0 = +0), or, as a nonzero v is at least
     *       2^−149, above 2^−150.</li>
     * </ul>
     * The default β = 0 with data of standard deviation below 2γ takes the second.
     */
    static boolean maxIsRelu(float[] scale, float[] shift, int channels) {
        for (int c = 0; c < channels; c++) {
            float b = shift[c];
            boolean largeShift = Math.abs(b) >= SMALLEST_SAFE_SHIFT;
            boolean zeroShiftLargeScale = Float.floatToRawIntBits(b) == 0 && Math.abs(scale[c]) > 0.5f;
            if (!largeShift && !zeroShiftLargeScale) {
                return false;
            }
        }
        return true;
    }

    /** {@code y[k] = max(y[k], +0)} over [from, to): a loop C2 vectorizes. */
    static void reluInPlace(float[] y, int from, int to) {
        for (int k = from; k < to; k++) {
            y[k] = Math.max(y[k], 0f);
        }
    }

    // ------------------------------------------------------------ NCHW: each channel is N contiguous planes

    @Override
    public void momentsNchw(float[] x, int offset, int n, int channels, int spatial, int fromChannel, int toChannel,
                            double[] mean, double[] m2) {
        PlaneStatistics.moments(PLANE_DEVIATIONS, x, offset, n, channels, spatial, fromChannel, toChannel,
                mean, m2);
    }

    /**
     * {@link PlaneStatistics.Deviations}, one value at a time, each into accumulator {@code j mod 64}: the whole
     * periods of every run first, then the tails of every run (the order the vector kernel keeps without masks in its
     * main loop).
     */
    private static void planeDeviations(float[] x, int base, int stride, int runs, int length, float center,
                                        float[] r, float[] q) {
        java.util.Arrays.fill(r, 0, PlaneStatistics.WIDTH, 0f);
        java.util.Arrays.fill(q, 0, PlaneStatistics.WIDTH, 0f);
        int whole = length - length % PlaneStatistics.WIDTH;
        for (int k = 0, b = base; k < runs; k++, b += stride) {
            for (int j = 0, p = 0; j < whole; j++, p = p + 1 == PlaneStatistics.WIDTH ? 0 : p + 1) {
                float d = x[b + j] - center;
                r[p] += d;
                q[p] = Math.fma(d, d, q[p]);
            }
        }
        for (int k = 0, b = base; k < runs; k++, b += stride) {
            for (int j = whole, p = 0; j < length; j++, p++) {
                float d = x[b + j] - center;
                r[p] += d;
                q[p] = Math.fma(d, d, q[p]);
            }
        }
    }

    @Override
    public void momentsNchwInDouble(float[] x, int offset, int n, int channels, int spatial, int fromChannel,
                                    int toChannel, double[] mean, double[] m2) {
        DoublePlaneStatistics.moments(ScalarKernel::planeDeviationsInDouble, x, offset, n, channels, spatial,
                fromChannel, toChannel, mean, m2);
    }

    /** {@link DoublePlaneStatistics.Deviations}: {@link #planeDeviations} in double, in the same order. */
    private static void planeDeviationsInDouble(float[] x, int base, int stride, int runs, int length, double center,
                                                double[] r, double[] q) {
        java.util.Arrays.fill(r, 0, PlaneStatistics.WIDTH, 0.0);
        java.util.Arrays.fill(q, 0, PlaneStatistics.WIDTH, 0.0);
        int whole = length - length % PlaneStatistics.WIDTH;
        for (int k = 0, b = base; k < runs; k++, b += stride) {
            for (int j = 0, p = 0; j < whole; j++, p = p + 1 == PlaneStatistics.WIDTH ? 0 : p + 1) {
                double d = x[b + j] - center;
                r[p] += d;
                q[p] = Math.fma(d, d, q[p]);
            }
        }
        for (int k = 0, b = base; k < runs; k++, b += stride) {
            for (int j = whole, p = 0; j < length; j++, p++) {
                double d = x[b + j] - center;
                r[p] += d;
                q[p] = Math.fma(d, d, q[p]);
            }
        }
    }

    @Override
    public void normalizeNchw(float[] x, int xOffset, float[] y, int yOffset, int n, int spatial, AffineParams p,
                              boolean relu) {
        if (relu && maxIsRelu(p.scale(), p.shift(), p.channels())) {
            normalizeNchwThenRelu(x, xOffset, y, yOffset, n, spatial, p);
        } else {
            mapPlanes(x, xOffset, y, yOffset, n, spatial, p, relu);
        }
    }

    /** The map over the planes, with the bit-level ReLU fused if asked. */
    private static void mapPlanes(float[] x, int xOffset, float[] y, int yOffset, int n, int spatial, AffineParams p,
                                  boolean relu) {
        int channels = p.channels();
        for (int k = 0, c = 0, i = xOffset, o = yOffset; k < n * channels; k++, c = c + 1 == channels ? 0 : c + 1) {
            float center = p.center()[c];
            float low = p.centerLow()[c];
            float scale = p.scale()[c];
            float shift = p.shift()[c];
            for (int j = 0; j < spatial; j++, i++, o++) {
                float v = (x[i] - center) - low;
                float t = Math.fma(v, scale, shift);
                y[o] = relu ? relu(t) : t;
            }
        }
    }

    /** The planes' map without ReLU, with {@link #reluInPlace} after every 2,048 floats or more, while in L1. */
    private static void normalizeNchwThenRelu(float[] x, int xOffset, float[] y, int yOffset, int n, int spatial,
                                              AffineParams p) {
        int channels = p.channels();
        for (int k = 0, c = 0, i = xOffset, o = yOffset, from = yOffset; k < n * channels;
             k++, c = c + 1 == channels ? 0 : c + 1) {
            float center = p.center()[c];
            float low = p.centerLow()[c];
            float scale = p.scale()[c];
            float shift = p.shift()[c];
            for (int j = 0; j < spatial; j++, i++, o++) {
                y[o] = Math.fma((x[i] - center) - low, scale, shift);
            }
            if (o - from >= RELU_BLOCK || k + 1 == n * channels) {
                reluInPlace(y, from, o);
                from = o;
            }
        }
    }

    // ---------------------------------------------------------------------------------------------- backward

    @Override
    public void gradientSums(float[] x, int xOffset, float[] dy, int dyOffset, int rows, AffineParams forward,
                             boolean relu, double[] sumDy, double[] sumDeviationDy) {
        GradientSums.sums(ScalarGradients::sums, x, xOffset, dy, dyOffset, rows, forward, relu, sumDy,
                sumDeviationDy);
    }

    @Override
    public void inputGradient(float[] x, int xOffset, float[] dy, int dyOffset, float[] dx, int dxOffset, int rows,
                              AffineParams f, GradientParams correction, boolean relu) {
        ScalarGradients.inputGradient(x, xOffset, dy, dyOffset, dx, dxOffset, rows, f, correction, relu);
    }

    // ------------------------------------------------------------ rows along their length: LayerNorm, RMSNorm

    @Override
    public void normalizeRows(float[] x, int xOffset, float[] y, int yOffset, int rows, int size, RowParams p) {
        ScalarRows.normalizeRows(x, xOffset, y, yOffset, rows, size, p);
    }

    @Override
    public void scaleRows(float[] x, int xOffset, float[] y, int yOffset, int rows, int size, RowParams params) {
        ScalarRows.scaleRows(x, xOffset, y, yOffset, rows, size, params, 0);
    }

    @Override
    public double scaleRowAndSumNext(float[] x, int xOffset, float[] y, int yOffset, int size, RowParams params,
                                     int row, int nextOffset) {
        ScalarRows.scaleRows(x, xOffset, y, yOffset, 1, size, params, row);
        return RowSquares.total(ScalarRows::squares, x, nextOffset, size);
    }

    @Override
    public void normalizeRowAndSumNext(float[] x, int xOffset, float[] y, int yOffset, int size, RowParams p, int row,
                                       int nextOffset, double[] out) {
        ScalarRows.normalizeRow(x, xOffset, y, yOffset, size, p, row);
        RowMoments.total(ScalarRows::rowDeviations, x, nextOffset, size, out);
    }

    @Override
    public void normalizeRowAndSumNextBlock(float[] x, int xOffset, float[] y, int yOffset, int size, RowParams p,
                                            int row, int nextOffset, float center, float[] sums) {
        ScalarRows.normalizeRow(x, xOffset, y, yOffset, size, p, row);
        PlaneStatistics.sumRun(PLANE_DEVIATIONS, x, nextOffset, size, center, sums);
    }

    @Override
    public PlaneStatistics.Deviations planeDeviations() {
        return PLANE_DEVIATIONS;
    }

    private static final PlaneStatistics.Deviations PLANE_DEVIATIONS = ScalarKernel::planeDeviations;

    @Override
    public void rowMoments(float[] x, int offset, int rows, int size, double[] mean, double[] m2) {
        RowMoments.moments(ScalarRows::rowDeviations, x, offset, rows, size, mean, m2);
    }

    @Override
    public void sumSquares(float[] x, int offset, int rows, int size, double[] sums) {
        RowSquares.sums(ScalarRows::squares, x, offset, rows, size, sums);
    }

    /**
     * {@inheritDoc} Where the three start at the same index, a loop C2 vectorizes whatever arrays they are (at one
     * index no store reaches a later load); at different indices the plain loop, 1.1-2x slower in JMH (C2 cannot know
     * that out never partially overlaps a or b).
     */
    @Override
    public void add(float[] a, int aOffset, float[] b, int bOffset, float[] out, int outOffset, int length) {
        if (aOffset == outOffset && bOffset == outOffset) {
            for (int i = outOffset; i < outOffset + length; i++) {
                out[i] = a[i] + b[i];
            }
            return;
        }
        for (int i = 0; i < length; i++) {
            out[outOffset + i] = a[aOffset + i] + b[bOffset + i];
        }
    }
}
