package dev.simdnorm;

import dev.simdnorm.internal.Statistics;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Dyadic data whose every sum is exact in float, as oneDNN's benchdnn does: the mean, the variances and the running
 * statistics must then come out exactly, which catches n versus n−1 and the direction of the decay, errors that
 * tolerances hide.
 *
 * <p>Each channel holds pairs m ± a with m = j/4 and a = k/8 (|k| ≤ 16), shuffled within groups of 32 rows (so that
 * every partial sum the algorithm forms is exact too: it centres the first block on the mean of its first 32 rows,
 * and later blocks on the mean so far). So the mean is exactly m, M2 is 2Σa², a multiple
 * of 2⁻⁶ below 2¹⁶, and with a power-of-two count the variance is exactly representable.
 */
class ExactArithmeticTest {

    @ParameterizedTest(name = "rows={0}, channels={1}")
    @CsvSource({"2, 1", "8, 3", "256, 5", "512, 17", "1024, 16", "2048, 33", "64, 257", "16384, 1", "8192, 3",
        "1024, 64"})
    void dyadicDataGiveExactStatisticsAndRunningUpdates(int rows, int channels) {
        SplittableRandom r = new SplittableRandom(rows * 31L + channels);
        float[] x = new float[rows * channels];
        double[] m = new double[channels];
        double[] m2 = new double[channels];
        for (int c = 0; c < channels; c++) {
            m[c] = (r.nextInt(81) - 40) / 4.0;
            for (int r0 = 0; r0 < rows; r0 += Statistics.SAMPLE_ROWS) {
                int nb = Math.min(Statistics.SAMPLE_ROWS, rows - r0);
                int[] order = shuffled(nb, r);
                for (int p = 0; p < nb / 2; p++) {
                    double a = (r.nextInt(33) - 16) / 8.0;
                    x[(r0 + order[2 * p]) * channels + c] = (float) (m[c] + a);
                    x[(r0 + order[2 * p + 1]) * channels + c] = (float) (m[c] - a);
                    m2[c] += 2 * a * a;
                }
            }
        }
        Moments batch = Moments.of(x, 0, rows, channels);
        for (int c = 0; c < channels; c++) {
            assertEquals((float) m[c], batch.mean(c), "mean, channel " + c);
            assertEquals((float) (m2[c] / rows), batch.variance(c), "variance (÷n), channel " + c);
            float sample = new BigDecimal(m2[c]).divide(BigDecimal.valueOf(rows - 1), MathContext.DECIMAL128)
                    .floatValue();
            assertEquals(sample, batch.sampleVariance(c), "sample variance (÷(n−1)), channel " + c);
        }

        // Decay 0.75: 1 − d = 0.25, so R·d + B·(1−d) is exact for these values for two steps.
        BatchNorm bn = BatchNorm.builder(channels).momentum(0.75f).build();
        float[] y = new float[x.length];
        bn.train(x, 0, y, 0, rows);
        bn.train(x, 0, y, 0, rows);
        for (int c = 0; c < channels; c++) {
            double v = m2[c] / rows;
            double mean1 = 0.75 * 0 + 0.25 * m[c];
            double var1 = 0.75 * 1 + 0.25 * v;
            assertEquals((float) (0.75 * mean1 + 0.25 * m[c]), bn.runningMean()[c], "running mean, channel " + c);
            assertEquals((float) (0.75 * var1 + 0.25 * v), bn.runningVariance()[c], "running variance, channel " + c);
        }

        // The default decay 0.99: the update is TF's float arithmetic fl(fl(R·0.99f) + fl(B·0.01f)), bit for bit.
        BatchNorm tf = BatchNorm.builder(channels).build();
        tf.train(x, 0, y, 0, rows);
        for (int c = 0; c < channels; c++) {
            float bm = (float) m[c];
            float bv = (float) (m2[c] / rows);
            assertEquals(0f * 0.99f + bm * 0.01f, tf.runningMean()[c], "TF running mean, channel " + c);
            assertEquals(1f * 0.99f + bv * 0.01f, tf.runningVariance()[c], "TF running variance, channel " + c);
        }
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
