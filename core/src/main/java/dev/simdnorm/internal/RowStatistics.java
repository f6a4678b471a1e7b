package dev.simdnorm.internal;

/**
 * The statistics algorithm over NHWC rows, shared by every kernel: they differ only in how they sum deviations over a
 * block ({@link Deviations}), so they agree bit for bit.
 *
 * <p>Rows are taken in blocks of {@link LanePeriod#blockRows}. Each block sums, per position of the walked period and
 * in float, {@code r = Σ(x − c)} and {@code q = Σ(x − c)²} around a per-channel center c, reduces the positions of
 * each channel ({@link LanePeriod#reduce}) and is folded in double ({@link MomentMerge#mergeBlock}). The center is the
 * mean of the rows before the block or, for the first block, of its first {@link #SAMPLE_ROWS} rows (summed around
 * the first row; {@link #firstCenter}), or a first center the caller gives: the slices of one tensor after the first
 * take the first slice's, which spares each of them the sample's pass. The block is kept if that center was close,
 * {@code 8r²/n ≤ q}: then {@code q ≤ 8/7·M2}, so cancellation costs at most a factor 8/7 over an exactly centered
 * block. Otherwise (drifting or sorted data, an unlucky sample) the block is summed again around its own mean
 * {@code c + r/n}, from cache: the corrected two-pass algorithm (Chan, Golub and LeVeque, Am. Stat. 37(3), 1983). So
 * stationary data cost one pass of arithmetic and of memory, and no data cost more than 8/7 of the two-pass error
 * (docs/numerics.md).
 *
 * <p>A channel whose float sums fall outside float's range is summed again over that block in double, two passes,
 * and folded by {@link MomentMerge#merge}: sums that are not finite (deviations or their squares overflow float, or
 * the data are not finite), and sums of squares so small that squares may have underflowed ({@code q < n·2⁻¹⁰⁰}, but
 * not an exactly constant block, {@code r = q = 0}). Finite data from the smallest subnormal to the largest float then
 * keep their moments to about 1e-15, and non-finite data propagate as before. Ordinary data never take that path; its
 * only cost is one check per channel and block.
 */
public final class RowStatistics {

    /**
     * How a kernel sums deviations over part of a block, and does the per-channel steps of a block. The per-channel
     * steps default to the scalar code here and in {@link MomentMerge}; a kernel that does them in vectors does the
     * same double operations per lane in the same order, so the results keep every bit.
     */
    @FunctionalInterface
    public interface Deviations {
        /**
         * Per position p of the period: {@code r[p] = Σ(x − center[p])} and {@code q[p] = Σ(x − center[p])²}, each
         * square by FMA, in float, over {@code periods} whole periods from {@code base} and then the first
         * {@code tail} positions of one more; positions past the tail get sums over the whole periods only.
         */
        void sum(float[] x, int base, int period, int periods, int tail, float[] center, float[] r, float[] q);

        /** {@link LanePeriod#reduce}. */
        default void reduce(float[] accumulators, int period, int channels, float[] out) {
            LanePeriod.reduce(accumulators, period, channels, out);
        }

        /**
         * {@link #sum}, then {@link #reduce} of r into {@code sumR} and, where {@code sumQ} is not null, of q into
         * {@code sumQ}. The center is always C values laid out over the period ({@link #layOut}), so a kernel may
         * rely on its repeating every {@code lcm(C, lanes)} floats. A kernel may keep the accumulators in registers
         * through both, with the same adds, so the sums keep every bit; {@code r} and {@code q} are then left
         * undefined, and so are {@code sumR} and {@code sumQ} past the first C (each holds at least {@code period}
         * floats).
         */
        default void sumReduced(float[] x, int base, int period, int periods, int tail, int channels, float[] center,
                                float[] r, float[] q, float[] sumR, float[] sumQ) {
            sum(x, base, period, periods, tail, center, r, q);
            reduce(r, period, channels, sumR);
            if (sumQ != null) {
                reduce(q, period, channels, sumQ);
            }
        }

        /**
         * {@link RowStatistics#centered}.
         *
         * @return whether every channel's center lay close to the block mean
         */
        default boolean centered(float[] r, float[] q, int channels, int n) {
            return RowStatistics.centered(r, q, 0, channels, n);
        }

        /**
         * {@link RowStatistics#inRange(float[], float[], float[], int, int, int)} from channel 0.
         *
         * @return whether every channel's float sums are in range
         */
        default boolean inRange(float[] r, float[] q, float[] center, int channels, int n) {
            return RowStatistics.inRange(r, q, center, 0, channels, n);
        }

        /**
         * {@link LanePeriod#layOut} of the C values from {@code perChannel[from]}: a copy, the same floats whatever
         * the kernel.
         */
        default float[] layOut(float[] perChannel, int from, int channels, int period, float[] out) {
            return LanePeriod.layOut(perChannel, from, channels, period, out);
        }

        /** {@link MomentMerge#mergeBlock}. */
        default void mergeBlock(long nA, double[] mean, double[] m2, int channels, int nB, float[] center, float[] r1,
                                float[] q) {
            MomentMerge.mergeBlock(nA, mean, m2, 0, channels, nB, center, r1, q);
        }
    }

    /**
     * Rows of the first block whose mean centers it. The check keeps a center within σ/√7 of the block mean; the mean
     * of 128 rows misses that by chance with probability about 2·10⁻⁵ per channel, so even with 1000 channels the
     * first block is nearly always summed once.
     */
    public static final int SAMPLE_ROWS = 128;

    private static final ThreadScratch<Scratch> SCRATCH =
            new ThreadScratch<>(Scratch.FIRST_PERIOD, Scratch::new, s -> s.period);

    private RowStatistics() {
    }

    /** A call's working arrays, kept per thread ({@link ThreadScratch}). */
    private static final class Scratch {
        /** The period a thread's first arrays hold: 6 × 16 KiB. */
        static final int FIRST_PERIOD = 4096;

        /** The longest period these arrays hold. */
        final int period;

        final float[] center;
        final float[] sumR;
        final float[] sumQ;
        final float[] laidOut;
        final float[] r;
        final float[] q;
        /** Entries of {@code laidOut} from here on are 0. */
        int laidOutEnd;
        /** The channels a block sums again in double, and their statistics; made at the first such block. */
        private int[] redone;
        double[] blockStatistics;

        int[] redone(int channels) {
            if (redone == null || redone.length < channels) {
                redone = new int[channels];
                blockStatistics = new double[4 * channels];
            }
            return redone;
        }

        Scratch(int period) {
            this.period = period;
            // C ≤ period, so per-channel arrays of the period's length hold every C that fits.
            center = new float[period];
            sumR = new float[period];
            sumQ = new float[period];
            laidOut = LanePeriod.padded(period);
            r = LanePeriod.padded(period);
            q = LanePeriod.padded(period);
        }
    }

    /**
     * Each channel's mean and M2 over {@code rows} rows from {@code offset}.
     *
     * @param kernel how the kernel sums deviations
     */
    public static void moments(Deviations kernel, float[] x, int offset, int rows, int channels, double[] mean,
                               double[] m2) {
        moments(kernel, x, offset, rows, channels, null, mean, m2);
    }

    /**
     * The center of a first block of {@code rows} rows from {@code offset}: the mean of its first {@link #SAMPLE_ROWS}
     * rows, summed around the first row. {@link #moments} takes it for its first block where it is not given one.
     *
     * @param kernel how the kernel sums deviations
     * @param rows   the rows from {@code offset}, at least 1
     * @param center out: per-channel center, length ≥ channels
     */
    public static void firstCenter(Deviations kernel, float[] x, int offset, int rows, int channels, float[] center) {
        int period = LanePeriod.walked(channels);
        Scratch s = SCRATCH.of(period);
        clearPadding(s, period);
        // The first block has at least LanePeriod.ACCUMULATED = 256 rows, more than the sample: rows alone bound it.
        sampleCenter(kernel, x, offset, rows, channels, period, s, center);
    }

    /**
     * Each channel's mean and M2 over {@code rows} rows from {@code offset}, the first block summed around
     * {@code firstCenter} (null: around {@link #firstCenter} of these rows). The other blocks and the checks are the
     * same either way; a given center that is not close to the first block's mean fails the check, and the block is
     * summed again around its own mean.
     *
     * @param kernel      how the kernel sums deviations
     * @param firstCenter per channel, the center of the first block, or null; only read
     */
    public static void moments(Deviations kernel, float[] x, int offset, int rows, int channels, float[] firstCenter,
                               double[] mean, double[] m2) {
        int period = LanePeriod.walked(channels);
        int rowsPerPeriod = period / channels;
        // Rows per period are a power of two (LanePeriod#reduce): shifts and masks, not the integer divisions that
        // were a sixth of this method's time on 16 KiB calls.
        int periodShift = Integer.numberOfTrailingZeros(rowsPerPeriod);
        int blockRows = LanePeriod.ACCUMULATED * rowsPerPeriod; // LanePeriod.blockRows, without a second walk
        Scratch s = SCRATCH.of(period);
        float[] center = s.center;
        float[] sumR = s.sumR;
        float[] sumQ = s.sumQ;
        float[] laidOut = s.laidOut;
        float[] r = s.r;
        float[] q = s.q;
        clearPadding(s, period);
        long done = 0;
        for (int r0 = 0, nb; r0 < rows; r0 += nb) {
            nb = Math.min(blockRows, rows - r0);
            int base = offset + r0 * channels;
            if (done == 0 && firstCenter != null) {
                System.arraycopy(firstCenter, 0, center, 0, channels);
            } else if (done == 0) {
                sampleCenter(kernel, x, base, nb, channels, period, s, center);
            } else {
                for (int c = 0; c < channels; c++) {
                    center[c] = (float) mean[c];
                }
            }
            int periods = nb >> periodShift;
            int tail = (nb & (rowsPerPeriod - 1)) * channels;
            kernel.sumReduced(x, base, period, periods, tail, channels,
                    kernel.layOut(center, 0, channels, period, laidOut), r, q, sumR, sumQ);
            if (!kernel.centered(sumR, sumQ, channels, nb)) {
                LanePeriod.centers(center, sumR, channels, nb);
                kernel.sumReduced(x, base, period, periods, tail, channels,
                        kernel.layOut(center, 0, channels, period, laidOut), r, q, sumR, sumQ);
            }
            if (kernel.inRange(sumR, sumQ, center, channels, nb)) {
                kernel.mergeBlock(done, mean, m2, channels, nb, center, sumR, sumQ);
            } else {
                mergeBlockInDouble(x, base, nb, channels, done, mean, m2, center, sumR, sumQ, kernel, s);
            }
            done += nb;
        }
    }

    /** layOut writes the period only: the padding must read as 0, also where a longer period wrote centers before. */
    private static void clearPadding(Scratch s, int period) {
        if (s.laidOutEnd > period) {
            java.util.Arrays.fill(s.laidOut, period, s.laidOutEnd, 0f);
        }
        s.laidOutEnd = period;
    }

    /** The mean of the first {@link #SAMPLE_ROWS} (at most {@code nb}) rows from {@code base}, around the first row. */
    private static void sampleCenter(Deviations kernel, float[] x, int base, int nb, int channels, int period,
                                     Scratch s, float[] center) {
        int rowsPerPeriod = period / channels;
        int periodShift = Integer.numberOfTrailingZeros(rowsPerPeriod);
        int sample = Math.min(nb, SAMPLE_ROWS);
        // Laid out from x itself: a copy of the first row into center, read back at once, stalled on small C.
        kernel.sumReduced(x, base, period, sample >> periodShift, (sample & (rowsPerPeriod - 1)) * channels,
                channels, kernel.layOut(x, base, channels, period, s.laidOut), s.r, s.q, s.sumR, null);
        // The first row copied, then the centers in place, one call a block (LanePeriod.centers: a call a channel,
        // once C2 left LanePeriod.center out of line here, was 39 % of a 16 KiB call at C = 1000).
        System.arraycopy(x, base, center, 0, channels);
        LanePeriod.centers(center, s.sumR, channels, sample);
    }

    /** Whether every channel's float sums are within float's range, checked once per block. */
    public static boolean inRange(float[] r, float[] q, float[] center, int from, int channels, int n) {
        float floor = n * 0x1p-100f;
        boolean all = true;
        for (int c = from; c < channels; c++) {
            all &= inRange(r[c], q[c], center[c], floor);
        }
        return all;
    }

    /**
     * Whether a channel's sums {@code r = Σd} and {@code q = Σd²} around {@code center} are finite and no square
     * underflowed: each loses at most 2⁻¹⁵⁰ to underflow, so {@code q ≥ n·2⁻¹⁰⁰} keeps their sum to 2⁻⁴⁹ relative.
     * {@code r = q = 0} means every |d| < 2⁻⁷⁵; around a center of at least 2⁻⁵⁰, whose neighbours are farther, that
     * is a block of exactly constant values. Around a smaller center (a channel of zeros, say) it is not known: the
     * block is then checked ({@link #constant}).
     *
     * @param floor {@code n·2⁻¹⁰⁰}
     */
    static boolean inRange(float r, float q, float center, float floor) {
        return q < Float.POSITIVE_INFINITY && Math.abs(r) < Float.POSITIVE_INFINITY
                && (q >= floor || (q == 0f && r == 0f && Math.abs(center) >= 0x1p-50f));
    }

    /** Whether {@code count} values from {@code from}, {@code stride} apart, all equal {@code center}. */
    static boolean constant(float[] x, int from, int stride, int count, float center) {
        boolean all = true;
        for (int k = 0, i = from; k < count; k++, i += stride) {
            all &= x[i] == center;
        }
        return all;
    }

    /**
     * Folds a block some of whose channels' float sums are out of range: the others as usual, and so is a channel of
     * exactly constant values; the rest from their values summed again in double, two passes (the deviations of
     * finite floats from their mean, their squares and sums, are finite and normal in double for any array), then
     * merged exactly.
     */
    private static void mergeBlockInDouble(float[] x, int base, int nb, int channels, long done, double[] mean,
                                           double[] m2, float[] center, float[] sumR, float[] sumQ,
                                           Deviations kernel, Scratch s) {
        int[] redone = s.redone(channels);
        double[] blockStatistics = s.blockStatistics; // per redone channel: mean, M2, and the state before
        int count = 0;
        float floor = nb * 0x1p-100f;
        for (int c = 0; c < channels; c++) {
            if (inRange(sumR[c], sumQ[c], center[c], floor)
                    || sumR[c] == 0f && sumQ[c] == 0f && constant(x, base + c, channels, nb, center[c])) {
                continue;
            }
            int end = base + nb * channels;
            double sum = 0;
            for (int i = base + c; i < end; i += channels) {
                sum += x[i];
            }
            double blockMean = sum / nb;
            double blockM2 = 0;
            for (int i = base + c; i < end; i += channels) {
                double d = x[i] - blockMean;
                blockM2 += d * d;
            }
            redone[count] = c;
            blockStatistics[4 * count] = blockMean;
            blockStatistics[4 * count + 1] = blockM2;
            blockStatistics[4 * count + 2] = mean[c];
            blockStatistics[4 * count + 3] = m2[c];
            count++;
            // A block of zero deviations keeps the kernel's fold of this channel finite; it is replaced below.
            center[c] = 0f;
            sumR[c] = 0f;
            sumQ[c] = 0f;
        }
        kernel.mergeBlock(done, mean, m2, channels, nb, center, sumR, sumQ);
        for (int k = 0; k < count; k++) {
            int c = redone[k];
            mean[c] = blockStatistics[4 * k + 2];
            m2[c] = blockStatistics[4 * k + 3];
            MomentMerge.merge(done, mean, m2, c, nb, blockStatistics[4 * k], blockStatistics[4 * k + 1]);
        }
    }

    /**
     * Whether the centers of channels {@code from} to {@code to} lay close to their block means: 8r² ≤ q·n, so
     * q ≤ 8/7·M2. Channels whose sums are not finite are skipped: summing them again in float cannot help them.
     */
    public static boolean centered(float[] r, float[] q, int from, int to, int n) {
        for (int c = from; c < to; c++) {
            double rc = r[c];
            double qn = (double) q[c] * n;
            if (8 * rc * rc > qn && Double.isFinite(rc) && Double.isFinite(qn)) {
                return false;
            }
        }
        return true;
    }
}
