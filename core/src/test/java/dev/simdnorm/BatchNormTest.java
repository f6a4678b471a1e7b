package dev.simdnorm;

import org.junit.jupiter.api.Test;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Defaults, special values and concurrency of the layer. */
class BatchNormTest {

    @Test
    void defaultsAreTheTensorFlowIdiom() {
        BatchNorm bn = BatchNorm.builder(3).build();
        assertEquals(0.001f, bn.epsilon());
        assertEquals(0.99f, bn.momentum());
        assertArrayEquals(new float[] {1, 1, 1}, bn.gamma());
        assertArrayEquals(new float[] {0, 0, 0}, bn.beta());
        assertArrayEquals(new float[] {0, 0, 0}, bn.runningMean());
        assertArrayEquals(new float[] {1, 1, 1}, bn.runningVariance());
        assertEquals(Activation.NONE, bn.activation());
        // Python's float32(1 − 0.99), not 1 − (double) 0.99f = 0.0099999905.
        assertEquals(0.01f, Convention.decimalOneMinus(0.99f));
        assertEquals(0.1f, Convention.decimalOneMinus(0.9f));
        assertEquals(0f, Convention.decimalOneMinus(1f));
        assertEquals(1f, Convention.decimalOneMinus(0f));
    }

    @Test
    void nonFiniteDataPropagateIntoTheirChannelOnly() {
        BatchNorm bn = BatchNorm.builder(3).build();
        float[] x = new float[3 * 300];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(i);
        }
        x[3 * 17] = Float.NaN;
        x[3 * 280 + 1] = Float.POSITIVE_INFINITY;
        float[] y = new float[x.length];
        Moments m = bn.train(x, 0, y, 0, 300);
        assertTrue(Float.isNaN(m.mean(0)) && Float.isNaN(m.variance(0)), m.toString());
        assertFalse(Float.isFinite(m.mean(1)) && Float.isFinite(m.variance(1)), m.toString());
        assertTrue(Float.isFinite(m.mean(2)) && Float.isFinite(m.variance(2)), m.toString());
        assertTrue(Float.isNaN(y[0]) && Float.isNaN(y[3]), "channel 0 output");
        assertTrue(Float.isFinite(y[2]) && Float.isFinite(y[5]), "channel 2 output");
        assertTrue(Float.isNaN(bn.runningMean()[0]), "running mean of channel 0");
        assertTrue(Float.isFinite(bn.runningMean()[2]) && Float.isFinite(bn.runningVariance()[2]));
        // Inference still runs and propagates; the layer is not left broken.
        bn.inference(x, 0, y, 0, 300);
        assertTrue(Float.isNaN(y[6]) && Float.isFinite(y[8]));
    }

    @Test
    void concurrentInferenceSeesWholeParameterSets() throws Exception {
        int channels = 16;
        float[] x = new float[channels * 512];
        for (int i = 0; i < x.length; i++) {
            x[i] = (i % 7) - 3;
        }
        BatchNorm bn = BatchNorm.builder(channels).build();
        float[] expectedA = new float[x.length];
        bn.inference(x, 0, expectedA, 0, 512);
        float[] ones = new float[channels];
        java.util.Arrays.fill(ones, 2f);
        BatchNorm other = BatchNorm.builder(channels).gamma(ones).build();
        float[] expectedB = new float[x.length];
        other.inference(x, 0, expectedB, 0, 512);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<?> reader = pool.submit(() -> {
                float[] y = new float[x.length];
                for (int k = 0; k < 2000; k++) {
                    bn.inference(x, 0, y, 0, 512);
                    boolean a = java.util.Arrays.equals(y, expectedA);
                    boolean b = java.util.Arrays.equals(y, expectedB);
                    if (!a && !b) {
                        throw new AssertionError("inference mixed two parameter sets");
                    }
                }
            });
            float[] one = new float[channels];
            java.util.Arrays.fill(one, 1f);
            for (int k = 0; k < 2000 || !reader.isDone(); k++) { // until the reader is done, so that they race
                bn.setGamma(k % 2 == 0 ? ones : one);
            }
            reader.get();
        } finally {
            pool.shutdown();
        }
    }

    /** A saved state loads back at once: the same bits after, checked before anything is written. */
    @Test
    void savedParametersLoadBackAtOnce() {
        int channels = 5;
        int rows = 40;
        float[] x = new float[channels * rows];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(0.37 * i) * (1 + i % channels);
        }
        float[] y = new float[x.length];
        BatchNorm trained = BatchNorm.builder(channels).convention(Convention.PYTORCH).build();
        for (int step = 0; step < 3; step++) {
            trained.train(x, 0, y, 0, rows);
        }
        BatchNormParameters saved = trained.parameters();
        // A layer that has trained already, with another β: its training map's laid-out β must follow the load.
        float[] otherBeta = new float[channels];
        java.util.Arrays.fill(otherBeta, 3f);
        BatchNorm restored = BatchNorm.builder(channels).convention(Convention.PYTORCH).beta(otherBeta).build();
        restored.train(x, 0, y, 0, rows);
        restored.setParameters(saved);
        assertEquals(saved, restored.parameters());
        float[] expected = new float[x.length];
        trained.inference(x, 0, expected, 0, rows);
        restored.inference(x, 0, y, 0, rows);
        assertArrayEquals(expected, y, "the restored layer's inference");
        trained.train(x, 0, expected, 0, rows);
        restored.train(x, 0, y, 0, rows);
        assertArrayEquals(expected, y, "the next training step");
        assertEquals(trained.parameters(), restored.parameters(), "the running statistics and the step count");

        // Each bad value is refused before anything is written.
        BatchNormParameters before = restored.parameters();
        float[] ok = new float[channels];
        float[] bad = new float[channels];
        bad[3] = Float.NaN;
        float[] negative = new float[channels];
        negative[1] = -1;
        for (BatchNormParameters p : new BatchNormParameters[] {
                new BatchNormParameters(bad, ok, ok, ok, 0),
                new BatchNormParameters(ok, bad, ok, ok, 0),
                new BatchNormParameters(ok, ok, bad, ok, 0),
                new BatchNormParameters(ok, ok, ok, negative, 0),
                new BatchNormParameters(new float[4], new float[4], new float[4], new float[4], 0)}) {
            assertThrows(IllegalArgumentException.class, () -> restored.setParameters(p), p.toString());
            assertEquals(before, restored.parameters());
        }
        assertThrows(NullPointerException.class, () -> restored.setParameters(null));
        assertThrows(NullPointerException.class, () -> new BatchNormParameters(null, ok, ok, ok, 0));
        assertThrows(IllegalArgumentException.class, () -> new BatchNormParameters(ok, ok, ok, new float[4], 0));
        assertThrows(IllegalArgumentException.class,
                () -> new BatchNormParameters(new float[0], new float[0], new float[0], new float[0], 0));
        assertThrows(IllegalArgumentException.class, () -> new BatchNormParameters(ok, ok, ok, ok, -1));
    }

    /** Loading whole states races with inference, which sees one state or the other, never a mix of the two. */
    @Test
    void concurrentInferenceSeesWholeLoadedStates() throws Exception {
        int channels = 16;
        int rows = 256;
        float[] x = new float[channels * rows];
        for (int i = 0; i < x.length; i++) {
            x[i] = (i % 7) - 3;
        }
        float[] two = new float[channels];
        java.util.Arrays.fill(two, 2f);
        float[] one = new float[channels];
        java.util.Arrays.fill(one, 1f);
        BatchNormParameters a = new BatchNormParameters(one, one, new float[channels], one, 0);
        BatchNormParameters b = new BatchNormParameters(two, two, one, two, 1);
        BatchNorm bn = BatchNorm.builder(channels).build();
        float[] expectedA = new float[x.length];
        float[] expectedB = new float[x.length];
        bn.setParameters(b);
        bn.inference(x, 0, expectedB, 0, rows);
        bn.setParameters(a);
        bn.inference(x, 0, expectedA, 0, rows);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<?> reader = pool.submit(() -> {
                float[] y = new float[x.length];
                for (int k = 0; k < 2000; k++) {
                    bn.inference(x, 0, y, 0, rows);
                    if (!java.util.Arrays.equals(y, expectedA) && !java.util.Arrays.equals(y, expectedB)) {
                        throw new AssertionError("inference mixed two loaded states");
                    }
                }
            });
            for (int k = 0; k < 2000 || !reader.isDone(); k++) {
                bn.setParameters(k % 2 == 0 ? b : a);
            }
            reader.get();
        } finally {
            pool.shutdown();
        }
    }

    /**
     * The backward passes of a step on an NCHW tensor, given its shape (training and frozen): the bits of the NHWC
     * passes on the same tensor in NHWC order (transposed here by index, apart from the library), with and without
     * ReLU, in place too.
     */
    @Test
    void backwardOnAnNchwStepIsTheNhwcPassOnTheSameTensor() {
        int n = 3;
        int c = 5;
        int spatial = 7;
        int rows = n * spatial;
        java.util.SplittableRandom random = new java.util.SplittableRandom(11);
        for (Activation activation : Activation.values()) {
            float[] x = new float[n * c * spatial];
            float[] dy = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) random.nextGaussian(2, 3);
                dy[i] = (float) random.nextGaussian();
            }
            float[] xRows = new float[x.length];
            float[] dyRows = new float[x.length];
            for (int i = 0; i < n; i++) {
                for (int ch = 0; ch < c; ch++) {
                    for (int s = 0; s < spatial; s++) {
                        xRows[(i * spatial + s) * c + ch] = x[(i * c + ch) * spatial + s];
                        dyRows[(i * spatial + s) * c + ch] = dy[(i * c + ch) * spatial + s];
                    }
                }
            }
            BatchNorm bn = BatchNorm.builder(c).activation(activation).build();
            TensorShape shape = TensorShape.nchw(n, c, spatial);
            Moments m = bn.train(x, 0, new float[x.length], 0, shape);
            float[] dx = new float[x.length + 2];
            Gradients g = bn.backward(x, 0, dy, 0, dx, 2, shape, m);
            float[] dxRows = new float[x.length];
            Gradients expected = bn.backward(xRows, 0, dyRows, 0, dxRows, 0, rows, m);
            assertArrayEquals(expected.dGamma(), g.dGamma(), activation + ": dγ");
            assertArrayEquals(expected.dBeta(), g.dBeta(), activation + ": dβ");
            for (int i = 0; i < n; i++) {
                for (int ch = 0; ch < c; ch++) {
                    for (int s = 0; s < spatial; s++) {
                        assertEquals(dxRows[(i * spatial + s) * c + ch], dx[2 + (i * c + ch) * spatial + s],
                                activation + ": dx of image " + i + ", channel " + ch + ", position " + s);
                    }
                }
            }
            float[] inPlace = dy.clone();
            bn.backward(x, 0, inPlace, 0, inPlace, 0, shape, m);
            assertArrayEquals(java.util.Arrays.copyOfRange(dx, 2, dx.length), inPlace, "dx in dy's place");
            float[] xInPlace = x.clone();
            bn.backward(xInPlace, 0, dy, 0, xInPlace, 0, shape, m);
            assertArrayEquals(java.util.Arrays.copyOfRange(dx, 2, dx.length), xInPlace, "dx in x's place");
            // The frozen backward likewise.
            float[] frozen = new float[x.length];
            Gradients f = bn.backwardInference(x, 0, dy, 0, frozen, 0, shape);
            float[] frozenRows = new float[x.length];
            Gradients fExpected = bn.backwardInference(xRows, 0, dyRows, 0, frozenRows, 0, rows);
            assertArrayEquals(fExpected.dGamma(), f.dGamma(), activation + ": frozen dγ");
            assertArrayEquals(fExpected.dBeta(), f.dBeta(), activation + ": frozen dβ");
            for (int i = 0; i < n; i++) {
                for (int ch = 0; ch < c; ch++) {
                    for (int s = 0; s < spatial; s++) {
                        assertEquals(frozenRows[(i * spatial + s) * c + ch], frozen[(i * c + ch) * spatial + s],
                                activation + ": frozen dx of image " + i + ", channel " + ch + ", position " + s);
                    }
                }
            }
            // An NHWC shape is the rows form.
            float[] dxNhwc = new float[x.length];
            bn.backward(xRows, 0, dyRows, 0, dxNhwc, 0, TensorShape.nhwc(n, spatial, c), m);
            assertArrayEquals(dxRows, dxNhwc, "NHWC shape");
            // Refused before dx is written: another count, other channels, a partial overlap.
            float[] untouched = new float[x.length];
            Moments other = Moments.of(x, 0, rows - 1, c);
            assertThrows(IllegalArgumentException.class,
                    () -> bn.backward(x, 0, dy, 0, untouched, 0, shape, other));
            assertThrows(IllegalArgumentException.class,
                    () -> bn.backward(x, 0, dy, 0, untouched, 0, TensorShape.nchw(n, c + 1, spatial), m));
            float[] both = new float[x.length + 1];
            assertThrows(IllegalArgumentException.class, () -> bn.backward(both, 0, dy, 0, both, 1, shape, m));
            assertArrayEquals(new float[x.length], untouched, "dx unwritten");
        }
    }

    /**
     * As {@link #backwardOnAnNchwStepIsTheNhwcPassOnTheSameTensor} on a tensor of five slices (cuts inside images)
     * and more than 2²⁰ floats, so that three threads share it, whose dx chunks cross images, x, dy and dx at offsets
     * of their own, and in place; once with every channel near zero (the kernels' dx, x staged with the training
     * correction and the ReLU mask), once with a channel centered beyond 2¹⁰³ (dx by the double path, in training and
     * frozen with ReLU): the NHWC pass's bits, which the staging must keep slice by slice.
     */
    @Test
    void backwardOnAnNchwStepOfSeveralSlicesIsTheNhwcPass() {
        int n = 2;
        int c = 3;
        int spatial = 180_000; // 360,000 rows of 3, 1.08e6 floats: five slices of 2^18 floats, spread over threads
        int rows = n * spatial;
        int floats = n * c * spatial;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(3);
        try {
            for (boolean wide : new boolean[] {false, true}) {
                java.util.SplittableRandom random = new java.util.SplittableRandom(wide ? 13 : 12);
                float[] x = new float[1 + floats];
                float[] dy = new float[3 + floats];
                float[] xRows = new float[floats];
                float[] dyRows = new float[floats];
                for (int i = 0; i < n; i++) {
                    for (int ch = 0; ch < c; ch++) {
                        for (int s = 0; s < spatial; s++) {
                            int at = (i * c + ch) * spatial + s;
                            int r = (i * spatial + s) * c + ch;
                            x[1 + at] = (float) (wide && ch == 2 ? random.nextGaussian(3e31, 1e30)
                                    : random.nextGaussian(ch, 2));
                            dy[3 + at] = (float) random.nextGaussian();
                            xRows[r] = x[1 + at];
                            dyRows[r] = dy[3 + at];
                        }
                    }
                }
                TensorShape shape = TensorShape.nchw(n, c, spatial);
                for (Activation activation : Activation.values()) {
                    String what = activation + (wide ? ", a channel at 3e31" : "");
                    BatchNorm bn = BatchNorm.builder(c).activation(activation).build();
                    Moments m = bn.train(x, 1, new float[floats], 0, shape);
                    float[] expectedDx = new float[floats];
                    Gradients expected = bn.backward(xRows, 0, dyRows, 0, expectedDx, 0, rows, m);
                    // The step's running variance of channel 2 is +Inf where it is wide (a spread of 1e30): frozen
                    // statistics of our own, that channel still centered beyond 2^103 (with ReLU, the double path).
                    bn.setRunningMean(new float[] {0f, 1f, wide ? 3e31f : 2f});
                    bn.setRunningVariance(new float[] {4f, 4f, wide ? 1e30f : 4f});
                    float[] expectedFrozenDx = new float[floats];
                    Gradients expectedFrozen = bn.backwardInference(xRows, 0, dyRows, 0, expectedFrozenDx, 0, rows);
                    for (Parallelism p : java.util.List.of(Parallelism.sequential(), Parallelism.of(pool, 3))) {
                        String how = what + ", " + p;
                        float[] dx = new float[2 + floats];
                        Gradients g = bn.backward(x, 1, dy, 3, dx, 2, shape, m, p);
                        assertArrayEquals(expected.dGamma(), g.dGamma(), how + ": dγ");
                        assertArrayEquals(expected.dBeta(), g.dBeta(), how + ": dβ");
                        assertNchwIsRows(expectedDx, dx, 2, n, c, spatial, how + ": dx");
                        float[] frozen = new float[2 + floats];
                        Gradients f = bn.backwardInference(x, 1, dy, 3, frozen, 2, shape, p);
                        assertArrayEquals(expectedFrozen.dGamma(), f.dGamma(), how + ": frozen dγ");
                        assertArrayEquals(expectedFrozen.dBeta(), f.dBeta(), how + ": frozen dβ");
                        assertNchwIsRows(expectedFrozenDx, frozen, 2, n, c, spatial, how + ": frozen dx");
                        float[] inX = x.clone();
                        bn.backward(inX, 1, dy, 3, inX, 1, shape, m, p);
                        assertNchwIsRows(expectedDx, inX, 1, n, c, spatial, how + ": dx in x's place");
                        float[] inDy = dy.clone();
                        bn.backwardInference(x, 1, inDy, 3, inDy, 3, shape, p);
                        assertNchwIsRows(expectedFrozenDx, inDy, 3, n, c, spatial, how + ": frozen dx in dy's place");
                    }
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** The NCHW tensor {@code nchw} from {@code offset} holds the NHWC rows {@code rows}, bit for bit. */
    private static void assertNchwIsRows(float[] rows, float[] nchw, int offset, int n, int c, int spatial,
                                         String what) {
        for (int i = 0; i < n; i++) {
            for (int ch = 0; ch < c; ch++) {
                for (int s = 0; s < spatial; s++) {
                    int r = (i * spatial + s) * c + ch;
                    int at = offset + (i * c + ch) * spatial + s;
                    if (Float.floatToRawIntBits(rows[r]) != Float.floatToRawIntBits(nchw[at])) {
                        assertEquals(rows[r], nchw[at], what + " of image " + i + ", channel " + ch + ", at " + s);
                    }
                }
            }
        }
    }

    @Test
    void backwardPropagatesNonFiniteValuesIntoTheirChannelOnly() {
        int rows = 300;
        float[] x = new float[3 * rows];
        float[] dy = new float[3 * rows];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(i);
            dy[i] = (float) Math.cos(0.3 * i);
        }
        float[] dxClean = new float[x.length];
        BatchNorm clean = BatchNorm.builder(3).build();
        Gradients g0 = clean.backward(x, 0, dy, 0, dxClean, 0, rows, clean.train(x, 0, new float[x.length], 0, rows));

        x[3 * 17] = Float.NaN; // channel 0: its mean and variance are NaN
        dy[3 * 100 + 1] = Float.POSITIVE_INFINITY; // channel 1: Σdy is +Inf
        float[] dx = new float[x.length];
        BatchNorm bn = BatchNorm.builder(3).build();
        Gradients g = bn.backward(x, 0, dy, 0, dx, 0, rows, bn.train(x, 0, new float[x.length], 0, rows));

        assertTrue(Float.isNaN(g.dGamma()[0]), g.toString());
        assertEquals(g0.dBeta()[0], g.dBeta()[0], "dβ = Σdy does not depend on x");
        assertEquals(Float.POSITIVE_INFINITY, g.dBeta()[1], g.toString());
        assertFalse(Float.isFinite(g.dGamma()[1]), g.toString());
        for (int r = 0; r < rows; r++) {
            assertTrue(Float.isNaN(dx[3 * r]), "channel 0, row " + r);
            assertFalse(Float.isFinite(dx[3 * r + 1]), "channel 1, row " + r);
            assertEquals(Float.floatToIntBits(dxClean[3 * r + 2]), Float.floatToIntBits(dx[3 * r + 2]),
                    "channel 2 is independent of the others, row " + r);
        }
        assertEquals(g0.dGamma()[2], g.dGamma()[2]);
        assertEquals(g0.dBeta()[2], g.dBeta()[2]);
    }
}
