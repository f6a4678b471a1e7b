package dev.simdnorm;

import dev.simdnorm.internal.Layout;
import dev.simdnorm.internal.Statistics;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Dyadic data whose every sum is exact in float, as oneDNN's benchdnn does: the mean, the variances and the running
 * statistics must then come out exactly, which catches n versus n−1, the fold of blocks and the direction of the
 * decay, errors that tolerances hide.
 *
 * <p>In each statistics block b, a channel holds pairs m_b ± a with a = k/4 (|k| ≤ 4), shuffled within groups of 128
 * rows (so every partial sum the algorithm forms is exact too: it centres the first block on the mean of its first
 * 128 rows and later blocks on the mean so far, or on their own mean). Block means are m, m + 1/2, then m + 1/4, so
 * the fold across blocks has real work to do while the mean so far stays dyadic (a centre that is not a short
 * dyadic number would make the float sums inexact). With power-of-two counts every expected value is a float; the
 * test checks that itself before comparing.
 */
class ExactArithmeticTest {

    @ParameterizedTest(name = "rows={0}, channels={1}")
    @CsvSource({"2, 1", "8, 3", "256, 5", "512, 17", "1024, 16", "2048, 33", "64, 257", "32768, 1", "32768, 3",
        "2048, 64", "1024, 256", "512, 1000"})
    void dyadicDataGiveExactStatisticsAndRunningUpdates(int rows, int channels) {
        SplittableRandom r = new SplittableRandom(rows * 31L + channels);
        int blockRows = Layout.blockRows(channels);
        float[] x = new float[rows * channels];
        BigDecimal[] mean = new BigDecimal[channels];
        BigDecimal[] m2 = new BigDecimal[channels];
        BigDecimal n = BigDecimal.valueOf(rows);
        for (int c = 0; c < channels; c++) {
            double m = (r.nextInt(81) - 40) / 4.0;
            BigDecimal sum = BigDecimal.ZERO;
            BigDecimal squares = BigDecimal.ZERO;
            for (int g = 0; g < rows; g += Statistics.SAMPLE_ROWS) {
                int size = Math.min(Statistics.SAMPLE_ROWS, rows - g);
                int b = g / blockRows;
                double mb = m + (b == 0 ? 0 : b == 1 ? 0.5 : 0.25);
                int[] order = shuffled(size, r);
                for (int p = 0; p < size / 2; p++) {
                    double a = (r.nextInt(9) - 4) / 4.0;
                    x[(g + order[2 * p]) * channels + c] = (float) (mb + a);
                    x[(g + order[2 * p + 1]) * channels + c] = (float) (mb - a);
                    for (double v : new double[] {mb + a, mb - a}) {
                        sum = sum.add(new BigDecimal(v));
                        squares = squares.add(new BigDecimal(v).multiply(new BigDecimal(v)));
                    }
                }
            }
            mean[c] = sum.divide(n, MathContext.DECIMAL128);
            m2[c] = squares.subtract(sum.multiply(sum).divide(n, MathContext.DECIMAL128));
        }

        Moments batch = Moments.of(x, 0, rows, channels);
        Moments halves = Moments.of(x, 0, rows / 2, channels)
                .merge(Moments.of(x, rows / 2 * channels, rows - rows / 2, channels));
        for (int c = 0; c < channels; c++) {
            float expectedMean = exact(mean[c]);
            float expectedVariance = exact(m2[c].divide(n, MathContext.DECIMAL128));
            assertEquals(expectedMean, batch.mean(c), "mean, channel " + c);
            assertEquals(expectedVariance, batch.variance(c), "variance (÷n), channel " + c);
            float sample = m2[c].divide(BigDecimal.valueOf(rows - 1), MathContext.DECIMAL128).floatValue();
            assertEquals(sample, batch.sampleVariance(c), "sample variance (÷(n−1)), channel " + c);
            assertEquals(expectedMean, halves.mean(c), "merged halves: mean, channel " + c);
            assertEquals(expectedVariance, halves.variance(c), "merged halves: variance, channel " + c);
        }

        // Decay 0.75: 1 − d = 0.25, so R·d + B·(1−d) is exact for these values for two steps.
        BatchNorm bn = BatchNorm.builder(channels).momentum(0.75f).build();
        float[] y = new float[x.length];
        bn.train(x, 0, y, 0, rows);
        bn.train(x, 0, y, 0, rows);
        BigDecimal d = new BigDecimal("0.75");
        BigDecimal w = new BigDecimal("0.25");
        for (int c = 0; c < channels; c++) {
            BigDecimal v = m2[c].divide(n, MathContext.DECIMAL128);
            BigDecimal mean2 = mean[c].multiply(w).multiply(d).add(mean[c].multiply(w));
            BigDecimal var2 = d.add(v.multiply(w)).multiply(d).add(v.multiply(w));
            assertEquals(exact(mean2), bn.runningMean()[c], "running mean, channel " + c);
            assertEquals(exact(var2), bn.runningVariance()[c], "running variance, channel " + c);
        }

        // The default decay 0.99: the update is TF's float arithmetic fl(fl(R·0.99f) + fl(B·0.01f)), bit for bit.
        BatchNorm tf = BatchNorm.builder(channels).build();
        tf.train(x, 0, y, 0, rows);
        for (int c = 0; c < channels; c++) {
            float bm = batch.mean(c);
            float bv = batch.variance(c);
            assertEquals(0f * 0.99f + bm * 0.01f, tf.runningMean()[c], "TF running mean, channel " + c);
            assertEquals(1f * 0.99f + bv * 0.01f, tf.runningVariance()[c], "TF running variance, channel " + c);
        }
    }

    /** The float equal to {@code v}; fails the test (a design error, not a library bug) if there is none. */
    private static float exact(BigDecimal v) {
        float f = v.floatValue();
        assertEquals(0, new BigDecimal(f).compareTo(v), "test design: " + v + " is not a float");
        return f;
    }

    private static int[] shuffled(int n, SplittableRandom r) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }
}
