package dev.simdnorm.internal;

/**
 * The statistics algorithm, shared by every kernel: they differ only in how they sum deviations over a block
 * ({@link Deviations}), so they agree bit for bit.
 *
 * <p>Rows are taken in blocks of {@link Layout#blockRows}. Each block sums, per position of the statistics period and
 * in float, {@code r = Σ(x − c)} and {@code q = Σ(x − c)²} around a per-channel centre c, reduces the positions of
 * each channel ({@link Layout#reduce}) and is folded in double ({@link Chan#mergeBlock}). The centre is the mean of
 * the rows before the block or, for the first block, of its first {@link #SAMPLE_ROWS} rows (summed around the first
 * row). The block is kept if that centre was close, {@code 8r²/n ≤ q}: then {@code q ≤ 8/7·M2}, so cancellation
 * costs at most a factor 8/7 over an exactly centred block. Otherwise (drifting or sorted data, an unlucky sample)
 * the block is summed again around its own mean {@code c + r/n}, from cache where the block fits (blocks hold about
 * 256 KiB, 1 MiB for C = 1000): the corrected two-pass algorithm (Chan, Golub and LeVeque, Am. Stat. 37(3), 1983).
 * So stationary data cost one pass of arithmetic and of memory, and no data cost more than 8/7 of the two-pass
 * error (docs/numerics.md). Non-finite sums never trigger the second pass: it cannot help them.
 */
public final class Statistics {

    /**
     * How a kernel sums deviations over part of a block, and does the per-channel steps of a block. The per-channel
     * steps default to the scalar code here and in {@link Chan}; a kernel that does them in vectors does the same
     * double operations per lane in the same order, so the results keep every bit.
     */
    @FunctionalInterface
    public interface Deviations {
        /**
         * Per position p of the period: {@code r[p] = Σ(x − centre[p])} and {@code q[p] = Σ(x − centre[p])²}, each
         * square by FMA, in float, over {@code periods} whole periods from {@code base} and then the first
         * {@code tail} positions of one more; positions past the tail get sums over the whole periods only.
         */
        void sum(float[] x, int base, int period, int periods, int tail, float[] centre, float[] r, float[] q);

        /** {@link Layout#reduce}. */
        default void reduce(float[] accumulators, int period, int channels, float[] out) {
            Layout.reduce(accumulators, period, channels, out);
        }

        /**
         * {@link Statistics#centred}.
         *
         * @return whether every channel's centre lay close to the block mean
         */
        default boolean centred(float[] r, float[] q, int channels, int n) {
            return Statistics.centred(r, q, 0, channels, n);
        }

        /** {@link Chan#mergeBlock}. */
        default void mergeBlock(long nA, double[] mean, double[] m2, int channels, int nB, float[] center, float[] r1,
                                float[] q) {
            Chan.mergeBlock(nA, mean, m2, 0, channels, nB, center, r1, q);
        }
    }

    /**
     * Rows of the first block whose mean centres it. The check keeps a centre within σ/√7 of the block mean; the mean
     * of 128 rows misses that by chance with probability about 2·10⁻⁵ per channel, so even with 1000 channels the
     * first block is nearly always summed once (with 32 rows it was 3% per channel: with 256 channels, almost never).
     */
    public static final int SAMPLE_ROWS = 128;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(() -> new Scratch(Scratch.MAX_PERIOD));

    private Statistics() {
    }

    /**
     * A call's working arrays, reused per thread up to {@link #MAX_PERIOD}: allocating and zeroing six of them was a
     * fifth of a call on 16 KiB (C = 3). Longer periods (C > 4096) allocate; their per-channel work dwarfs it.
     */
    private static final class Scratch {
        /** Largest period whose arrays a thread keeps: 6 × 16 KiB. */
        static final int MAX_PERIOD = 4096;

        final float[] centre;
        final float[] sumR;
        final float[] sumQ;
        final float[] laidOut;
        final float[] r;
        final float[] q;
        /** Entries of {@code laidOut} from here on are 0. */
        int laidOutEnd;

        Scratch(int period) {
            // C ≤ period, so per-channel arrays of the period's length hold every C that fits.
            centre = new float[period];
            sumR = new float[period];
            sumQ = new float[period];
            laidOut = Layout.padded(period);
            r = Layout.padded(period);
            q = Layout.padded(period);
        }
    }

    /**
     * Each channel's mean and M2 over {@code rows} rows from {@code offset}.
     *
     * @param kernel how the kernel sums deviations
     */
    public static void moments(Deviations kernel, float[] x, int offset, int rows, int channels, double[] mean,
                               double[] m2) {
        int period = Layout.statisticsPeriod(channels);
        int rowsPerPeriod = period / channels;
        int blockRows = Layout.blockRows(channels);
        Scratch s = period <= Scratch.MAX_PERIOD ? SCRATCH.get() : new Scratch(period);
        float[] centre = s.centre;
        float[] sumR = s.sumR;
        float[] sumQ = s.sumQ;
        float[] laidOut = s.laidOut;
        float[] r = s.r;
        float[] q = s.q;
        // Layout.layOut writes the period only; the padding must read as 0, also where an earlier, longer period
        // wrote centres.
        if (s.laidOutEnd > period) {
            java.util.Arrays.fill(laidOut, period, s.laidOutEnd, 0f);
        }
        s.laidOutEnd = period;
        long done = 0;
        for (int r0 = 0, nb; r0 < rows; r0 += nb) {
            nb = Math.min(blockRows, rows - r0);
            int base = offset + r0 * channels;
            if (done == 0) {
                int sample = Math.min(nb, SAMPLE_ROWS);
                System.arraycopy(x, base, centre, 0, channels);
                kernel.sum(x, base, period, sample / rowsPerPeriod, (sample % rowsPerPeriod) * channels,
                        Layout.layOut(centre, channels, period, laidOut), r, q);
                kernel.reduce(r, period, channels, sumR);
                for (int c = 0; c < channels; c++) {
                    centre[c] = Layout.center(centre[c], sumR[c], sample);
                }
            } else {
                for (int c = 0; c < channels; c++) {
                    centre[c] = (float) mean[c];
                }
            }
            int periods = nb / rowsPerPeriod;
            int tail = (nb % rowsPerPeriod) * channels;
            kernel.sum(x, base, period, periods, tail, Layout.layOut(centre, channels, period, laidOut), r, q);
            kernel.reduce(r, period, channels, sumR);
            kernel.reduce(q, period, channels, sumQ);
            if (!kernel.centred(sumR, sumQ, channels, nb)) {
                for (int c = 0; c < channels; c++) {
                    centre[c] = Layout.center(centre[c], sumR[c], nb);
                }
                kernel.sum(x, base, period, periods, tail, Layout.layOut(centre, channels, period, laidOut), r, q);
                kernel.reduce(r, period, channels, sumR);
                kernel.reduce(q, period, channels, sumQ);
            }
            kernel.mergeBlock(done, mean, m2, channels, nb, centre, sumR, sumQ);
            done += nb;
        }
    }

    /**
     * Whether the centres of channels {@code from} to {@code to} lay close to their block means: 8r² ≤ q·n, so
     * q ≤ 8/7·M2. Channels whose sums are not finite are skipped: summing them again cannot help, and one NaN must not
     * double the work of every block.
     */
    public static boolean centred(float[] r, float[] q, int from, int to, int n) {
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
