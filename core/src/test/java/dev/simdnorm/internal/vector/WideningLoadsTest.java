package dev.simdnorm.internal.vector;

import dev.simdnorm.KernelSelection;
import dev.simdnorm.Moments;
import dev.simdnorm.Parallelism;
import dev.simdnorm.Precision;
import dev.simdnorm.TensorLayout;
import dev.simdnorm.TensorShape;
import dev.simdnorm.internal.MomentMerge;
import dev.simdnorm.internal.RowStatistics;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The vector steps that widen floats to doubles read only the floats they widen (whole loads of half the width,
 * converted at once): on arrays that end with their data they give the scalar steps' results bit for bit, and a read
 * past the end would throw. Kept from a change that widened whole vectors of floats instead, which had to stop short
 * of arrays' ends (docs/design-log.md, 2026-12-07, night).
 */
class WideningLoadsTest {

    @Test
    void theCenteredCheckAndTheMergeOfBlocksMatchTheScalarStepsOnArraysWithoutSlack() {
        assumeTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(), "no vector module");
        SplittableRandom random = new SplittableRandom(11);
        int agreedCentered = 0;
        int notCentered = 0;
        for (int round = 0; round < 4_000; round++) {
            int channels = 1 + random.nextInt(3 * Lanes.FLOAT_LANES);
            int n = 1 + random.nextInt(1000);
            float[] r = new float[channels];
            float[] q = new float[channels];
            float[] center = new float[channels];
            for (int c = 0; c < channels; c++) {
                r[c] = (float) (random.nextGaussian() * (random.nextInt(4) == 0 ? 100 : 1));
                q[c] = (float) (n * (1 + random.nextDouble()));
                center[c] = (float) (random.nextGaussian() * 1e3);
            }
            boolean expected = RowStatistics.centered(r, q, 0, channels, n);
            assertEquals(expected, VectorStatistics.INSTANCE.centered(r, q, channels, n),
                    "round " + round + ", C = " + channels);
            if (expected) {
                agreedCentered++;
            } else {
                notCentered++;
            }
            long nA = random.nextBoolean() ? 0 : 1 + random.nextInt(1 << 20);
            double[] mean = new double[channels];
            double[] m2 = new double[channels];
            for (int c = 0; c < channels; c++) {
                mean[c] = random.nextGaussian() * 1e3;
                m2[c] = random.nextDouble() * 1e4;
            }
            double[] expectedMean = mean.clone();
            double[] expectedM2 = m2.clone();
            MomentMerge.mergeBlock(nA, expectedMean, expectedM2, 0, channels, n, center, r, q);
            VectorStatistics.INSTANCE.mergeBlock(nA, mean, m2, channels, n, center, r, q);
            for (int c = 0; c < channels; c++) {
                String at = "round " + round + ", C = " + channels + ", channel " + c;
                assertEquals(Double.doubleToLongBits(expectedMean[c]), Double.doubleToLongBits(mean[c]), at);
                assertEquals(Double.doubleToLongBits(expectedM2[c]), Double.doubleToLongBits(m2[c]), at);
            }
        }
        // Both answers of the check were compared, not one alone.
        assertTrue(agreedCentered > 100, "too few centered cases: " + agreedCentered);
        assertFalse(notCentered < 100, "too few cases off center: " + notCentered);
    }

    /**
     * The double-precision statistics of a tensor that ends with its array: the same bits as the same floats with
     * room after them, and no read past the end (which throws), NHWC and NCHW.
     */
    @Test
    void doubleStatisticsOfATensorThatEndsWithItsArrayMatchThoseWithRoomAfter() {
        KernelSelection.warmUp(Duration.ofSeconds(120));
        SplittableRandom random = new SplittableRandom(12);
        int[] channels = {1, 3, 6, 12, 17, 24, 48, 64, 100, 256, 1000};
        for (int c : channels) {
            for (int rows : new int[] {1, 2, 5, 37, 300}) {
                float[] exact = new float[rows * c];
                for (int i = 0; i < exact.length; i++) {
                    exact[i] = (float) (1e3 + random.nextGaussian());
                }
                float[] roomy = java.util.Arrays.copyOf(exact, exact.length + 64);
                for (TensorLayout layout : TensorLayout.values()) {
                    TensorShape shape = layout == TensorLayout.NHWC ? TensorShape.nhwc(1, rows, c)
                            : TensorShape.nchw(1, c, rows);
                    Moments a = Moments.of(exact, 0, shape, Precision.DOUBLE, Parallelism.sequential());
                    Moments b = Moments.of(roomy, 0, shape, Precision.DOUBLE, Parallelism.sequential());
                    for (int k = 0; k < c; k++) {
                        String at = layout + ", C = " + c + ", rows " + rows + ", channel " + k;
                        assertEquals(Double.doubleToLongBits(b.meanAsDouble(k)),
                                Double.doubleToLongBits(a.meanAsDouble(k)), at);
                        assertEquals(Double.doubleToLongBits(b.varianceAsDouble(k)),
                                Double.doubleToLongBits(a.varianceAsDouble(k)), at);
                    }
                }
            }
        }
        // Where this execution runs the vector kernels, they still do: one that throws (a read past the end) in the
        // warm-up or a call is dropped for the scalar kernels, which would make the comparison above scalar alone.
        if ("vector".equals(System.getProperty("simdnorm.expect.kernel"))) {
            assertEquals("vector", KernelSelection.active().name(), KernelSelection.active().toString());
        }
    }
}
