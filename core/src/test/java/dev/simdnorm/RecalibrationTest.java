package dev.simdnorm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/** {@link BatchNorm#withRunningStatistics}: each convention's variance, exact, and nothing else changed. */
class RecalibrationTest {

    private static final int C = 3;
    private static final int ROWS = 1000;

    @Test
    void eachConventionKeepsItsVarianceRoundedOnceFromExactMoments() {
        SplittableRandom random = new SplittableRandom(5);
        float[] x = new float[ROWS * C];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (1e4 * (i % C + 1) + 2 * random.nextDouble() - 1);
        }
        Moments population = Moments.of(x, 0, ROWS, C, Precision.DOUBLE);
        for (Convention convention : Convention.values()) {
            BatchNorm layer = BatchNorm.builder(C).convention(convention).activation(Activation.RELU)
                    .gamma(new float[] {1, 2, 3}).beta(new float[] {-1, 0, 1}).build();
            layer.setBatchesTracked(42);
            BatchNorm copy = layer.withRunningStatistics(population);
            assertNotSame(layer, copy);
            boolean unbiased = convention == Convention.PYTORCH || convention == Convention.TF_FUSED;
            for (int c = 0; c < C; c++) {
                // Exact sums in BigDecimal (floats are exact decimals), then the convention's divisor. The double
                // moments are within 1e-12 relatively (DoublePrecisionTest), far inside a float's half ulp (3e-8),
                // so the float rounded once from them equals the exact value's float on these data.
                BigDecimal sum = BigDecimal.ZERO;
                BigDecimal squares = BigDecimal.ZERO;
                for (int r = 0; r < ROWS; r++) {
                    BigDecimal v = new BigDecimal(x[r * C + c]);
                    sum = sum.add(v);
                    squares = squares.add(v.multiply(v));
                }
                MathContext mc = new MathContext(40);
                BigDecimal n = BigDecimal.valueOf(ROWS);
                BigDecimal m2 = squares.subtract(sum.multiply(sum).divide(n, mc));
                float mean = sum.divide(n, mc).floatValue();
                float variance = m2.divide(unbiased ? BigDecimal.valueOf(ROWS - 1) : n, mc).floatValue();
                assertEquals(mean, copy.runningMean()[c], convention + " mean " + c);
                assertEquals(variance, copy.runningVariance()[c], convention + " variance " + c);
            }
            assertEquals(convention, copy.convention());
            assertEquals(layer.epsilon(), copy.epsilon());
            assertEquals(layer.momentum(), copy.momentum());
            assertEquals(Activation.RELU, copy.activation());
            assertArrayEquals(layer.gamma(), copy.gamma());
            assertArrayEquals(layer.beta(), copy.beta());
            assertEquals(42, copy.batchesTracked());
            assertArrayEquals(new float[] {0, 0, 0}, layer.runningMean(), "the layer is unchanged");
            assertArrayEquals(new float[] {1, 1, 1}, layer.runningVariance(), "the layer is unchanged");
        }
    }

    @Test
    void cumulativeAverageIsKept() {
        BatchNorm layer = BatchNorm.builder(1).convention(Convention.PYTORCH).cumulativeAverage().build();
        BatchNorm copy = layer.withRunningStatistics(Moments.ofSums(4, new double[] {2}, new double[] {3}));
        assertEquals(true, copy.cumulativeAverage());
        assertEquals(1f, copy.runningVariance()[0], "3 / (4 − 1)");
    }

    @Test
    void badPopulationsAreRejected() {
        BatchNorm layer = BatchNorm.builder(C).build();
        assertThrows(NullPointerException.class, () -> layer.withRunningStatistics(null));
        assertThrows(IllegalArgumentException.class,
                () -> layer.withRunningStatistics(Moments.ofSums(4, new double[] {2}, new double[] {3})));
        BatchNorm torch = BatchNorm.builder(1).convention(Convention.PYTORCH).build();
        assertThrows(IllegalArgumentException.class,
                () -> torch.withRunningStatistics(Moments.ofSums(1, new double[] {2}, new double[] {0})));
        BatchNorm fused = BatchNorm.builder(1).convention(Convention.TF_FUSED).build();
        assertEquals(0f, fused.withRunningStatistics(Moments.ofSums(1, new double[] {2}, new double[] {0}))
                .runningVariance()[0], "n/max(n − 1, 1) at n = 1");
        assertThrows(IllegalArgumentException.class, () -> layer.withRunningStatistics(
                Moments.ofSums(2, new double[] {1e39, 0, 0}, new double[] {0, 0, 0})), "a mean beyond float");
    }
}
