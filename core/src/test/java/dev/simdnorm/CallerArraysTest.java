package dev.simdnorm;

import dev.simdnorm.prop.Property;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The overloads that write into the caller's arrays (for engines that train in a loop without allocating) compute
 * what the overloads that return objects compute, bit for bit: the batch statistics, the output, the running
 * statistics, dx, dγ and dβ.
 */
class CallerArraysTest {

    @Test
    void trainAndBackwardIntoArraysGiveTheSameBits() {
        Property.check("train and backward into caller arrays = returning objects", 100, ch -> {
            int c = ch.between(1, 40);
            int rows = ch.between(2, 3000);
            boolean relu = ch.oneIn(2);
            return new long[] {c, rows, relu ? 1 : 0, ch.seed()};
        }, a -> {
            int c = (int) a[0];
            int rows = (int) a[1];
            Activation activation = a[2] == 1 ? Activation.RELU : Activation.NONE;
            SplittableRandom r = new SplittableRandom(a[3]);
            float[] x = new float[rows * c];
            float[] dy = new float[rows * c];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (r.nextGaussian() * 3 + 1e3 * (i % c));
                dy[i] = (float) r.nextGaussian();
            }
            BatchNorm returning = BatchNorm.builder(c).activation(activation).build();
            BatchNorm arrays = BatchNorm.builder(c).activation(activation).build();
            float[] y1 = new float[x.length];
            float[] y2 = new float[x.length];
            double[] mean = new double[c];
            double[] variance = new double[c];
            for (int step = 0; step < 3; step++) {
                Moments batch = returning.train(x, 0, y1, 0, rows);
                arrays.train(x, 0, y2, 0, rows, mean, variance);
                assertArrayEquals(y1, y2, "y, step " + step);
                for (int ch = 0; ch < c; ch++) {
                    assertEquals(batch.meanAsDouble(ch), mean[ch], "batch mean");
                    assertEquals(batch.varianceAsDouble(ch), variance[ch], "batch variance");
                }
                assertArrayEquals(returning.runningMean(), arrays.runningMean(), "running mean");
                assertArrayEquals(returning.runningVariance(), arrays.runningVariance(), "running variance");
                float[] dx1 = new float[x.length];
                float[] dx2 = new float[x.length];
                Gradients g = returning.backward(x, 0, dy, 0, dx1, 0, rows, batch);
                float[] dGamma = new float[c];
                float[] dBeta = new float[c];
                arrays.backward(x, 0, dy, 0, dx2, 0, rows, mean, variance, dGamma, dBeta);
                assertArrayEquals(dx1, dx2, "dx");
                assertArrayEquals(g.dGamma(), dGamma, "dγ");
                assertArrayEquals(g.dBeta(), dBeta, "dβ");
                Gradients frozen = returning.backwardInference(x, 0, dy, 0, dx1, 0, rows);
                arrays.backwardInference(x, 0, dy, 0, dx2, 0, rows, dGamma, dBeta, Parallelism.sequential());
                assertArrayEquals(dx1, dx2, "frozen dx");
                assertArrayEquals(frozen.dGamma(), dGamma, "frozen dγ");
                assertArrayEquals(frozen.dBeta(), dBeta, "frozen dβ");
                float[] dx3 = new float[x.length];
                float[] dGamma3 = new float[c];
                float[] dBeta3 = new float[c];
                arrays.backwardInference(x, 0, dy, 0, dx3, 0, rows, dGamma3, dBeta3);
                assertArrayEquals(dx1, dx3, "frozen dx, sequential overload");
                assertArrayEquals(frozen.dGamma(), dGamma3, "frozen dγ, sequential overload");
                assertArrayEquals(frozen.dBeta(), dBeta3, "frozen dβ, sequential overload");
            }
        });
    }

    @Test
    void callerArraysAreChecked() {
        BatchNorm bn = BatchNorm.builder(3).build();
        float[] x = new float[30];
        double[] three = new double[3];
        // One violation per call, each named, so that a missing check cannot hide behind another.
        BadInputTest.fails(NullPointerException.class, "batchMean",
                () -> bn.train(x, 0, x, 0, 10, null, three));
        BadInputTest.fails(IllegalArgumentException.class, "batchMean.length",
                () -> bn.train(x, 0, x, 0, 10, new double[2], three));
        BadInputTest.fails(IllegalArgumentException.class, "batchMean and batchVariance",
                () -> bn.train(x, 0, x, 0, 10, three, three));
        float[] g = new float[3];
        double[] otherThree = new double[3];
        BadInputTest.fails(IllegalArgumentException.class, "dGamma and dBeta must be distinct arrays",
                () -> bn.backward(x, 0, x, 0, x, 0, 10, three, otherThree, g, g));
        float[] dy = new float[30];
        float[] dx = new float[30];
        for (double bad : new double[] {-1, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> bn.backward(x, 0, dy, 0, dx, 0, 10, three, new double[] {0, bad, 0}, g, new float[3]));
            assertTrue(e.getMessage().contains("batchVariance[1]"), e.getMessage());
        }
        // NaN is what train writes for a channel with non-finite data: accepted, and it propagates into dx
        bn.backward(x, 0, dy, 0, dx, 0, 10, three, new double[] {0, Double.NaN, 0}, g, new float[3]);
        assertTrue(Float.isNaN(dx[1]), "NaN variance gives NaN gradients in its channel");
        assertThrows(IllegalArgumentException.class,
                () -> bn.backwardInference(x, 0, x, 0, x, 0, 10, new float[4], g, Parallelism.sequential()));
    }

    /** One array for both batch statistics would leave the variance in it, read back later as the mean. */
    @Test
    void trainRejectsOneArrayForBothStatistics() {
        BatchNorm bn = BatchNorm.builder(3).build();
        float[] x = new float[30];
        for (int i = 0; i < x.length; i++) {
            x[i] = i % 7;
        }
        float[] y = new float[30];
        double[] both = new double[3];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> bn.train(x, 0, y, 0, 10, both, both));
        assertTrue(e.getMessage().contains("batchMean and batchVariance"), e.getMessage());
        assertArrayEquals(new float[30], y, "nothing written");
        assertArrayEquals(new float[3], bn.runningMean(), "running statistics unchanged");
        assertEquals(0, bn.batchesTracked());
    }

    /**
     * dγ and dβ are written before x and dy are read and dx written, so neither may be one of those arrays (with
     * rows = 1 and C floats each, all four have the length dγ must have).
     */
    @Test
    void backwardRejectsGradientsInItsOwnArrays() {
        int c = 4;
        BatchNorm bn = BatchNorm.builder(c).build();
        float[] x = {1, 2, 3, 4};
        float[] dy = {0.5f, -1, 2, 3};
        float[] dx = new float[c];
        double[] mean = new double[c];
        double[] variance = {1, 1, 1, 1};
        float[][] arrays = {x, dy, dx};
        for (float[] shared : arrays) {
            for (boolean asGamma : new boolean[] {true, false}) {
                float[] dGamma = asGamma ? shared : new float[c];
                float[] dBeta = asGamma ? new float[c] : shared;
                float[] before = shared.clone();
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> bn.backwardInference(x, 0, dy, 0, dx, 0, 1, dGamma, dBeta));
                assertTrue(e.getMessage().contains("must not be x, dy or dx"), e.getMessage());
                e = assertThrows(IllegalArgumentException.class,
                        () -> bn.backward(x, 0, dy, 0, dx, 0, 1, mean, variance, dGamma, dBeta));
                assertTrue(e.getMessage().contains("must not be x, dy or dx"), e.getMessage());
                assertArrayEquals(before, shared, "nothing written");
            }
        }
    }

    /**
     * Training on segments into the caller's arrays: the same bits as on arrays into arrays, as on segments returning
     * a {@code Moments}, step after step (the running statistics included), on native and heap segments.
     */
    @Test
    void segmentTrainIntoArraysGivesTheSameBits() {
        Property.check("segment train into caller arrays = array train into arrays = segment train returning", 60,
                ch -> new long[] {ch.between(1, 40), ch.oneIn(8) ? ch.between(60_000, 200_000) : ch.between(2, 3000),
                        ch.oneIn(2) ? 1 : 0, ch.oneIn(2) ? 1 : 0, ch.seed(), ch.oneIn(2) ? 1 : 0, ch.oneIn(2) ? 1 : 0},
                a -> {
                    int c = (int) a[0];
                    int rows = (int) a[1]; // up to 8 million floats: slices merged in the tree, staged one by one
                    Activation activation = a[2] == 1 ? Activation.RELU : Activation.NONE;
                    SplittableRandom r = new SplittableRandom(a[4]);
                    boolean heapY = a[5] == 1;
                    Parallelism parallelism = a[6] == 1 ? Parallelism.commonPool() : Parallelism.sequential();
                    float[] x = new float[rows * c];
                    for (int i = 0; i < x.length; i++) {
                        x[i] = (float) (r.nextGaussian() * 3 + 1e3 * (i % c));
                    }
                    BatchNorm onArrays = BatchNorm.builder(c).activation(activation).build();
                    BatchNorm intoArrays = BatchNorm.builder(c).activation(activation).build();
                    BatchNorm returning = BatchNorm.builder(c).activation(activation).build();
                    try (Arena arena = Arena.ofShared()) { // shared: the threads of a Parallelism may read it
                        MemorySegment xs = a[3] == 1 ? arena.allocate((long) x.length * Float.BYTES, 4)
                                : MemorySegment.ofArray(new float[x.length]);
                        MemorySegment.copy(x, 0, xs, ValueLayout.JAVA_FLOAT, 0, x.length);
                        MemorySegment ys = heapY ? MemorySegment.ofArray(new float[x.length])
                                : arena.allocate((long) x.length * Float.BYTES, 4);
                        MemorySegment ys2 = arena.allocate((long) x.length * Float.BYTES, 4);
                        float[] y = new float[x.length];
                        double[] mean = new double[c];
                        double[] variance = new double[c];
                        double[] segmentMean = new double[c];
                        double[] segmentVariance = new double[c];
                        for (int step = 0; step < 3; step++) {
                            onArrays.train(x, 0, y, 0, rows, mean, variance);
                            intoArrays.train(xs, ys, rows, segmentMean, segmentVariance, parallelism);
                            Moments batch = returning.train(xs, ys2, rows);
                            assertArrayEquals(y, ys.toArray(ValueLayout.JAVA_FLOAT), "y, step " + step);
                            assertArrayEquals(y, ys2.toArray(ValueLayout.JAVA_FLOAT), "y returning, step " + step);
                            assertArrayEquals(mean, segmentMean, "batch mean");
                            assertArrayEquals(variance, segmentVariance, "batch variance");
                            for (int k = 0; k < c; k++) {
                                assertEquals(batch.meanAsDouble(k), segmentMean[k], "batch mean returned");
                                assertEquals(batch.varianceAsDouble(k), segmentVariance[k], "batch variance returned");
                            }
                            assertArrayEquals(onArrays.runningMean(), intoArrays.runningMean(), "running mean");
                            assertArrayEquals(onArrays.runningVariance(), intoArrays.runningVariance(), "running var");
                        }
                    }
                });
    }

    /**
     * The statistics are written after y: y lying in one of their arrays (a heap segment over a double[]) would lose
     * what the step wrote, so it is rejected before anything is written or the running statistics move.
     */
    @Test
    void segmentTrainIntoArraysIsChecked() {
        int c = 3;
        int rows = 2;
        BatchNorm bn = BatchNorm.builder(c).build();
        MemorySegment x = MemorySegment.ofArray(new float[] {1, 2, 3, 4, 5, 6});
        double[] mean = new double[c];
        double[] variance = new double[c];
        double[] shared = new double[c]; // 24 bytes: room for the 6 floats of y
        MemorySegment y = MemorySegment.ofArray(shared);
        for (boolean asMean : new boolean[] {true, false}) {
            double[] m = asMean ? shared : mean;
            double[] v = asMean ? variance : shared;
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> bn.train(x, y, rows, m, v));
            assertTrue(e.getMessage().contains("y must not lie in batchMean or batchVariance"), e.getMessage());
        }
        assertArrayEquals(new double[c], shared, "nothing written");
        MemorySegment out = MemorySegment.ofArray(new float[6]);
        assertThrows(IllegalArgumentException.class, () -> bn.train(x, out, rows, mean, mean));
        assertThrows(IllegalArgumentException.class, () -> bn.train(x, out, rows, new double[2], variance));
        assertThrows(NullPointerException.class, () -> bn.train(x, out, rows, null, variance));
        assertThrows(NullPointerException.class, () -> bn.train(x, out, rows, mean, variance, null));
        assertArrayEquals(new float[6], out.toArray(ValueLayout.JAVA_FLOAT), "nothing written");
        assertArrayEquals(new float[c], bn.runningMean(), "running statistics unchanged");
        assertEquals(0, bn.batchesTracked());
        // x in one of them is read before they are written: allowed, and the same step as from a copy.
        double[] xBytes = new double[c];
        MemorySegment.copy(x, 0, MemorySegment.ofArray(xBytes), 0, 6 * Float.BYTES);
        BatchNorm twin = BatchNorm.builder(c).build();
        twin.train(x, out, rows, mean, variance);
        bn.train(MemorySegment.ofArray(xBytes), MemorySegment.ofArray(new float[6]), rows, xBytes, variance);
        assertArrayEquals(mean, xBytes, "the batch mean, written over x's bytes after the step read them");
    }
}
