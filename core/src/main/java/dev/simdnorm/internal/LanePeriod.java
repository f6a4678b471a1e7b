package dev.simdnorm.internal;

/**
 * How the kernels walk an NHWC tensor, shared by the scalar and the vector kernel so that they do the same operations
 * in the same order and agree bit for bit, at every vector width up to 512 bits.
 *
 * <p>The tensor is a flat array of floats cut into periods in which each position always holds the same channel
 * (position p holds channel p mod C). A period is laid out for {@link #WIDTH} lanes, the widest species: C floats
 * when C is a multiple of 16; lcm(C, 16) floats when that is at most 64 vectors (C = 3: 48 floats, 16 rows);
 * otherwise C floats, a row's last vector then partly masked. Narrower species divide every period into more
 * vectors, lane for lane the same positions.
 *
 * <p>Statistics keep one float accumulator per position of a (possibly repeated) period and fold the rows in blocks.
 * Each accumulator sums at most {@link #ACCUMULATED} values per block, so the float error stays that of a
 * 256-term sum whatever C is; a block then holds {@code 256·positions/C} rows. Few channels have many positions per
 * channel and so get long blocks (16384 rows for C = 1 or 3), which keeps the per-block work (reduce, fold) small.
 */
public final class LanePeriod {

    /** Lanes of the widest species used (512-bit floats); narrower species divide it. */
    public static final int WIDTH = 16;
    /** Values each statistics accumulator sums per block. */
    public static final int ACCUMULATED = 256;
    /** Most vectors in an lcm period; beyond it a row's last vector is masked instead. */
    private static final int MAX_LCM_VECTORS = 64;

    private LanePeriod() {
    }

    /**
     * Floats per period in which each position keeps one channel.
     *
     * @param channels C
     * @return C, or lcm(C, 16)
     */
    public static int period(int channels) {
        if (channels % WIDTH == 0 || channels > MAX_LCM_VECTORS * WIDTH) {
            return channels; // (the lcm would exceed 64 vectors, and could overflow an int)
        }
        int lcm = channels / gcd(channels, WIDTH) * WIDTH;
        return lcm / WIDTH <= MAX_LCM_VECTORS ? lcm : channels;
    }

    /**
     * The period the kernels walk: {@link #period}, repeated to four vectors of 16 lanes (or twelve, from three) when
     * shorter, so that a group of four vectors fits (statistics: four independent accumulators; normalize: four
     * vectors per loop iteration).
     *
     * @param channels C
     * @return floats per walked period, a multiple of C
     */
    public static int walked(int channels) {
        int p = period(channels);
        int vectors = (p + WIDTH - 1) / WIDTH;
        return vectors >= 4 ? p : p * (vectors == 3 ? 4 : 4 / vectors);
    }

    /**
     * The period the double-precision statistics walk: {@link #period} itself where it is three vectors of 16 lanes
     * (48 floats: C = 3, 6, 12, 24, 48), which are six vectors of doubles at 512 bits, one group whose accumulators
     * fit the registers and walk memory once; {@link #walked} otherwise. (Repeated to twelve vectors, as the float
     * statistics walk it, the period would be 24 vectors of doubles, three groups, three strided sweeps of each
     * block: half the bandwidth of one linear read beyond the caches.) It divides {@link #walked}, so its blocks
     * divide the float statistics' blocks and the slices cut on those.
     *
     * @param channels C
     * @return floats per period, a multiple of C
     */
    public static int walkedInDouble(int channels) {
        int p = period(channels);
        return p == 3 * WIDTH ? p : walked(channels);
    }

    /**
     * Rows per block of the double-precision statistics: each accumulator sums {@link #ACCUMULATED} of them.
     *
     * @param channels C
     * @return rows per block, a divisor of {@link #blockRows}
     */
    public static int blockRowsInDouble(int channels) {
        return ACCUMULATED * (walkedInDouble(channels) / channels);
    }

    /**
     * Accumulators (positions of the walked period) per channel.
     *
     * @param channels C
     * @return walked / C
     */
    public static int accumulatorsPerChannel(int channels) {
        return walked(channels) / channels;
    }

    /**
     * Rows per statistics block: each accumulator sums {@link #ACCUMULATED} of them.
     *
     * @param channels C
     * @return rows per block
     */
    public static int blockRows(int channels) {
        return ACCUMULATED * accumulatorsPerChannel(channels);
    }

    /**
     * The center of a block for its second pass: {@code first + s1/n} in float, where {@code s1 = Σ(x − first)}.
     *
     * @param first the block's first value of the channel
     * @param s1    the sum of the block's values less {@code first}
     * @param n     the block's rows
     * @return the center
     */
    public static float center(float first, float s1, int n) {
        return first + s1 / n;
    }

    /**
     * {@link #center} of each of the first {@code channels} channels, in place: {@code center[c] + sums[c]/n}, the same
     * expression, so the same bits. One call a block, not one a channel: inside the statistics' large compilations C2
     * left {@code center} out of line (NodeCountInliningCutoff), and its 1,000 calls a block were 39 % of a 16 KiB
     * {@code Moments.of} at C = 1000 (perf, cpu-clock samples).
     *
     * @param center   in: each channel's first value (or previous center); out: its center
     * @param sums     per channel, the sum of the block's values less {@code center}
     * @param channels C
     * @param n        the rows summed
     */
    public static void centers(float[] center, float[] sums, int channels, int n) {
        for (int c = 0; c < channels; c++) {
            center[c] = center[c] + sums[c] / n;
        }
    }

    /**
     * Repeats the first {@code channels} entries of {@code a} over a period, in place; the padding past the period is
     * left as it is.
     *
     * @param a        at least {@code period} floats, the per-channel values first
     * @param channels C
     * @param period   floats per period, a multiple of C
     * @return {@code a}
     */
    public static float[] repeat(float[] a, int channels, int period) {
        // Doubling copies: log2(period/C) + 1 of them. A per-float channel counter neither vectorizes nor predicts
        // well, and one copy per row costs a stub call each (C = 3: 64 calls).
        for (int done = channels; done < period; done *= 2) {
            System.arraycopy(a, 0, a, done, Math.min(done, period - done));
        }
        return a;
    }

    /**
     * Copies per-channel values to the start of {@code out} and repeats them over a period.
     *
     * @param perChannel one value per channel
     * @param channels   C
     * @param period     floats per period, a multiple of C
     * @param out        at least the period rounded up to 16 floats; the padding must already be zero
     * @return {@code out}
     */
    public static float[] layOut(float[] perChannel, int channels, int period, float[] out) {
        return layOut(perChannel, 0, channels, period, out);
    }

    /**
     * {@link #layOut(float[], int, int, float[])} of the C values from {@code perChannel[from]}.
     *
     * @param perChannel one value per channel, from {@code from}
     * @param from       where the per-channel values start
     * @param channels   C
     * @param period     floats per period, a multiple of C
     * @param out        at least the period rounded up to 16 floats; the padding must already be zero
     * @return {@code out}
     */
    public static float[] layOut(float[] perChannel, int from, int channels, int period, float[] out) {
        System.arraycopy(perChannel, from, out, 0, channels);
        return repeat(out, channels, period);
    }

    /**
     * A new array of a period's length rounded up to whole vectors of 16 lanes.
     *
     * @param period floats per period
     * @return zeros
     */
    public static float[] padded(int period) {
        return new float[(period + WIDTH - 1) / WIDTH * WIDTH];
    }

    /**
     * Sums each channel's accumulators pairwise: the period is halved until one position per channel is left, each
     * step adding the upper half onto the lower ({@code a[p] += a[p + half]}). Positions per channel are always a
     * power of two (16/gcd(C, 16) times 1, 2 or 4), so every half keeps each position on its channel. Pairwise, not
     * in position order, so the error grows with log2 of the positions instead of their number (Higham, Accuracy and
     * Stability of Numerical Algorithms, 2nd ed., §4.2), and the steps are independent adds.
     *
     * @param accumulators one per position of the period; overwritten
     * @param period       floats per period, C times a power of two
     * @param channels     C
     * @param out          one sum per channel
     */
    public static void reduce(float[] accumulators, int period, int channels, float[] out) {
        for (int n = period; n > channels; n /= 2) {
            int half = n / 2;
            for (int p = 0; p < half; p++) {
                accumulators[p] += accumulators[p + half];
            }
        }
        System.arraycopy(accumulators, 0, out, 0, channels);
    }

    /**
     * {@link #repeat} for per-position values in double ({@link DoubleRowStatistics}).
     *
     * @param a        at least {@code period} doubles, the per-channel values first
     * @param channels C
     * @param period   positions per period, a multiple of C
     * @return {@code a}
     */
    public static double[] repeat(double[] a, int channels, int period) {
        for (int done = channels; done < period; done *= 2) {
            System.arraycopy(a, 0, a, done, Math.min(done, period - done));
        }
        return a;
    }

    /**
     * {@link #layOut} in double.
     *
     * @param perChannel one value per channel
     * @param channels   C
     * @param period     positions per period, a multiple of C
     * @param out        at least the period rounded up to 16 entries; the padding must already be zero
     * @return {@code out}
     */
    public static double[] layOut(double[] perChannel, int channels, int period, double[] out) {
        System.arraycopy(perChannel, 0, out, 0, channels);
        return repeat(out, channels, period);
    }

    /**
     * {@link #reduce} in double: the same pairwise halving, position for position.
     *
     * @param accumulators one per position of the period; overwritten
     * @param period       positions per period, C times a power of two
     * @param channels     C
     * @param out          one sum per channel
     */
    public static void reduce(double[] accumulators, int period, int channels, double[] out) {
        for (int n = period; n > channels; n /= 2) {
            int half = n / 2;
            for (int p = 0; p < half; p++) {
                accumulators[p] += accumulators[p + half];
            }
        }
        System.arraycopy(accumulators, 0, out, 0, channels);
    }

    /** The greatest common divisor of two positive ints. */
    public static int gcd(int a, int b) {
        while (b != 0) {
            int t = a % b;
            a = b;
            b = t;
        }
        return a;
    }
}
