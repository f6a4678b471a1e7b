package dev.simdnorm.internal;

/**
 * The statistics algorithm of {@link PlaneStatistics} (NCHW) with the deviations summed in double, for
 * {@code Precision.DOUBLE}: the same blocks of runs, the same {@link PlaneStatistics#WIDTH} accumulators per channel
 * (value j of a run into accumulator {@code j mod 64}, whole periods of every run first, then their tails), the same
 * centers and the same second pass for a block whose center missed; only the accumulators are doubles, and the
 * means are folded as offsets from the channel's first value, as in {@link DoubleRowStatistics} (again from the
 * channel's mean where that value lies far from the data). Every kernel sums through {@link Deviations} and shares
 * the rest, so they agree bit for bit.
 */
public final class DoublePlaneStatistics {

    /** How a kernel sums one channel's deviations over a block, in double. */
    @FunctionalInterface
    public interface Deviations {
        /**
         * {@link PlaneStatistics.Deviations#sum} with each x widened to double and the accumulators in double.
         * Accumulators that get no value are +0.
         */
        void sum(float[] x, int base, int stride, int runs, int length, double center, double[] r, double[] q);
    }

    private static final int WIDTH = PlaneStatistics.WIDTH;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private DoublePlaneStatistics() {
    }

    /** A call's working arrays, reused per thread. */
    private static final class Scratch {
        final double[] r = new double[WIDTH];
        final double[] q = new double[WIDTH];
        final double[] center = new double[1];
        final double[] sumR = new double[1];
        final double[] sumQ = new double[1];
        final double[] channelMean = new double[1];
        final double[] channelM2 = new double[1];
    }

    /**
     * Each channel's mean and M2 over an NCHW tensor of {@code n·channels·spatial} floats from {@code offset}, for
     * channels {@code fromChannel} to {@code toChannel}.
     *
     * @param kernel how the kernel sums deviations
     */
    public static void moments(Deviations kernel, float[] x, int offset, int n, int channels, int spatial,
                               int fromChannel, int toChannel, double[] mean, double[] m2) {
        Scratch s = SCRATCH.get();
        for (int c = fromChannel; c < toChannel; c++) {
            // The channel's first value: the means are folded as offsets from it (DoubleRowStatistics#moments);
            // where it lies far from the channel's data (an outlier), the channel again around its mean.
            double origin = x[offset + c * spatial];
            channel(kernel, x, offset, n, channels, spatial, c, origin, s);
            if (DoubleRowStatistics.farOrigin(origin, s.channelMean[0], s.channelM2[0], (long) n * spatial)) {
                origin += s.channelMean[0];
                channel(kernel, x, offset, n, channels, spatial, c, origin, s);
            }
            mean[c] = origin + s.channelMean[0];
            m2[c] = s.channelM2[0];
        }
    }

    /** One channel's mean, less {@code origin}, and M2, into {@code s.channelMean} and {@code s.channelM2}. */
    private static void channel(Deviations kernel, float[] x, int offset, int n, int channels, int spatial, int c,
                                double origin, Scratch s) {
        int stride = channels * spatial;
        int runsPerBlock = PlaneStatistics.blockRuns(spatial);
        int length = PlaneStatistics.blockLength(spatial);
        double[] r = s.r;
        double[] q = s.q;
        double[] center = s.center;
        double[] sumR = s.sumR;
        double[] sumQ = s.sumQ;
        double[] channelMean = s.channelMean;
        double[] channelM2 = s.channelM2;
        long done = 0;
        for (int i0 = 0, runs; i0 < n; i0 += runs) {
            runs = Math.min(runsPerBlock, n - i0);
            for (int j0 = 0, len; j0 < spatial; j0 += len) {
                len = Math.min(length, spatial - j0);
                int base = offset + (i0 * channels + c) * spatial + j0;
                int nb = runs * len;
                if (done == 0) {
                    int sampleLength = Math.min(len, RowStatistics.SAMPLE_ROWS);
                    int sampleRuns = Math.min(runs, Math.ceilDiv(RowStatistics.SAMPLE_ROWS, sampleLength));
                    double first = x[base];
                    kernel.sum(x, base, stride, sampleRuns, sampleLength, first, r, q);
                    LanePeriod.reduce(r, WIDTH, 1, sumR);
                    center[0] = first + sumR[0] / (sampleRuns * sampleLength);
                } else {
                    center[0] = origin + channelMean[0];
                }
                kernel.sum(x, base, stride, runs, len, center[0], r, q);
                LanePeriod.reduce(r, WIDTH, 1, sumR);
                LanePeriod.reduce(q, WIDTH, 1, sumQ);
                if (!DoubleRowStatistics.centered(sumR, sumQ, 1, nb)) {
                    center[0] += sumR[0] / nb;
                    kernel.sum(x, base, stride, runs, len, center[0], r, q);
                    LanePeriod.reduce(r, WIDTH, 1, sumR);
                    LanePeriod.reduce(q, WIDTH, 1, sumQ);
                }
                center[0] -= origin;
                MomentMerge.mergeBlock(done, channelMean, channelM2, 0, 1, nb, center, sumR, sumQ);
                done += nb;
            }
        }
    }
}
