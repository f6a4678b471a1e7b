package dev.simdnorm.internal;

/**
 * The first pass of the backward pass, shared by every kernel: they differ only in how they sum one block
 * ({@link BlockSums}), so they agree bit for bit.
 *
 * <p>Per position of the statistics period ({@link LanePeriod}) and in float, a block sums the masked gradient
 * {@code g} and {@code v·g} (by FMA), where {@code v = (x − c_hi) − c_lo} is the forward map's centered input. Blocks
 * hold {@link LanePeriod#blockRows} rows, so each accumulator sums at most {@link LanePeriod#ACCUMULATED} terms and the float
 * error of a block stays that of a 256-term sum (Higham 2002, §4.2) whatever the number of rows; the positions of a
 * channel are then summed pairwise ({@link LanePeriod#reduce}) and the blocks added in double. No center has to
 * be found: the forward map's center is the batch mean, carried as a hi/lo pair, so {@code v} is the deviation from
 * the mean to within about 2u·|x − μ|. A block sum of a channel that is not finite (a float sum overflowed) is summed
 * again over that block in double, as the statistics are: no infinite or NaN gradient sums from finite data.
 */
public final class GradientSums {

    /** How a kernel sums one block. */
    @FunctionalInterface
    public interface BlockSums {
        /**
         * Per position p of the period: {@code sumG[p] = Σg} and {@code sumVG[p] = Σv·g} (each product by FMA), in
         * float from +0, over {@code periods} whole periods from {@code xBase} and {@code dyBase} and then the first
         * {@code tail} positions of one more; positions past the tail get sums over the whole periods only. With
         * {@code relu}, {@code g = fma(v, scale, shift) ≤ 0 ? 0 : dy}, else {@code g = dy}.
         *
         * @param forward the forward map's parameters, as this kernel laid them out
         */
        void sum(float[] x, int xBase, float[] dy, int dyBase, int period, int periods, int tail, AffineParams forward,
                 boolean relu, float[] sumG, float[] sumVG);
    }

    private static final ThreadScratch<Scratch> SCRATCH =
            new ThreadScratch<>(Scratch.FIRST_PERIOD, Scratch::new, s -> s.period);

    private GradientSums() {
    }

    /** A call's working arrays, kept per thread ({@link ThreadScratch}). */
    private static final class Scratch {
        /** The period a thread's first arrays hold. */
        static final int FIRST_PERIOD = 4096;

        /** The longest period these arrays hold. */
        final int period;

        final float[] g;
        final float[] vg;
        final float[] blockG;
        final float[] blockVG;

        Scratch(int period) {
            this.period = period;
            g = LanePeriod.padded(period);
            vg = LanePeriod.padded(period);
            blockG = new float[period];
            blockVG = new float[period];
        }
    }

    /**
     * Each channel's {@code Σg} and {@code Σv·g} over {@code rows} rows.
     *
     * @param kernel         how the kernel sums a block
     * @param sumDy          out: per-channel Σg, length ≥ channels
     * @param sumDeviationDy out: per-channel Σv·g, length ≥ channels
     */
    public static void sums(BlockSums kernel, float[] x, int xOffset, float[] dy, int dyOffset, int rows,
                            AffineParams forward, boolean relu, double[] sumDy, double[] sumDeviationDy) {
        int channels = forward.channels();
        int period = LanePeriod.walked(channels);
        int rowsPerPeriod = period / channels;
        int blockRows = LanePeriod.blockRows(channels);
        Scratch s = SCRATCH.of(period);
        float[] g = s.g;
        float[] vg = s.vg;
        float[] blockG = s.blockG;
        float[] blockVG = s.blockVG;
        java.util.Arrays.fill(sumDy, 0, channels, 0.0);
        java.util.Arrays.fill(sumDeviationDy, 0, channels, 0.0);
        for (int r0 = 0, nb; r0 < rows; r0 += nb) {
            nb = Math.min(blockRows, rows - r0);
            int start = r0 * channels;
            kernel.sum(x, xOffset + start, dy, dyOffset + start, period, nb / rowsPerPeriod,
                    (nb % rowsPerPeriod) * channels, forward, relu, g, vg);
            LanePeriod.reduce(g, period, channels, blockG);
            LanePeriod.reduce(vg, period, channels, blockVG);
            if (allFinite(blockG, blockVG, channels)) {
                for (int c = 0; c < channels; c++) {
                    sumDy[c] += blockG[c];
                    sumDeviationDy[c] += blockVG[c];
                }
                continue;
            }
            for (int c = 0; c < channels; c++) {
                float bg = blockG[c];
                float bvg = blockVG[c];
                if (Float.isFinite(bg) && Float.isFinite(bvg)) {
                    sumDy[c] += bg;
                    sumDeviationDy[c] += bvg;
                } else {
                    // A float sum overflowed (|v·g| or Σg past the largest float), or the data are not finite: that
                    // sum of this channel's block again in double, where finite data give the true sum and others
                    // stay non-finite; a finite sum is kept as it is (Σg does not depend on x).
                    resumInDouble(x, xOffset + start, dy, dyOffset + start, nb, c, forward, relu, sumDy, sumDeviationDy,
                            bg, bvg);
                }
            }
        }
    }

    /**
     * Whether the first {@code channels} sums of both blocks are finite: {@code a − a} is 0 for a finite a and NaN
     * otherwise, so the total is 0 only if all are. No call a channel: C2 left {@code Float.isFinite} out of line in
     * the backward pass's large compilation, 11 % of a 16 KiB backward at C = 256 (perf, cpu-clock samples).
     */
    private static boolean allFinite(float[] a, float[] b, int channels) {
        float zero = 0f;
        for (int c = 0; c < channels; c++) {
            zero += (a[c] - a[c]) + (b[c] - b[c]);
        }
        return zero == 0f;
    }

    /**
     * Adds channel c's {@code Σg} and {@code Σv·g} over {@code rows} rows from the given bases: the block's float sum
     * where it is finite, else the sum in double, with {@code v = (x − c_hi) − c_lo} in double. The ReLU mask is the
     * kernels' ({@code fma(v, scale, shift)} in float on the float v) but where that v overflows float: there the
     * forward output in double, as {@code DeviationOverflow} computes it in inference; the float {@code Σg} of such
     * a block, masked by the float v, is then not kept.
     */
    private static void resumInDouble(float[] x, int xBase, float[] dy, int dyBase, int rows, int c, AffineParams f,
                                 boolean relu, double[] sumDy, double[] sumDeviationDy, float blockG, float blockVG) {
        int channels = f.channels();
        float hi = f.center()[c];
        float lo = f.centerLow()[c];
        double sumG = 0;
        double sumVG = 0;
        boolean maskRedone = false;
        for (int r = 0, i = c; r < rows; r++, i += channels) {
            float xi = x[xBase + i];
            double v = ((double) xi - hi) - lo;
            float g = dy[dyBase + i];
            if (relu) {
                maskRedone |= AffineParams.deviationOverflows(xi, hi, lo);
                g = ScalarKernel.reluGradient(g, f.output(xi, c));
            }
            sumG += g;
            sumVG += v * g;
        }
        sumDy[c] += Float.isFinite(blockG) && !maskRedone ? blockG : sumG;
        sumDeviationDy[c] += Float.isFinite(blockVG) ? blockVG : sumVG;
    }
}
