package dev.simdnorm;

import org.junit.jupiter.api.Test;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
