package dev.simdnorm.internal;

/**
 * {@link ScalarKernel}'s backward pass: the gradient sums of {@link GradientSums} and the input gradient. The same
 * float operations as the vector kernel's lanes, so the same bits.
 */
final class ScalarGradients {

    /** A thread's working arrays for {@link #sums}, grown to the longest period it has seen. */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(() -> new Scratch(256));

    /** The forward map's center (hi, lo), scale and shift laid out over the period, and the two sums in double. */
    private static final class Scratch {
        final float[] hi;
        final float[] lo;
        final float[] scale;
        final float[] shift;
        final double[] g;
        final double[] vg;
        /** The positions {@link #sums} sums again ({@link #exactPositions}). */
        final int[] again;
        /** The channel of each of {@link #again}'s positions. */
        final int[] channelOf;

        Scratch(int period) {
            hi = new float[period];
            lo = new float[period];
            scale = new float[period];
            shift = new float[period];
            g = new double[period];
            vg = new double[period];
            again = new int[period];
            channelOf = new int[period];
        }
    }

    /**
     * The longest period or run whose parameters are laid out (a thread's arrays at most 2 MiB for the sums, 3 MiB for
     * the runs); longer ones, of more than 65,536 channels, take the one-value-at-a-time loops.
     */
    private static final int LAID_OUT_MAX = 1 << 16;

    /** Floats a run of {@link #inputGradient} takes at least (whole rows), as the map's runs. */
    private static final int RUN = 512;

    /** A thread's parameters laid out over a run: the center (hi, lo), scale, shift, deviation scale and offset. */
    private static final ThreadLocal<double[][]> RUN_PARAMETERS = ThreadLocal.withInitial(() -> new double[6][RUN]);

    private ScalarGradients() {
    }

    /**
     * {@link GradientSums.BlockSums}. The float sums are kept in doubles (each stored value a float, so exactly), so
     * no store of the loop can change x, dy or the forward map's parameters (laid out over the period, at the
     * position's index), and C2 vectorizes it, as the statistics' {@code deviations}. Parameters read from doubles
     * instead left the ReLU loop scalar (a probe: 3.8 ns a value against 0.8, too many conversions to unroll).
     *
     * <p>With ReLU, the gradient is {@code g = dy·m}, {@code m = min(1, max(0, f·2¹⁴⁹))} of the forward output f: m is
     * 1 for any f &gt; 0 (the least subnormal times 2¹⁴⁹ is 1) and +0 for f ≤ 0, in arithmetic C2 vectorizes where it
     * does not vectorize the bit operations of {@link ScalarKernel#reluGradient}'s mask. Where the mask gives +0, a
     * finite dy gives ±0 here; added to a sum, a zero of either sign gives the same sum unless the sum is itself zero,
     * and a sum that becomes nonzero forgets which zero it was. So only a sum that ends at zero can differ: such
     * positions, and those whose sums are not finite (a masked infinite or NaN dy, or a NaN f, gives NaN here), are
     * summed again one value at a time with the mask ({@link #exactPositions}; a block whose every position needs it,
     * by {@link #exactSums}). A channel whose ReLU outputs are all ≤ 0 in a block ends there at zero, and is summed
     * twice.
     */
    static void sums(float[] x, int xBase, float[] dy, int dyBase, int period, int periods, int tail,
                     AffineParams f, boolean relu, float[] sumG, float[] sumVG) {
        if (period > LAID_OUT_MAX) {
            exactSums(x, xBase, dy, dyBase, period, periods, tail, f, relu, sumG, sumVG);
            return;
        }
        Scratch w = SCRATCH.get();
        if (w.g.length < period) {
            w = new Scratch(period);
            SCRATCH.set(w);
        }
        float[] hi = w.hi;
        float[] lo = w.lo;
        float[] scale = w.scale;
        float[] shift = w.shift;
        double[] g = w.g;
        double[] vg = w.vg;
        int channels = f.channels();
        for (int p = 0, c = 0; p < period; p++) {
            hi[p] = f.center()[c];
            lo[p] = f.centerLow()[c];
            scale[p] = f.scale()[c];
            shift[p] = f.shift()[c];
            g[p] = 0.0;
            vg[p] = 0.0;
            c = c + 1 == channels ? 0 : c + 1;
        }
        int end = periods * period;
        for (int j = 0; j < end; j += period) {
            if (relu) {
                maskedSumsRun(x, xBase + j, dy, dyBase + j, period, hi, lo, scale, shift, g, vg);
            } else {
                sumsRun(x, xBase + j, dy, dyBase + j, period, hi, lo, g, vg);
            }
        }
        if (relu) {
            maskedSumsRun(x, xBase + end, dy, dyBase + end, tail, hi, lo, scale, shift, g, vg);
        } else {
            sumsRun(x, xBase + end, dy, dyBase + end, tail, hi, lo, g, vg);
        }
        for (int p = 0; p < period; p++) {
            sumG[p] = (float) g[p];
            sumVG[p] = (float) vg[p];
        }
        if (relu) {
            int[] again = w.again;
            int[] channelOf = w.channelOf;
            int count = 0;
            for (int p = 0, c = 0; p < period; p++) {
                if (vg[p] == 0.0 || !Double.isFinite(g[p]) || !Double.isFinite(vg[p])) {
                    again[count] = p;
                    channelOf[count++] = c;
                }
                c = c + 1 == channels ? 0 : c + 1;
            }
            if (count == period) { // every position (ReLU silenced the block): the plain loop, no list
                exactSums(x, xBase, dy, dyBase, period, periods, tail, f, true, sumG, sumVG);
            } else if (count > 0) {
                exactPositions(x, xBase, dy, dyBase, period, periods, tail, f, again, channelOf, count, sumG,
                        sumVG);
            }
        }
        java.util.Arrays.fill(sumG, period, sumG.length, 0f); // the padding past the period 0, as exactSums leaves it
        java.util.Arrays.fill(sumVG, period, sumVG.length, 0f);
    }

    /** Adds positions {@code [0, count)} of one period to the sums, without ReLU. */
    private static void sumsRun(float[] x, int xi, float[] dy, int di, int count, float[] hi, float[] lo,
                                double[] g, double[] vg) {
        for (int p = 0; p < count; p++) {
            float v = (x[xi + p] - hi[p]) - lo[p];
            float d = dy[di + p];
            g[p] = (float) g[p] + d;
            vg[p] = Math.fma(v, d, (float) vg[p]);
        }
    }

    /** Adds positions {@code [0, count)} of one period to the sums, the gradient masked by {@link #reluMask}. */
    private static void maskedSumsRun(float[] x, int xi, float[] dy, int di, int count, float[] hi, float[] lo,
                                      float[] scale, float[] shift, double[] g, double[] vg) {
        for (int p = 0; p < count; p++) {
            float v = (x[xi + p] - hi[p]) - lo[p];
            float forward = Math.fma(v, scale[p], shift[p]);
            float d = dy[di + p] * reluMask(forward);
            g[p] = (float) g[p] + d;
            vg[p] = Math.fma(v, d, (float) vg[p]);
        }
    }

    /**
     * The two sums over the block of the {@code count} positions listed in {@code positions} (increasing, their
     * channels in {@code channelOf}), one value at a time with {@link ScalarKernel#reluGradient}'s mask, each
     * position's values in the order {@link #exactSums} adds them: into {@code sumG} and {@code sumVG}. Period by period, so that the block is read in memory order
     * whatever the number of positions (a channel that ReLU silences for the block has all its positions here).
     */
    private static void exactPositions(float[] x, int xBase, float[] dy, int dyBase, int period, int periods,
                                       int tail, AffineParams f, int[] positions, int[] channelOf, int count,
                                       float[] sumG, float[] sumVG) {
        for (int k = 0; k < count; k++) {
            sumG[positions[k]] = 0f;
            sumVG[positions[k]] = 0f;
        }
        for (int j = 0, base = 0; j <= periods; j++, base += period) {
            int last = j < periods ? period : tail; // the last period: its first tail positions
            for (int k = 0; k < count && positions[k] < last; k++) {
                int p = positions[k];
                int c = channelOf[k];
                float v = centered(x[xBase + base + p], c, f);
                float g = masked(dy[dyBase + base + p], v, c, f, true);
                sumG[p] += g;
                sumVG[p] = Math.fma(v, g, sumVG[p]);
            }
        }
    }

    /**
     * {@link GradientSums.BlockSums}, one position at a time, with {@link ScalarKernel#reluGradient}'s mask: the
     * reference {@link #sums} is tested against.
     */
    static void exactSums(float[] x, int xBase, float[] dy, int dyBase, int period, int periods, int tail,
                          AffineParams f, boolean relu, float[] sumG, float[] sumVG) {
        java.util.Arrays.fill(sumG, 0f);
        java.util.Arrays.fill(sumVG, 0f);
        for (int j = 0; j < periods; j++) {
            accumulate(x, xBase + j * period, dy, dyBase + j * period, period, f, relu, sumG, sumVG);
        }
        accumulate(x, xBase + periods * period, dy, dyBase + periods * period, tail, f, relu, sumG, sumVG);
    }

    /** Adds positions {@code [0, count)} of one period to their accumulators (a period starts at channel 0). */
    private static void accumulate(float[] x, int xi, float[] dy, int di, int count, AffineParams f, boolean relu,
                                   float[] sumG, float[] sumVG) {
        int channels = f.channels();
        for (int p = 0, c = 0; p < count; p++) {
            float v = centered(x[xi + p], c, f);
            float g = masked(dy[di + p], v, c, f, relu);
            sumG[p] += g;
            sumVG[p] = Math.fma(v, g, sumVG[p]);
            c = c + 1 == channels ? 0 : c + 1;
        }
    }

    /**
     * {@link Kernel#inputGradient}. Where x, dy and dx start at the same index (dy and dx, where x is not read: no
     * ReLU and no correction, the frozen backward's gradient {@code dy·scale}), rows in runs of at least {@link #RUN}
     * floats with the parameters laid out over the run in doubles, loops C2 vectorizes (as the map's
     * {@code mapAtOneIndex}); the ReLU mask as in {@link #sums}: a run with any masked gradient not finite is written
     * again one value at a time from x and dy, which ReLU's runs therefore take only where dx is neither. Elsewhere,
     * and for the rows after the last run, one value at a time.
     */
    static void inputGradient(float[] x, int xOffset, float[] dy, int dyOffset, float[] dx, int dxOffset, int rows,
                              AffineParams f, GradientParams correction, boolean relu) {
        int channels = f.channels();
        int rowsPerRun = (RUN + channels - 1) / channels;
        int runs = rows / rowsPerRun;
        boolean xRead = relu || correction != null;
        if ((xOffset == dyOffset || !xRead) && dyOffset == dxOffset && runs >= 2 && (!relu || dx != x && dx != dy)
                && rowsPerRun * channels <= LAID_OUT_MAX) {
            int length = rowsPerRun * channels;
            double[][] q = laidOut(f, correction, length);
            for (int k = 0, i = dyOffset; k < runs; k++, i += length) { // x's offset where x is read
                if (!relu) {
                    gradientRun(x, dy, dx, i, length, q, correction != null);
                } else if (!maskedGradientRun(x, dy, dx, i, length, q, correction != null)) {
                    exactInputGradient(x, i, dy, i, dx, i, rowsPerRun, f, correction, true);
                }
            }
            int at = runs * length;
            exactInputGradient(x, xOffset + at, dy, dyOffset + at, dx, dxOffset + at, rows - runs * rowsPerRun, f,
                    correction, relu);
            return;
        }
        exactInputGradient(x, xOffset, dy, dyOffset, dx, dxOffset, rows, f, correction, relu);
    }

    /** The forward map's and the correction's per-channel parameters laid out over {@code length} floats. */
    private static double[][] laidOut(AffineParams f, GradientParams correction, int length) {
        double[][] q = RUN_PARAMETERS.get();
        if (q[0].length < length) {
            q = new double[6][length];
            RUN_PARAMETERS.set(q);
        }
        int channels = f.channels();
        for (int p = 0, c = 0; p < length; p++) {
            q[0][p] = f.center()[c];
            q[1][p] = f.centerLow()[c];
            q[2][p] = f.scale()[c];
            q[3][p] = f.shift()[c];
            if (correction != null) {
                q[4][p] = correction.deviationScale()[c];
                q[5][p] = correction.offset()[c];
            }
            c = c + 1 == channels ? 0 : c + 1;
        }
        return q;
    }

    /** One run without ReLU: each value read before it is written, at one index, so dx may be x or dy. */
    private static void gradientRun(float[] x, float[] dy, float[] dx, int i, int length, double[][] q,
                                    boolean corrected) {
        double[] hi = q[0];
        double[] lo = q[1];
        double[] scale = q[2];
        double[] e = q[4];
        double[] o = q[5];
        if (!corrected) {
            for (int p = 0; p < length; p++) {
                dx[i + p] = dy[i + p] * (float) scale[p];
            }
            return;
        }
        for (int p = 0; p < length; p++) {
            float v = (x[i + p] - (float) hi[p]) - (float) lo[p];
            dx[i + p] = Math.fma(dy[i + p], (float) scale[p], Math.fma(v, (float) e[p], (float) o[p]));
        }
    }

    /**
     * One run with ReLU, the gradient {@code g = dy·m + (m − 1)·(−0)}, m {@link #reluMask}: dy for m = 1 (dy + −0
     * is dy, −0 included), +0 for m = 0 and a finite dy, the mask's bits; otherwise NaN. The largest |g| is taken in
     * the loop that computes g: a loop of its own over dx afterwards took about two fifths of the run's time (a
     * probe, ns a value: 0.86 with it, 0.51 with no check, 0.71 with the check in the loop; with the correction 1.14
     * and 0.98). With the correction, g is first written to dx and the map applied by {@link #gradientRun}: one
     * loop of both left C2 too large a body to vectorize (a probe: 3.9 ns a value, as without vectorization, against
     * about 0.8 for each half).
     *
     * @return whether every g of the run is finite, so that each was the mask's (a finite g that the map takes past
     *         the largest float gives the same dx one value at a time)
     */
    private static boolean maskedGradientRun(float[] x, float[] dy, float[] dx, int i, int length, double[][] q,
                                             boolean corrected) {
        double[] hi = q[0];
        double[] lo = q[1];
        double[] scale = q[2];
        double[] shift = q[3];
        float worst = 0f;
        if (!corrected) {
            for (int p = 0; p < length; p++) {
                float g = gradient(x[i + p], dy[i + p], hi[p], lo[p], scale[p], shift[p]);
                worst = Math.max(worst, Math.abs(g));
                dx[i + p] = g * (float) scale[p];
            }
        } else {
            for (int p = 0; p < length; p++) {
                float g = gradient(x[i + p], dy[i + p], hi[p], lo[p], scale[p], shift[p]);
                worst = Math.max(worst, Math.abs(g));
                dx[i + p] = g;
            }
            gradientRun(x, dx, dx, i, length, q, true); // the correction's map, g read from dx
        }
        return worst < Float.POSITIVE_INFINITY;
    }

    /** The masked gradient of {@link #maskedGradientRun} at one position. */
    private static float gradient(float x, float dy, double hi, double lo, double scale, double shift) {
        float v = (x - (float) hi) - (float) lo;
        float m = reluMask(Math.fma(v, (float) scale, (float) shift));
        return dy * m + (m - 1f) * -0f;
    }

    /**
     * ReLU's mask of a forward output f in arithmetic C2 vectorizes: 1 for f &gt; 0 (the least subnormal times
     * 2¹⁴⁹ is 1, larger values clamp), +0 for f ≤ 0, −0 and −∞ included, NaN for a NaN f ({@link #sums}).
     */
    private static float reluMask(float forward) {
        return Math.min(1f, Math.max(0f, forward * 0x1p100f * 0x1p49f));
    }

    /** {@link Kernel#inputGradient}, one value at a time, with {@link ScalarKernel#reluGradient}'s mask. */
    static void exactInputGradient(float[] x, int xOffset, float[] dy, int dyOffset, float[] dx, int dxOffset, int rows,
                                   AffineParams f, GradientParams correction, boolean relu) {
        int channels = f.channels();
        float[] scale = f.scale();
        boolean readX = relu || correction != null;
        for (int r = 0, i = xOffset, j = dyOffset, o = dxOffset; r < rows; r++) {
            for (int c = 0; c < channels; c++, i++, j++, o++) {
                float v = readX ? centered(x[i], c, f) : 0f;
                float g = masked(dy[j], v, c, f, relu);
                dx[o] = correction == null ? g * scale[c]
                        : Math.fma(g, scale[c], Math.fma(v, correction.deviationScale()[c], correction.offset()[c]));
            }
        }
    }

    /** The forward map's centered input {@code (x − center[c]) − centerLow[c]}. */
    private static float centered(float x, int c, AffineParams p) {
        return (x - p.center()[c]) - p.centerLow()[c];
    }

    /**
     * The gradient that reaches the affine map: {@code dy}, or with ReLU 0 where the forward output
     * {@code fma(v, scale, shift)} is ≤ 0.
     */
    private static float masked(float dy, float v, int c, AffineParams p, boolean relu) {
        return relu ? ScalarKernel.reluGradient(dy, Math.fma(v, p.scale()[c], p.shift()[c])) : dy;
    }
}
