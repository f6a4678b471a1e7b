package dev.simdnorm.internal;

/**
 * The statistics algorithm of {@link Statistics} for NCHW tensors, shared by every kernel: they differ only in how
 * they sum deviations over a block ({@link Deviations}), so they agree bit for bit.
 *
 * <p>A channel is N runs (planes) of {@code spatial} floats, {@code channels·spatial} floats apart. Its values are
 * summed along memory into {@link #WIDTH} float accumulators: the value at index j of a run goes to accumulator
 * {@code j mod 64} (the whole periods of every run of a block first, then their tails), whatever the vector width, so the lanes of a vector hold one channel. A block is a group of whole
 * runs in which no accumulator sums more than {@link Layout#ACCUMULATED} values (256 runs of 49 floats, 5 runs of
 * 3136), or a segment of {@link #MAX_BLOCK_LENGTH} floats of a longer run. Each block is then treated as in
 * {@link Statistics}, one channel at a time: summed around the mean so far (the first block around the mean of its
 * first {@link Statistics#SAMPLE_ROWS} values), kept if that centre was close ({@code 8r²/n ≤ q}), else summed again
 * around its own mean from cache; its 64 accumulators are added pairwise ({@link Layout#reduce}) and the block is
 * folded in double ({@link Chan#mergeBlock}). So the NHWC error bound holds with λ = 64 accumulators per channel
 * (docs/numerics.md), and a channel whose first centre misses is summed twice alone, not with every other channel.
 */
public final class PlaneStatistics {

    /** Accumulators per channel: four vectors of the widest species ({@link Layout#WIDTH} lanes). */
    public static final int WIDTH = 4 * Layout.WIDTH;
    /** Floats of a run per block when the run is longer: {@link Layout#ACCUMULATED} per accumulator. */
    public static final int MAX_BLOCK_LENGTH = Layout.ACCUMULATED * WIDTH;

    /** How a kernel sums one channel's deviations over a block. */
    @FunctionalInterface
    public interface Deviations {
        /**
         * Per accumulator p &lt; {@link #WIDTH}: {@code r[p] = Σ(x − centre)} and {@code q[p] = Σ(x − centre)²}, each
         * square by FMA, in float, over the values at the indices j ≡ p (mod 64) of {@code runs} runs of
         * {@code length} floats starting at {@code base}, {@code base + stride}, …; in the order of the runs, then of
         * j. Accumulators that get no value are +0.
         */
        void sum(float[] x, int base, int stride, int runs, int length, float centre, float[] r, float[] q);
    }

    private PlaneStatistics() {
    }

    /**
     * Whole runs per block: each accumulator then sums at most {@link Layout#ACCUMULATED} values.
     *
     * @param spatial floats per run, H·W
     * @return runs per block; 1 when a run is longer than {@link #MAX_BLOCK_LENGTH} (it is then cut into segments)
     */
    public static int blockRuns(int spatial) {
        return spatial <= MAX_BLOCK_LENGTH ? Layout.ACCUMULATED / Math.ceilDiv(spatial, WIDTH) : 1;
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
        int runsPerBlock = blockRuns(spatial);
        int length = blockLength(spatial);
        float[] r = new float[WIDTH];
        float[] q = new float[WIDTH];
        float[] centre = new float[1];
        float[] sumR = new float[1];
        float[] sumQ = new float[1];
        double[] channelMean = new double[1];
        double[] channelM2 = new double[1];
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
                        int sampleLength = Math.min(len, Statistics.SAMPLE_ROWS);
                        int sampleRuns = Math.min(runs, Math.ceilDiv(Statistics.SAMPLE_ROWS, sampleLength));
                        float first = x[base];
                        kernel.sum(x, base, stride, sampleRuns, sampleLength, first, r, q);
                        Layout.reduce(r, WIDTH, 1, sumR);
                        centre[0] = Layout.center(first, sumR[0], sampleRuns * sampleLength);
                    } else {
                        centre[0] = (float) channelMean[0];
                    }
                    kernel.sum(x, base, stride, runs, len, centre[0], r, q);
                    Layout.reduce(r, WIDTH, 1, sumR);
                    Layout.reduce(q, WIDTH, 1, sumQ);
                    if (!Statistics.centred(sumR, sumQ, 0, 1, nb)) {
                        centre[0] = Layout.center(centre[0], sumR[0], nb);
                        kernel.sum(x, base, stride, runs, len, centre[0], r, q);
                        Layout.reduce(r, WIDTH, 1, sumR);
                        Layout.reduce(q, WIDTH, 1, sumQ);
                    }
                    Chan.mergeBlock(done, channelMean, channelM2, 0, 1, nb, centre, sumR, sumQ);
                    done += nb;
                }
            }
            mean[c] = channelMean[0];
            m2[c] = channelM2[0];
        }
    }
}
