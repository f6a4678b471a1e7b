package dev.simdnorm;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static dev.simdnorm.prop.SameMoments.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link Precision#DOUBLE} against exact moments, with whichever kernel this surefire execution runs (the kernels'
 * agreement bit for bit is in VectorKernelPropertyTest and NchwKernelPropertyTest).
 *
 * <p>Error bound (DoubleRowStatistics, docs/numerics.md). Each x is widened exactly and its deviation from a double
 * center rounded once; an accumulator sums at most 256 values, a channel's λ ≤ 64 accumulators are added pairwise
 * (log₂ λ ≤ 6), at most 20 blocks are folded in order within a slice of 1 MiB (C = 3: slices of five 16384-row
 * float blocks, double blocks of 4096 rows) and the slices in a tree of depth ≤ 31. Summing k terms errs by at most
 * (k−1)·u·Σ|terms| (Higham 2002, §4.2; u = 2⁻⁵³), so with K = 256 + 6 + 20 + 31 = 313 the M2 of a block errs by
 * at most 3K·u·S, where S = Σ(x − c)² ≤ 8/7·M2 (a center is kept only if 8r² ≤ q·n). So the variance is within
 * {@link #VARIANCE_BOUND} = 3K·(8/7)·u ≈ 1.2e-13 relatively, and the mean within 2K·u·(|μ| + σ): both below the
 * 1e-12 the double mode promises.
 */
class DoublePrecisionTest {

    private static final int K = 256 + 6 + 20 + 31;
    private static final double U = 0x1p-53;
    static final double VARIANCE_BOUND = 3 * K * (8.0 / 7) * U;
    private static final MathContext MC = new MathContext(60);

    /** Floats on the grid of one binade, with their exact moments from integer sums. */
    record Grid(float[] x, int rows, int channels, double[] mean, double[] variance) {
    }

    /**
     * Channel c: {@code centers[c] + k·ulp} with k the rounded N(0, (sd/ulp)²), every value inside the binade of the
     * center so that x·2^-e is an integer and the sums of k and k² are exact in long.
     */
    static Grid grid(int rows, float[] centers, double sd, long seed) {
        int channels = centers.length;
        float[] x = new float[rows * channels];
        long[] sumK = new long[channels];
        long[] sumK2 = new long[channels];
        SplittableRandom random = new SplittableRandom(seed);
        double[] ulp = new double[channels];
        for (int c = 0; c < channels; c++) {
            ulp[c] = Math.ulp(centers[c]);
            float low = Math.scalb(1f, Math.getExponent(centers[c]));
            assertTrue(centers[c] - 8 * sd >= low && centers[c] + 8 * sd < 2 * low, "the data leave the binade");
        }
        for (int r = 0, i = 0; r < rows; r++) {
            for (int c = 0; c < channels; c++, i++) {
                long k = Math.round(random.nextGaussian() * sd / ulp[c]);
                x[i] = (float) (centers[c] + k * ulp[c]); // exact: on the grid, inside the binade
                sumK[c] += k;
                sumK2[c] += k * k;
            }
        }
        double[] mean = new double[channels];
        double[] variance = new double[channels];
        BigDecimal n = BigDecimal.valueOf(rows);
        for (int c = 0; c < channels; c++) {
            BigDecimal u = new BigDecimal(ulp[c]);
            mean[c] = new BigDecimal(centers[c]).add(BigDecimal.valueOf(sumK[c]).multiply(u).divide(n, MC))
                    .doubleValue();
            // M2·n = (n·Σk² − (Σk)²)·ulp², exactly.
            BigInteger m2n = BigInteger.valueOf(rows).multiply(BigInteger.valueOf(sumK2[c]))
                    .subtract(BigInteger.valueOf(sumK[c]).pow(2));
            variance[c] = new BigDecimal(m2n).multiply(u.pow(2)).divide(n.pow(2), MC).doubleValue();
        }
        return new Grid(x, rows, channels, mean, variance);
    }

    /** The exact moments of any floats, from BigDecimal sums: mean and biased variance per channel. */
    static double[][] exact(float[] x, int rows, int channels) {
        double[][] out = new double[2][channels];
        BigDecimal n = BigDecimal.valueOf(rows);
        for (int c = 0; c < channels; c++) {
            BigDecimal s1 = BigDecimal.ZERO;
            BigDecimal s2 = BigDecimal.ZERO;
            for (int r = 0; r < rows; r++) {
                BigDecimal v = new BigDecimal(x[r * channels + c]);
                s1 = s1.add(v);
                s2 = s2.add(v.multiply(v));
            }
            out[0][c] = s1.divide(n, MC).doubleValue();
            out[1][c] = n.multiply(s2).subtract(s1.multiply(s1)).divide(n.pow(2), MC).doubleValue();
        }
        return out;
    }

    static void assertWithinBound(double exactMean, double exactVariance, Moments m, int c, String what) {
        double sd = Math.sqrt(exactVariance);
        double meanBound = 2 * K * U * (Math.abs(exactMean) + sd);
        assertTrue(Math.abs(m.meanAsDouble(c) - exactMean) <= meanBound, what + ", channel " + c + ": mean "
                + m.meanAsDouble(c) + ", exact " + exactMean + ", bound " + meanBound);
        double error = Math.abs(m.varianceAsDouble(c) - exactVariance);
        assertTrue(error <= VARIANCE_BOUND * exactVariance, what + ", channel " + c + ": variance "
                + m.varianceAsDouble(c) + ", exact " + exactVariance + ", relative error "
                + error / exactVariance + " > " + VARIANCE_BOUND);
    }

    /**
     * The hard data: per-channel mean 1e4 and sd 1 (float mode: about 1e-7), then mean 1e7 with sd 1, and with
     * sd 1e-3, which float32 cannot hold: every value rounds to the mean, and the variance must be exactly 0.
     */
    @Test
    void hardDataWithinTheBound() {
        Grid g = grid(1 << 20, new float[] {1e4f, 1.2e4f, 9e3f}, 1.0, 11);
        Moments m = Moments.of(g.x(), 0, g.rows(), g.channels(), Precision.DOUBLE);
        for (int c = 0; c < g.channels(); c++) {
            assertWithinBound(g.mean()[c], g.variance()[c], m, c, "mean 1e4, sd 1");
        }
        // Four slices merged in the tree: means of 1e7 in double are off by 1e-9, which Chan's merge would carry into
        // M2 at about 2⁻⁵³·(μ/σ)/√n ≈ 1e-12 relatively, were the means not merged as offsets from the first row.
        Grid far = grid(1 << 20, new float[] {1e7f}, 1.0, 12);
        Moments mf = Moments.of(far.x(), 0, far.rows(), 1, Precision.DOUBLE);
        assertWithinBound(far.mean()[0], far.variance()[0], mf, 0, "mean 1e7, sd 1");
        Grid flat = grid(100_000, new float[] {1e7f}, 1e-3, 13);
        Moments mc = Moments.of(flat.x(), 0, flat.rows(), 1, Precision.DOUBLE);
        assertEquals(0.0, flat.variance()[0], "the data are constant in float");
        assertEquals(1e7, mc.meanAsDouble(0));
        assertEquals(0.0, mc.varianceAsDouble(0));
    }

    /**
     * An outlier first value: the means are offsets from the first row, each off by 2⁻⁵³ of the offset, so with the
     * origin at 3e38 and the other 2²³ − 1 values at 1.5e22 every later block's offset rounded to −3e38, and the mean
     * erred by 1.5e22, twice the bound (σ ≈ 1e35, |μ| ≈ 3.6e31). Such a channel is summed again around its mean, in
     * both layouts, with the same bits for every thread count and form.
     */
    @Test
    void outlierFirstValueWithinTheBound() {
        int n = 1 << 23;
        float outlier = 3e38f;
        float bulk = 1.5e22f;
        float[] x = new float[n];
        java.util.Arrays.fill(x, bulk);
        x[0] = outlier;
        BigDecimal a = new BigDecimal(outlier);
        BigDecimal b = new BigDecimal(bulk);
        BigDecimal count = BigDecimal.valueOf(n);
        BigDecimal exactMean = a.add(b.multiply(count.subtract(BigDecimal.ONE))).divide(count, MC);
        // Two values: σ² = (n − 1)·(a − b)²/n².
        BigDecimal exactVariance = count.subtract(BigDecimal.ONE).multiply(a.subtract(b).pow(2)).divide(count.pow(2),
                MC);
        Grid g = new Grid(x, n, 1, new double[] {exactMean.doubleValue()},
                new double[] {exactVariance.doubleValue()});
        assertWithinBound(g.mean()[0], g.variance()[0], Moments.of(x, 0, n, 1, Precision.DOUBLE), 0, "NHWC");
        assertWithinBound(g.mean()[0], g.variance()[0], Moments.of(x, 0, new TensorShape(TensorLayout.NCHW, 8, 1,
                n / 8), Precision.DOUBLE, Parallelism.sequential()), 0, "NCHW");
        sameBitsEverywhere(g);
    }

    /** The float mode misses the bound on the hard data: the test can tell the two apart. */
    @Test
    void floatModeIsCoarserOnTheSameData() {
        Grid g = grid(1 << 16, new float[] {1e4f}, 1.0, 14);
        Moments m = Moments.of(g.x(), 0, g.rows(), 1, Precision.FLOAT);
        double relative = Math.abs(m.varianceAsDouble(0) - g.variance()[0]) / g.variance()[0];
        assertTrue(relative > VARIANCE_BOUND, "float mode's relative error " + relative);
    }

    /** Any magnitude a float has, from subnormal to near the largest, against BigDecimal sums. */
    @Test
    void extremeMagnitudesAgainstExactSums() {
        SplittableRandom random = new SplittableRandom(15);
        int rows = 3000;
        float[][] scales = {{3e38f, 1e-44f, 1f}, {1e-38f, 2e38f, 1e30f}};
        for (float[] scale : scales) {
            int channels = scale.length;
            float[] x = new float[rows * channels];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < channels; c++) {
                    // Mean about scale/3, spread about scale/2: deviations and squares beyond float's range.
                    x[r * channels + c] = (float) (scale[c] * Math.clamp(0.33 + 0.5 * random.nextGaussian(), -1.0, 1.0));
                }
            }
            double[][] e = exact(x, rows, channels);
            Moments m = Moments.of(x, 0, rows, channels, Precision.DOUBLE);
            for (int c = 0; c < channels; c++) {
                assertWithinBound(e[0][c], e[1][c], m, c, "scale " + scale[c]);
            }
        }
    }

    /** NCHW sums each channel's planes along memory: the same bound against the exact moments. */
    @Test
    void nchwWithinTheBound() {
        int n = 3;
        int spatial = 100_000; // 1.2 M floats: above Parallelism's 2²⁰, one channel per task, so threads do run
        float[] centers = {1e4f, 2e4f, 5e3f, 1e7f};
        Grid g = grid(n * spatial, centers, 1.0, 16);
        int channels = centers.length;
        float[] nchw = new float[g.x().length];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < channels; c++) {
                for (int j = 0; j < spatial; j++) {
                    nchw[(i * channels + c) * spatial + j] = g.x()[(i * spatial + j) * channels + c];
                }
            }
        }
        TensorShape shape = new TensorShape(TensorLayout.NCHW, n, channels, spatial);
        Moments m = Moments.of(nchw, 0, shape, Precision.DOUBLE, Parallelism.sequential());
        for (int c = 0; c < channels; c++) {
            assertWithinBound(g.mean()[c], g.variance()[c], m, c, "NCHW");
        }
        try (ExecutorService pool = Executors.newFixedThreadPool(3)) {
            assertSameBits(m, Moments.of(nchw, 0, shape, Precision.DOUBLE, Parallelism.of(pool, 3)), "NCHW, 3 threads");
        }
    }

    /** The same bits for every parallelism, for a segment, and for the same rows as a TensorShape. */
    @Test
    void sameBitsForEveryParallelismAndForm() {
        sameBitsEverywhere(grid(300_000, new float[] {1e4f, 3f, 1.5f, 4e5f, 7f}, 1e-3, 17));
    }

    /**
     * A long period (C = 1000: walked in memory order, in slices of four blocks) within the bound and with the same
     * bits everywhere; 2600 rows are three slices, the last one partial.
     */
    @Test
    void longPeriodWithinTheBoundAndTheSameEverywhere() {
        float[] centers = new float[1000];
        for (int c = 0; c < centers.length; c++) {
            centers[c] = 1e4f + 37 * c;
        }
        Grid g = grid(2600, centers, 1, 21);
        Moments m = Moments.of(g.x(), 0, g.rows(), g.channels(), Precision.DOUBLE);
        for (int c = 0; c < g.channels(); c++) {
            assertWithinBound(g.mean()[c], g.variance()[c], m, c, "C = 1000");
        }
        sameBitsEverywhere(g);
    }

    private static void sameBitsEverywhere(Grid g) {
        int channels = g.channels();
        Moments m = Moments.of(g.x(), 0, g.rows(), channels, Precision.DOUBLE);
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            for (int threads = 1; threads <= 4; threads++) {
                assertSameBits(m, Moments.of(g.x(), 0, g.rows(), channels, Precision.DOUBLE,
                        Parallelism.of(pool, threads)), threads + " threads");
            }
        }
        assertSameBits(m, Moments.of(g.x(), 0, new TensorShape(TensorLayout.NHWC, 2, channels, g.rows() / 2),
                Precision.DOUBLE, Parallelism.commonPool()), "NHWC shape");
        try (Arena arena = Arena.ofShared()) {
            MemorySegment s = arena.allocate((long) g.x().length * Float.BYTES, 64);
            MemorySegment.copy(g.x(), 0, s, ValueLayout.JAVA_FLOAT, 0, g.x().length);
            assertSameBits(m, Moments.of(s, g.rows(), channels, Precision.DOUBLE, Parallelism.commonPool()),
                    "native segment");
        }
        assertSameBits(m, Moments.of(MemorySegment.ofArray(g.x()), g.rows(), channels, Precision.DOUBLE,
                Parallelism.sequential()), "heap segment");
    }

    /** NaN and ±Inf make their own channel's moments non-finite and leave the others as they were. */
    @Test
    void nonFiniteValuesStayInTheirChannel() {
        Grid g = grid(5000, new float[] {1e4f, 3f, 6f}, 0.05, 18);
        Moments clean = Moments.of(g.x(), 0, g.rows(), 3, Precision.DOUBLE);
        float[] x = g.x().clone();
        x[3 * 4000 + 1] = Float.NaN;
        x[3 * 17 + 2] = Float.POSITIVE_INFINITY;
        Moments m = Moments.of(x, 0, g.rows(), 3, Precision.DOUBLE);
        assertTrue(Double.isNaN(m.meanAsDouble(1)) && Double.isNaN(m.varianceAsDouble(1)), m.toString());
        assertTrue(!Double.isFinite(m.meanAsDouble(2)) && !Double.isFinite(m.varianceAsDouble(2)), m.toString());
        assertEquals(clean.meanAsDouble(0), m.meanAsDouble(0));
        assertEquals(clean.varianceAsDouble(0), m.varianceAsDouble(0));
    }

    @Test
    void nullPrecisionIsRejectedByName() {
        float[] x = new float[6];
        NullPointerException e = assertThrows(NullPointerException.class,
                () -> Moments.of(x, 0, 2, 3, (Precision) null));
        assertTrue(e.getMessage().contains("precision"), e.getMessage());
        assertThrows(NullPointerException.class, () -> Moments.of(MemorySegment.ofArray(x), 2, 3, null,
                Parallelism.sequential()));
    }

    /**
     * 2²⁷ values of one channel (512 MiB), mean 1e4 and sd 1: 512 slices merged in the tree. It runs where
     * {@code -Dsimdnorm.large=true} (the default surefire execution).
     */
    @Test
    void manySlicesWithinTheBound() {
        assumeTrue(Boolean.getBoolean("simdnorm.large"), "-Dsimdnorm.large=true runs it");
        Grid g = grid(1 << 27, new float[] {1e4f}, 1.0, 19);
        Moments m = Moments.of(g.x(), 0, g.rows(), 1, Precision.DOUBLE, Parallelism.commonPool());
        assertWithinBound(g.mean()[0], g.variance()[0], m, 0, "2^27 values");
    }
}
