package dev.simdnorm.jmh;

import dev.simdnorm.Moments;
import dev.simdnorm.TensorLayout;
import dev.simdnorm.TensorShape;
import dev.simdnorm.internal.ScalarKernel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

import static dev.simdnorm.prop.SameMoments.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The benchmarks measure what they say they measure: each benchmark method, run once after its setup, computes the
 * right thing over the whole tensor (a benchmark that skipped half the data would look twice as fast).
 */
class BenchmarkCorrectnessTest {

    static final String[] SMALL_SHAPES = {"1x14x14x256", "64x32x32x3"};

    @BeforeAll
    static void needsTheVectorModule() {
        // The ceilings use the Vector API themselves; the run without the module has nothing to check here.
        assumeTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(), "needs jdk.incubator.vector");
        // The benchmarks compare the vector kernel with the scalar one: not where the scalar one is forced.
        assumeTrue(!"scalar".equals(System.getProperty("simdnorm.kernels")), "vector kernels forced off");
    }

    @Test
    void shapeBenchmarkNormalizesAndSumsEveryElement() {
        for (String shape : SMALL_SHAPES) {
            for (String impl : new String[] {"vector", "scalar"}) {
                for (String layout : new String[] {"NHWC", "NCHW"}) {
                    ShapeBenchmark b = new ShapeBenchmark();
                    b.shape = shape;
                    b.impl = impl;
                    b.layout = layout;
                    b.setup();
                    String what = shape + " " + impl + " " + layout;
                    float[] y = b.normalize();
                    boolean nchw = layout.equals("NCHW");
                    for (int i = 0; i < b.x.length; i++) {
                        int c = nchw ? (i / b.spatial) % b.channels : i % b.channels;
                        // Workload's map: center 0.1·c, scale 1.5, shift −0.25, no low part; the kernels' own order
                        // of operations, so bit for bit.
                        float expected = Math.fma(b.x[i] - 0.1f * c, 1.5f, -0.25f);
                        assertEquals(expected, y[i], what + " normalize, element " + i);
                    }
                    double[] m2 = b.statistics().clone();
                    Moments api = nchw ? Moments.of(b.x, 0, TensorShape.nchw(b.n, b.channels, b.spatial))
                            : Moments.of(b.x, 0, b.rows, b.channels);
                    double[][] returned = b.statisticsReturned();
                    double[][] stepReturned = b.trainStepReturned();
                    for (int c = 0; c < b.channels; c++) {
                        // One slice, so the public API runs the same kernel over the same data: the same bits.
                        assertEquals(api.varianceAsDouble(c), m2[c] / b.rows, what + " statistics, channel " + c);
                        assertEquals(api.meanAsDouble(c), returned[0][c], what + " returned mean, channel " + c);
                        assertEquals(api.varianceAsDouble(c), returned[1][c] / b.rows, what + " returned, " + c);
                        assertEquals(api.varianceAsDouble(c), stepReturned[1][c] / b.rows, what + " step, " + c);
                    }
                }
            }
        }
    }

    @Test
    void publicApiBenchmarksComputeWhatTheySay() {
        for (String shape : SMALL_SHAPES) {
            for (String layout : new String[] {"NHWC", "NCHW"}) {
                ApiShapeBenchmark b = new ApiShapeBenchmark();
                b.shape = shape;
                b.layout = layout;
                b.setup();
                String what = shape + " " + layout;
                boolean nchw = layout.equals("NCHW");
                float[] y = b.inference().clone();
                // Api's layer: running mean 0.1·c, variance 1.5, γ 1, β 0, ε 0.001; the scale rounded once.
                float scale = (float) (1 / Math.sqrt(1.5f + (double) 1e-3f));
                for (int i = 0; i < b.x.length; i++) {
                    int c = nchw ? (i / b.spatial) % b.channels : i % b.channels;
                    assertEquals(Math.fma(b.x[i] - 0.1f * c, scale, 0f), y[i], what + " inference, element " + i);
                }
                assertArrayEquals(y, b.apply(), what + " apply");
                // the identity map sends −0 to +0 ((−0 − 0)·1 + 0): an element the call skips keeps its sign bit
                Arrays.fill(b.inPlace, -0f);
                float[] inPlace = b.inferenceInPlace();
                for (int i = 0; i < inPlace.length; i++) {
                    assertEquals(0, Float.floatToRawIntBits(inPlace[i]), what + " in place, element " + i);
                }
                Moments expected = nchw ? Moments.of(b.x, 0, TensorShape.nchw(b.n, b.channels, b.spatial))
                        : Moments.of(b.x, 0, b.rows, b.channels);
                assertSameBits(expected, b.moments(), what + " moments");
                assertSameBits(expected, b.train(), what + " train");
                assertEquals((long) b.rows, b.moments().count(), what + " every row");
            }
        }
        ApiSweepBenchmark s = new ApiSweepBenchmark();
        s.channels = 17;
        s.kib = 16;
        s.setup();
        assertEquals(16 * 1024 / (4 * 17), s.rows, "rows of the 16 KiB row");
        assertSameBits(Moments.of(s.x, 0, s.rows, 17), s.moments(), "16 KiB, C = 17");
        Shape row = LatencyBenchmark.shape("256KiB/C=100");
        assertEquals(256 * 1024 / 400, row.rows());
        assertEquals(100, row.c());
        assertEquals(Shape.parse("8x28x28x256"), LatencyBenchmark.shape("8x28x28x256"));
    }

    @Test
    void ceilingsReadAndCopyEverything() {
        for (int length : new int[] {1, 15, 16, 63, 64, 65, 1000, 4099}) {
            float[] x = new float[length];
            float[] dy = new float[length];
            double sum = 0;
            double two = 0;
            double deviations = 0;
            for (int i = 0; i < length; i++) {
                // Multiples of 1/8 in [1, 3] and [−3, −2]: every partial sum, in any order, is a multiple of 1/64
                // below 2¹⁶ (4,099·8.75), which float holds exactly, so the sums must be exact and a value left out
                // or read twice (at least 0.75 off) shows.
                x[i] = 1 + (i % 17) / 8f;
                dy[i] = -3 + (i % 5) / 4f;
                sum += x[i];
                two += x[i] + dy[i];
                double d = x[i] - 0.5;
                deviations += d + d * d;
            }
            assertEquals(sum, Ceilings.readSum(x, length), "readSum of " + length);
            assertEquals(two, Ceilings.readTwo(x, dy, length), "readTwo of " + length);
            assertEquals(deviations, Ceilings.deviationSum(x, length, 0.5f), "deviationSum of " + length);
            float[] copy = new float[length];
            Ceilings.vectorCopy(x, copy, length);
            assertArrayEquals(x, copy, "vectorCopy of " + length);
        }
    }

    /**
     * The ReLU ceiling's plain map writes every output with the scalar map's operations, and its max variant gives the
     * kernels' ReLU of each (shifts of 0.05, far from the −0 case, where max and ReLU agree), on mixed signs.
     */
    @Test
    void plainMapCeilingMapsEveryElement() {
        int period = 64;
        int periods = 37;
        float[] x = new float[period * periods];
        for (int i = 0; i < x.length; i++) {
            x[i] = (i * 7919 % 1001 - 500) / 64f;
        }
        double[] q = new double[4 * period];
        for (int c = 0; c < period; c++) {
            q[c] = 0.01 * c;
            q[period + c] = 1e-9 * c;
            q[2 * period + c] = 1 + 0.001 * c;
            q[3 * period + c] = 0.05;
        }
        float[] plain = new float[x.length];
        float[] max = new float[x.length];
        Arrays.fill(plain, Float.NaN);
        Arrays.fill(max, Float.NaN);
        Ceilings.plainMap(x, plain, periods, period, q, false);
        Ceilings.plainMap(x, max, periods, period, q, true);
        int negative = 0;
        for (int i = 0; i < x.length; i++) {
            int c = i % period;
            float t = Math.fma((x[i] - (float) q[c]) - (float) q[period + c], (float) q[2 * period + c],
                    (float) q[3 * period + c]);
            assertEquals(t, plain[i], "plain map at " + i);
            assertEquals(ScalarKernel.relu(t), max[i], "plain map with max at " + i);
            negative += t < 0 ? 1 : 0;
        }
        assertTrue(negative > x.length / 4 && negative < 3 * x.length / 4, "mixed signs: " + negative);
    }

    @Test
    void segmentAndParallelBenchmarksComputeWhatTheArrayOnesDo() {
        for (String shape : SMALL_SHAPES) {
            Shape s = Shape.parse(shape);
            Moments expected = Moments.of(s.data(42), 0, s.n() * s.h() * s.w(), s.c()); // the benchmark's data
            float[] expectedY = null;
            for (String storage : new String[] {"array", "heapSegment", "native"}) {
                SegmentBenchmark b = new SegmentBenchmark();
                b.shape = shape;
                b.storage = storage;
                b.setup();
                try {
                    Object out = b.normalize();
                    float[] y = out instanceof float[] a ? a.clone()
                            : ((MemorySegment) out).toArray(ValueLayout.JAVA_FLOAT);
                    Moments m = b.statistics();
                    if (expectedY == null) {
                        expectedY = y;
                    }
                    assertSameBits(expected, m, shape + " " + storage + " statistics");
                    assertArrayEquals(expectedY, y, shape + " " + storage + " normalize");
                } finally {
                    b.tearDown();
                }
            }
        }
        int rows = 4096 * 1024 / (4 * 64);
        Moments one = Moments.of(new Shape(1, 1, rows, 64).data(42), 0, rows, 64); // the benchmark's data
        for (int threads : new int[] {1, 2}) {
            ParallelBenchmark b = new ParallelBenchmark();
            b.channels = 64;
            b.kib = 4096;
            b.threads = threads;
            b.setup();
            try {
                assertSameBits(one, b.statistics(), threads + " threads");
            } finally {
                b.tearDown();
            }
        }
    }

    @Test
    void rowNormBenchmarksNormalizeEveryRow() {
        for (int size : new int[] {64, 768, 17}) {
            RowNormBenchmark b = new RowNormBenchmark();
            b.size = size;
            b.kib = 16;
            b.setup();
            assertEquals(b.x.length, b.rows * size, "the rows fill x");
            float[] expected = new float[b.x.length];
            for (int r = 0; r < b.rows; r++) { // row by row, against the whole call
                b.layerNorm.apply(b.x, r * size, expected, r * size, 1);
            }
            assertArrayEquals(expected, b.layerNorm().clone(), "layerNorm, size " + size);
            for (int r = 0; r < b.rows; r++) {
                b.rmsNorm.apply(b.x, r * size, expected, r * size, 1);
            }
            assertArrayEquals(expected, b.rmsNorm().clone(), "rmsNorm, size " + size);
            float[] sum = new float[b.x.length];
            for (int i = 0; i < sum.length; i++) {
                sum[i] = b.x[i] + b.residual[i];
            }
            b.layerNorm.apply(sum, 0, expected, 0, b.rows);
            assertArrayEquals(expected, b.layerNormResidual().clone(), "layerNormResidual, size " + size);
            assertArrayEquals(sum, b.h, "the residual form's h, size " + size);
            assertArrayEquals(b.x, b.arraycopy().clone(), "arraycopy, size " + size);
            Arrays.fill(b.y, Float.NaN);
            assertArrayEquals(b.residual, b.residualCopy().clone(), "residualCopy's h, size " + size);
            assertArrayEquals(b.x, b.y, "residualCopy's y, size " + size);
            for (int i = 0; i < expected.length; i++) { // one FMA per value: the same bits as Math.fma
                expected[i] = Math.fma(b.x[i], b.gamma[i % size], b.beta[i % size]);
            }
            assertArrayEquals(expected, b.rowAffine().clone(), "rowAffine, size " + size);
            for (int i = 0; i < expected.length; i++) {
                expected[i] = b.x[i] * b.gamma[i % size];
            }
            assertArrayEquals(expected, b.rowScale().clone(), "rowScale, size " + size);
            for (int i = 0; i < expected.length; i++) { // h = x + r rounded once, then one FMA
                expected[i] = Math.fma(sum[i], b.gamma[i % size], b.beta[i % size]);
            }
            Arrays.fill(b.h, Float.NaN);
            assertArrayEquals(expected, b.residualAffine().clone(), "residualAffine, size " + size);
            assertArrayEquals(sum, b.h, "residualAffine's h, size " + size);
        }
    }

    @Test
    void decodeRowBenchmarkPartsMakeTheCall() {
        DecodeRowBenchmark b = new DecodeRowBenchmark();
        b.setup();
        float[] rms = b.rmsNorm().clone();
        Arrays.fill(b.y, Float.NaN);
        // The call's two passes taken by hand: the same kernels, the same scale expression, so the same bits.
        assertArrayEquals(rms, b.rmsNormKernels().clone(), "rmsNormKernels against rmsNorm");
        DecodeRowBenchmark fresh = new DecodeRowBenchmark(); // scaleRows alone, as its own fork runs it
        fresh.setup();
        Arrays.fill(fresh.y, Float.NaN);
        assertArrayEquals(rms, fresh.scaleRows().clone(), "scaleRows with the scale its setup computed");
        double squares = 0;
        for (float v : b.x) {
            squares += (double) v * v;
        }
        // 4,096 squares exact in double, added in double in either order: each sum within 4,095 roundings of the
        // exact one (Higham, eq. 4.4; the terms are positive), so the two within twice that.
        assertEquals(squares, b.sumSquares()[0], 2 * 4095 * 0x1p-53 * squares, "sumSquares");
        // LayerNorm's own mean and 1/√(σ² + ε) of the row come from these statistics: rounded to float, the same bits.
        float[] mean = new float[1];
        float[] inverse = new float[1];
        float[] ln = new float[b.x.length];
        b.layerNorm.apply(b.x, 0, ln, 0, 1, mean, inverse);
        b.layerNormStatistics();
        assertEquals(mean[0], (float) b.sums[0], "layerNormStatistics' mean");
        assertEquals(inverse[0], (float) (1 / Math.sqrt(b.m2[0] / b.x.length + 1e-5f)), "layerNormStatistics' M2");
        assertArrayEquals(ln, b.layerNorm().clone(), "layerNorm");
        for (int i = 0; i < ln.length; i++) {
            ln[i] = Math.fma(b.x[i], b.gamma[i], b.beta[i]);
        }
        assertArrayEquals(ln, b.rowAffine().clone(), "rowAffine");
        assertArrayEquals(b.x, b.arraycopy().clone(), "arraycopy");
    }

    @Test
    void groupNormBenchmarksNormalizeEveryImage() {
        for (TensorLayout layout : TensorLayout.values()) {
            GroupNormBenchmark b = new GroupNormBenchmark();
            b.shape = "8x28x28x256";
            b.layout = layout;
            b.setup();
            assertEquals(8 * 28 * 28 * 256, b.x.length, "the shape fills x");
            assertEquals(32, b.groupNorm.groups());
            int image = b.x.length / b.n;
            float[] expected = new float[b.x.length];
            for (int i = 0; i < b.n; i++) { // image by image, against the whole call
                b.groupNorm.apply(b.x, i * image, expected, i * image, layout, 1, b.spatial);
            }
            assertArrayEquals(expected, b.groupNorm().clone(), "groupNorm " + layout);
            for (int i = 0; i < b.n; i++) {
                b.instanceNorm.apply(b.x, i * image, expected, i * image, layout, 1, b.spatial);
            }
            assertArrayEquals(expected, b.instanceNorm().clone(), "instanceNorm " + layout);
            assertArrayEquals(b.x, b.arraycopy().clone(), "arraycopy " + layout);
        }
    }

    @Test
    void precisionBenchmarkComputesBothModesOfTheWholeTensor() {
        PrecisionBenchmark b = new PrecisionBenchmark();
        b.channels = 64;
        b.kib = 16;
        b.setup();
        assertEquals(16 * 1024 / 4, b.x.length, "the working set fills x");
        double sum = 0;
        for (float v : b.x) {
            sum += v;
        }
        for (Moments m : new Moments[] {b.floatMode(), b.doubleMode()}) {
            assertEquals(b.rows, m.count());
            double meanOfMeans = 0;
            for (int c = 0; c < 64; c++) {
                meanOfMeans += m.meanAsDouble(c) / 64;
            }
            // Every row read: the channels' means average to the mean of x. Leaving out one of the 64 rows would move
            // it by about σ/√64/64 ≈ 2e-3; the float mode's sums err by at most about 256·2⁻²⁴·σ ≈ 2e-5.
            assertEquals(sum / b.x.length, meanOfMeans, 1e-4);
        }
        // A float sum in any order errs by at most γ_h·Σ|x| ≤ (h + 1)·u·Σ|x|, h the most additions a term passes
        // through (Higham, 2nd ed., §4.2): n/(4L) in its lane, 2 joining the four accumulators, at most L − 1 reducing
        // the lanes; the most over L = 4, 8 or 16 lanes is 261 for n = 4,096. About 650 here (x > 0, Σ|x| = sum ≈
        // 4.1e7); a value left out (about 1e4) or read twice would be 15 times that.
        int depth = 0;
        for (int lanes = 4; lanes <= 16; lanes *= 2) {
            depth = Math.max(depth, b.x.length / (4 * lanes) + 2 + lanes - 1);
        }
        assertEquals(sum, b.readSum(), (depth + 1) * 0x1p-24 * Math.abs(sum), "the read sum covers x");
    }
}
