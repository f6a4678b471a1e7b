package dev.simdnorm.internal;

/**
 * The statistics algorithm of {@link RowStatistics} for NCHW tensors, shared by every kernel: they differ only in how
 * they sum deviations over a block ({@link Deviations}), so they agree bit for bit.
 *
 * <p>A channel is N runs (planes) of {@code spatial} floats, {@code channels·spatial} floats apart. Its values are
 * summed along memory into {@link #WIDTH} float accumulators: the value at index j of a run goes to accumulator
 * {@code j mod 64} (the whole periods of every run of a block first, then their tails), whatever the vector width, so the lanes of a vector hold one channel. A block is a group of whole
 * runs in which no accumulator sums more than {@link LanePeriod#ACCUMULATED} values (256 runs of 49 floats, 5 runs of
 * 3136), or a segment of {@link #MAX_BLOCK_LENGTH} floats of a longer run. Each block is then treated as in
 * {@link RowStatistics}, one channel at a time: summed around the mean so far (the first block around the mean of its
 * first {@link RowStatistics#SAMPLE_ROWS} values), kept if that center was close ({@code 8r²/n ≤ q}), else summed again
 * around its own mean from cache; its 64 accumulators are added pairwise ({@link LanePeriod#reduce}) and the block is
 * folded in double ({@link MomentMerge#mergeBlock}). So the NHWC error bound holds with λ = 64 accumulators per channel
 * (docs/numerics.md), and a channel whose first center misses is summed twice alone, not with every other channel.
 * A block whose float sums are out of float's range is summed again in double, as in {@link RowStatistics}.
 */
public final class PlaneStatistics {

    /** Accumulators per channel: four vectors of the widest species ({@link LanePeriod#WIDTH} lanes). */
    public static final int WIDTH = 4 * LanePeriod.WIDTH;
    /** Floats of a run per block when the run is longer: {@link LanePeriod#ACCUMULATED} per accumulator. */
    public static final int MAX_BLOCK_LENGTH = LanePeriod.ACCUMULATED * WIDTH;

    /** How a kernel sums one channel's deviations over a block, and adds up its accumulators. */
    @FunctionalInterface
    public interface Deviations {
        /**
         * Per accumulator p &lt; {@link #WIDTH}: {@code r[p] = Σ(x − center)} and {@code q[p] = Σ(x − center)²}, each
         * square by FMA, in float, over the values at the indices j ≡ p (mod 64) of {@code runs} runs of
         * {@code length} floats starting at {@code base}, {@code base + stride}, …; in the order of the runs, then of
         * j. Accumulators that get no value are +0.
         */
        void sum(float[] x, int base, int stride, int runs, int length, float center, float[] r, float[] q);

        /**
         * {@link LanePeriod#reduce} of the {@link #WIDTH} accumulators into one sum: a kernel that does it in vectors
         * makes the same single add per position, so the sum keeps every bit. On short runs (LayerNorm's rows of 64
         * floats) the reductions are most of a block's work.
         */
        default void reduce(float[] accumulators, float[] out) {
            LanePeriod.reduce(accumulators, WIDTH, 1, out);
        }

        /**
         * {@link #sum}, then {@link #reduce} of r into {@code sumR[0]} and of q into {@code sumQ[0]}: a kernel may
         * keep the accumulators in registers, with the same adds, so the sums keep every bit. {@code r} and {@code q}
         * are left undefined. On the planes of a small image (a few hundred floats a channel) the accumulators'
         * stores and reloads for the reductions were a third of the time.
         */
        default void sumReduced(float[] x, int base, int stride, int runs, int length, float center, float[] r,
                                float[] q, float[] sumR, float[] sumQ) {
            sum(x, base, stride, runs, length, center, r, q);
            reduce(r, sumR);
            reduce(q, sumQ);
        }
    }

    private PlaneStatistics() {
    }

    /**
     * Whole runs per block: each accumulator then sums at most {@link LanePeriod#ACCUMULATED} values.
     *
     * @param spatial floats per run, H·W
     * @return runs per block; 1 when a run is longer than {@link #MAX_BLOCK_LENGTH} (it is then cut into segments)
     */
    public static int blockRuns(int spatial) {
        return spatial <= MAX_BLOCK_LENGTH ? LanePeriod.ACCUMULATED / Math.ceilDiv(spatial, WIDTH) : 1;
    }

    /**
     * Floats of a run per block.
     *
     * @param spatial floats per run, H·W
     * @return the whole run, or {@link #MAX_BLOCK_LENGTH} for a longer one
     */
    public static int blockLength(int spatial) {
        return Math.min(spatial, MAX_BLOCK_LENGTH);
    }

    /**
     * Each channel's mean and M2 over an NCHW tensor of {@code n·channels·spatial} floats from {@code offset}.
     *
     * @param kernel how the kernel sums deviations
     */
    public static void moments(Deviations kernel, float[] x, int offset, int n, int channels, int spatial,
                               int fromChannel, int toChannel, double[] mean, double[] m2) {
        int stride = channels * spatial;
        if (n == 1 && spatial > 0 && spatial <= MAX_BLOCK_LENGTH) {
            singleBlocks(kernel, x, offset, stride, spatial, fromChannel, toChannel, mean, m2);
            return;
        }
        int runsPerBlock = blockRuns(spatial);
        int length = blockLength(spatial);
        Scratch s = SCRATCH.get();
        float[] r = s.r;
        float[] q = s.q;
        float[] center = s.center;
        float[] sumR = s.sumR;
        float[] sumQ = s.sumQ;
        double[] channelMean = s.channelMean;
        double[] channelM2 = s.channelM2;
        for (int c = fromChannel; c < toChannel; c++) {
            long done = 0;
            for (int i0 = 0, runs; i0 < n; i0 += runs) {
                runs = Math.min(runsPerBlock, n - i0);
                for (int j0 = 0, len; j0 < spatial; j0 += len) {
                    len = Math.min(length, spatial - j0);
                    int base = offset + (i0 * channels + c) * spatial + j0;
                    int nb = runs * len;
                    if (done == 0) {
                        // The first SAMPLE_ROWS values (whole runs when runs are shorter), around the first value.
                        int sampleLength = Math.min(len, RowStatistics.SAMPLE_ROWS);
                        int sampleRuns = Math.min(runs, Math.ceilDiv(RowStatistics.SAMPLE_ROWS, sampleLength));
                        float first = x[base];
                        kernel.sumReduced(x, base, stride, sampleRuns, sampleLength, first, r, q, sumR, sumQ);
                        center[0] = LanePeriod.center(first, sumR[0], sampleRuns * sampleLength);
                    } else {
                        center[0] = (float) channelMean[0];
                    }
                    kernel.sumReduced(x, base, stride, runs, len, center[0], r, q, sumR, sumQ);
                    foldBlock(kernel, x, base, stride, runs, len, done, s);
                    done += nb;
                }
            }
            mean[c] = channelMean[0];
            m2[c] = channelM2[0];
        }
    }

    /** Channels per step of {@link #singleBlocks}: their reductions overlap in the core. */
    private static final int BATCH = 16;

    /**
     * {@link #moments} where each channel is one run of one block (LayerNorm's rows, the planes of one image): the
     * same operations on each channel, taken a step at a time over {@link #BATCH} channels (every first center, then
     * every sum around it, then the checks and folds), so the reductions of different channels, a chain of dependent
     * adds each, overlap instead of following one another. Short runs are bound by that chain (JFR: the lane
     * extraction and the accumulators' stores on top). The same bits as one channel at a time.
     */
    private static void singleBlocks(Deviations kernel, float[] x, int offset, int stride, int spatial,
                                     int fromChannel, int toChannel, double[] mean, double[] m2) {
        Scratch s = SCRATCH.get();
        float[] r = s.r;
        float[] q = s.q;
        float[] centers = s.centers;
        float[] sumsR = s.sumsR;
        float[] sumsQ = s.sumsQ;
        int sampleLength = Math.min(spatial, RowStatistics.SAMPLE_ROWS);
        for (int c0 = fromChannel; c0 < toChannel; c0 += BATCH) {
            int batch = Math.min(BATCH, toChannel - c0);
            for (int k = 0, base = offset + c0 * spatial; k < batch; k++, base += spatial) {
                float first = x[base];
                kernel.sumReduced(x, base, stride, 1, sampleLength, first, r, q, s.sumR, s.sumQ);
                centers[k] = LanePeriod.center(first, s.sumR[0], sampleLength);
            }
            for (int k = 0, base = offset + c0 * spatial; k < batch; k++, base += spatial) {
                kernel.sumReduced(x, base, stride, 1, spatial, centers[k], r, q, s.sumR, s.sumQ);
                sumsR[k] = s.sumR[0];
                sumsQ[k] = s.sumQ[0];
            }
            for (int k = 0, base = offset + c0 * spatial; k < batch; k++, base += spatial) {
                s.center[0] = centers[k];
                s.sumR[0] = sumsR[k];
                s.sumQ[0] = sumsQ[k];
                foldBlock(kernel, x, base, stride, 1, spatial, 0, s);
                mean[c0 + k] = s.channelMean[0];
                m2[c0 + k] = s.channelM2[0];
            }
        }
    }

    /**
     * The first step of {@link #moments} for a channel that is one run of {@code length ≤ MAX_BLOCK_LENGTH} floats
     * from {@code base} (LayerNorm's long rows, when a row is summed while another is written): its center, the mean
     * of its first {@link RowStatistics#SAMPLE_ROWS} values around its first value.
     *
     * @param kernel how the kernel sums deviations
     */
    public static float runCenter(Deviations kernel, float[] x, int base, int length) {
        Scratch s = SCRATCH.get();
        int sampleLength = Math.min(length, RowStatistics.SAMPLE_ROWS);
        float first = x[base];
        kernel.sumReduced(x, base, length, 1, sampleLength, first, s.r, s.q, s.sumR, s.sumQ);
        return LanePeriod.center(first, s.sumR[0], sampleLength);
    }

    /**
     * The second step for such a run: {@link Deviations#sumReduced} around {@code center}, R into {@code sums[0]} and
     * Q into {@code sums[1]}.
     *
     * @param kernel how the kernel sums deviations
     */
    public static void sumRun(Deviations kernel, float[] x, int base, int length, float center, float[] sums) {
        Scratch s = SCRATCH.get();
        kernel.sumReduced(x, base, length, 1, length, center, s.r, s.q, s.sumR, s.sumQ);
        sums[0] = s.sumR[0];
        sums[1] = s.sumQ[0];
    }

    /**
     * The last step for such a run, summed around {@code center} into R and Q: its mean and M2 into
     * {@code mean[i]} and {@code m2[i]}, as {@link #moments} folds it (summed again where the center missed).
     *
     * @param kernel how the kernel sums deviations
     */
    public static void foldRun(Deviations kernel, float[] x, int base, int length, float center, float sumR,
                               float sumQ, double[] mean, double[] m2, int i) {
        Scratch s = SCRATCH.get();
        s.center[0] = center;
        s.sumR[0] = sumR;
        s.sumQ[0] = sumQ;
        foldBlock(kernel, x, base, length, 1, length, 0, s);
        mean[i] = s.channelMean[0];
        m2[i] = s.channelM2[0];
    }

    /**
     * Folds a block summed around {@code s.center} (its sums in {@code s.sumR} and {@code s.sumQ}) into the channel's
     * moments in {@code s.channelMean} and {@code s.channelM2}, {@code done} values in: summed again around its own
     * mean first where that center was not close ({@link RowStatistics#centered}), in double where its float sums
     * are out of range.
     */
    private static void foldBlock(Deviations kernel, float[] x, int base, int stride, int runs, int len, long done,
                                  Scratch s) {
        float[] center = s.center;
        float[] sumR = s.sumR;
        float[] sumQ = s.sumQ;
        int nb = runs * len;
        if (!RowStatistics.centered(sumR, sumQ, 0, 1, nb)) {
            center[0] = LanePeriod.center(center[0], sumR[0], nb);
            kernel.sumReduced(x, base, stride, runs, len, center[0], s.r, s.q, sumR, sumQ);
        }
        if (RowStatistics.inRange(sumR[0], sumQ[0], center[0], nb * 0x1p-100f)
                || sumR[0] == 0f && sumQ[0] == 0f && constant(x, base, stride, runs, len, center[0])) {
            MomentMerge.mergeBlock(done, s.channelMean, s.channelM2, 0, 1, nb, center, sumR, sumQ);
        } else {
            mergeBlockInDouble(x, base, stride, runs, len, done, s.channelMean, s.channelM2);
        }
    }

    /**
     * Folds one block of a channel from its values summed again in double, two passes: for float sums out of float's
     * range (see {@link RowStatistics}).
     */
    private static void mergeBlockInDouble(float[] x, int base, int stride, int runs, int length, long done,
                                           double[] mean, double[] m2) {
        double sum = 0;
        for (int k = 0, b = base; k < runs; k++, b += stride) {
            for (int j = 0; j < length; j++) {
                sum += x[b + j];
            }
        }
        long n = (long) runs * length;
        double blockMean = sum / n;
        double blockM2 = 0;
        for (int k = 0, b = base; k < runs; k++, b += stride) {
            for (int j = 0; j < length; j++) {
                double d = x[b + j] - blockMean;
                blockM2 += d * d;
            }
        }
        MomentMerge.merge(done, mean, m2, 0, n, blockMean, blockM2);
    }

    /** Whether the block's values all equal {@code center} (see {@link RowStatistics#inRange}). */
    private static boolean constant(float[] x, int base, int stride, int runs, int length, float center) {
        boolean all = true;
        for (int k = 0, b = base; k < runs; k++, b += stride) {
            all &= RowStatistics.constant(x, b, 1, length, center);
        }
        return all;
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** A call's working arrays, reused per thread. */
    private static final class Scratch {
        final float[] r = new float[WIDTH];
        final float[] q = new float[WIDTH];
        final float[] center = new float[1];
        final float[] sumR = new float[1];
        final float[] sumQ = new float[1];
        final double[] channelMean = new double[1];
        final double[] channelM2 = new double[1];
        final float[] centers = new float[BATCH];
        final float[] sumsR = new float[BATCH];
        final float[] sumsQ = new float[BATCH];
    }
}
