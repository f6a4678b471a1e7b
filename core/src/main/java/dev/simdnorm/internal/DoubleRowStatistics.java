package dev.simdnorm.internal;

/**
 * The statistics algorithm of {@link RowStatistics} with the deviations summed in double, for
 * {@code Precision.DOUBLE}: shared by every kernel, which differ only in how they sum a block ({@link Deviations}), so
 * they agree bit for bit.
 *
 * <p>The walk is {@link RowStatistics}'s, on {@link LanePeriod#walkedInDouble} (the float walk's period, or for C = 3,
 * 6, 12, 24 and 48 a quarter of it, and blocks a quarter as long), with the same centers (the mean so far; for the
 * first block the mean of its first {@link RowStatistics#SAMPLE_ROWS} rows; a block whose center missed,
 * {@code 8r² > q·n}, summed again around its own mean from cache). Only the accumulators are doubles: each float is
 * widened exactly, its deviation from a double center is rounded once (2⁻⁵³ relative), and its square is added by FMA.
 * Finite floats have finite, normal deviations and squares in double (|d| ≤ 2¹²⁹, d² ≥ 2⁻²⁹⁸), so no block needs
 * another path. Each accumulator sums 256 values, the positions of a channel are added pairwise, blocks are folded in
 * order by Chan's formula (at most 20 per slice) and slices of 1 to 4 MiB in a fixed tree, so the relative error of M2
 * is bounded by about 3·(256 + log₂ accumulators + blocks per slice + log₂ slices)·8/7·2⁻⁵³: below 1.2e-13 for any
 * count (docs/numerics.md). The means are folded as offsets from a fixed origin (see {@link #moments}), so how far the
 * data sit from zero does not enter that bound.
 */
public final class DoubleRowStatistics {

    /** How a kernel sums deviations over part of a block, in double. */
    @FunctionalInterface
    public interface Deviations {
        /**
         * Per position p of the period: {@code r[p] = Σ(x − center[p])} and {@code q[p] = Σ(x − center[p])²}, each x
         * widened to double, each square by FMA, over {@code periods} whole periods from {@code base} and then the
         * first {@code tail} positions of one more; positions past the tail get sums over the whole periods only.
         */
        void sum(float[] x, int base, int period, int periods, int tail, double[] center, double[] r, double[] q);
    }

    private static final ThreadScratch<Scratch> SCRATCH =
            new ThreadScratch<>(Scratch.FIRST_PERIOD, Scratch::new, s -> s.period);

    private DoubleRowStatistics() {
    }

    /** A call's working arrays, kept per thread ({@link ThreadScratch}). */
    private static final class Scratch {
        /** The period a thread's first arrays hold: 6 × 32 KiB. */
        static final int FIRST_PERIOD = 4096;

        /** The longest period these arrays hold. */
        final int period;

        final double[] center;
        final double[] sumR;
        final double[] sumQ;
        final double[] laidOut;
        final double[] r;
        final double[] q;
        /** Entries of {@code laidOut} from here on are 0. */
        int laidOutEnd;

        Scratch(int period) {
            this.period = period;
            int padded = LanePeriod.padded(period).length;
            center = new double[period];
            sumR = new double[period];
            sumQ = new double[period];
            laidOut = new double[padded];
            r = new double[padded];
            q = new double[padded];
        }
    }

    /**
     * Each channel's mean, less {@code origin[c]}, and M2 over {@code rows} rows from {@code offset}. The means are
     * kept and folded as offsets from a fixed origin near the data (the first row of the whole call): a mean of
     * 1e7 in double is off by up to 2⁻⁵³·1e7, which Chan's fold would carry into M2 through the difference of block
     * means, while an offset is off by 2⁻⁵³ of the offset.
     *
     * @param kernel how the kernel sums deviations
     * @param origin per channel, the value the means are taken from
     * @param mean   out: per channel, the mean less {@code origin[c]}
     */
    public static void moments(Deviations kernel, float[] x, int offset, int rows, int channels, double[] origin,
                               double[] mean, double[] m2) {
        int period = LanePeriod.walkedInDouble(channels);
        int rowsPerPeriod = period / channels;
        int blockRows = LanePeriod.blockRowsInDouble(channels);
        Scratch s = SCRATCH.of(period);
        double[] center = s.center;
        double[] sumR = s.sumR;
        double[] sumQ = s.sumQ;
        double[] laidOut = s.laidOut;
        double[] r = s.r;
        double[] q = s.q;
        if (s.laidOutEnd > period) {
            java.util.Arrays.fill(laidOut, period, s.laidOutEnd, 0.0);
        }
        s.laidOutEnd = period;
        long done = 0;
        for (int r0 = 0, nb; r0 < rows; r0 += nb) {
            nb = Math.min(blockRows, rows - r0);
            int base = offset + r0 * channels;
            if (done == 0) {
                int sample = Math.min(nb, RowStatistics.SAMPLE_ROWS);
                for (int c = 0; c < channels; c++) {
                    center[c] = x[base + c];
                }
                kernel.sum(x, base, period, sample / rowsPerPeriod, (sample % rowsPerPeriod) * channels,
                        LanePeriod.layOut(center, channels, period, laidOut), r, q);
                LanePeriod.reduce(r, period, channels, sumR);
                for (int c = 0; c < channels; c++) {
                    center[c] += sumR[c] / sample;
                }
            } else {
                for (int c = 0; c < channels; c++) {
                    center[c] = origin[c] + mean[c];
                }
            }
            int periods = nb / rowsPerPeriod;
            int tail = (nb % rowsPerPeriod) * channels;
            kernel.sum(x, base, period, periods, tail, LanePeriod.layOut(center, channels, period, laidOut), r, q);
            LanePeriod.reduce(r, period, channels, sumR);
            LanePeriod.reduce(q, period, channels, sumQ);
            if (!centered(sumR, sumQ, channels, nb)) {
                for (int c = 0; c < channels; c++) {
                    center[c] += sumR[c] / nb;
                }
                kernel.sum(x, base, period, periods, tail, LanePeriod.layOut(center, channels, period, laidOut), r,
                        q);
                LanePeriod.reduce(r, period, channels, sumR);
                LanePeriod.reduce(q, period, channels, sumQ);
            }
            // The centers as offsets from the origin: exact where the two are within a factor 2 (Sterbenz).
            for (int c = 0; c < channels; c++) {
                center[c] -= origin[c];
            }
            MomentMerge.mergeBlock(done, mean, m2, 0, channels, nb, center, sumR, sumQ);
            done += nb;
        }
    }

    /**
     * How far from the data, in units of |μ| + σ, an origin may lie before its channel is summed again around its
     * mean: the offsets are off by 2⁻⁵³ of their size, so an origin within 8·(|μ| + σ) adds at most about
     * 2⁻⁵⁰·(|μ| + σ) to the mean's error, a small part of its bound 2K·2⁻⁵³·(|μ| + σ) with K = 313
     * (docs/numerics.md). Only an outlier first value lies further.
     */
    static final double FAR_ORIGIN = 8;

    /**
     * Whether a channel's origin lay so far from its data (beyond {@link #FAR_ORIGIN}·(|μ| + σ), an outlier first
     * value) that the offsets' rounding may exceed the mean's bound: 2⁻⁵³·|x₀ − μ| grows as σ·√n for one outlier.
     * False for non-finite moments.
     *
     * @param origin the channel's origin
     * @param offset its mean less the origin
     * @param m2     its M2
     * @param count  its number of values
     */
    public static boolean farOrigin(double origin, double offset, double m2, long count) {
        return Math.abs(offset) > FAR_ORIGIN * (Math.abs(origin + offset) + Math.sqrt(m2 / count));
    }

    /**
     * After a pass of a call in double mode: moves the origin of each channel that {@link #farOrigin} finds far to
     * its mean so far, for a second pass of the call (a rare one: an outlier first row). The second pass's offsets are
     * at most a few σ, and the decision depends only on the first pass's result, which is the same bits for any
     * kernel, slicing and thread count.
     *
     * @param origin per channel, the origins, updated
     * @param mean   per channel, the means less the origins, from the first pass
     * @param m2     per channel, the M2 from the first pass
     * @param count  values per channel
     * @return whether any origin moved, and so whether the call must run again
     */
    public static boolean moveFarOrigins(double[] origin, double[] mean, double[] m2, long count, int channels) {
        boolean moved = false;
        for (int c = 0; c < channels; c++) {
            if (farOrigin(origin[c], mean[c], m2[c], count)) {
                origin[c] += mean[c];
                moved = true;
            }
        }
        return moved;
    }

    /**
     * Whether every channel's center lay close to its block mean, {@code 8r² ≤ q·n} (so q ≤ 8/7·M2), as
     * {@link RowStatistics#centered}; channels whose sums are not finite (non-finite data) are skipped.
     */
    static boolean centered(double[] r, double[] q, int channels, int n) {
        for (int c = 0; c < channels; c++) {
            double rc = r[c];
            double qn = q[c] * n;
            if (8 * rc * rc > qn && Double.isFinite(rc) && Double.isFinite(qn)) {
                return false;
            }
        }
        return true;
    }
}
