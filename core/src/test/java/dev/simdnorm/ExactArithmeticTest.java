package dev.simdnorm;

import dev.simdnorm.internal.LanePeriod;
import dev.simdnorm.internal.PlaneStatistics;
import dev.simdnorm.internal.RowStatistics;
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
 * of its values (so every partial sum the algorithm forms is exact too: it centers the first block on the mean of its
 * first 128 values and later blocks on the mean so far, or on their own mean). Block means are m, m + 1/2, then
 * m + 1/4, so the fold across blocks has real work to do while the mean so far stays dyadic (a center that is not a
 * short dyadic number would make the float sums inexact). With power-of-two counts every expected value is a float; the
 * test checks that itself before comparing.
 */
class ExactArithmeticTest {

    @ParameterizedTest(name = "rows={0}, channels={1}")
    @CsvSource({"2, 1", "8, 3", "256, 5", "512, 17", "1024, 16", "2048, 33", "64, 257", "32768, 1", "32768, 3",
        "2048, 64", "1024, 256", "512, 1000"})
    void dyadicDataGiveExactStatisticsAndRunningUpdates(int rows, int channels) {
        check(new Shape(TensorLayout.NHWC, rows, 1, channels), rows * 31L + channels);
    }

    /**
     * The same in NCHW. Plane sizes are powers of two, so the first block's sample (its first 128 values, in whole
     * planes when they are shorter) and the blocks (whole planes, or 16384-float segments of longer ones) are
     * unions of the groups of 128 values; the shapes cross blocks of 256 planes of 1 or 2 floats, 16 planes of 1024,
     * and segments of planes longer than a block.
     */
    @ParameterizedTest(name = "n={0}, spatial={1}, channels={2}")
    @CsvSource({"2, 1, 1", "1024, 1, 3", "8, 4, 257", "1024, 2, 7", "512, 16, 5", "512, 64, 2", "256, 128, 3",
        "64, 1024, 4", "4, 16384, 2", "2, 32768, 1"})
    void dyadicNchwDataGiveExactStatisticsAndRunningUpdates(int n, int spatial, int channels) {
        check(new Shape(TensorLayout.NCHW, n, spatial, channels), (n * 31L + spatial) * 31 + channels);
    }

    /** A tensor shape; NHWC shapes have {@code spatial} 1 and go through the API that takes rows. */
    record Shape(TensorLayout layout, int n, int spatial, int channels) {

        int count() {
            return n * spatial;
        }

        /** The values per statistics block, the same for every block of these shapes. */
        int blockValues() {
            return layout == TensorLayout.NHWC ? LanePeriod.blockRows(channels)
                    : PlaneStatistics.blockRuns(spatial) * PlaneStatistics.blockLength(spatial);
        }

        /** Where value {@code i} of channel {@code c} lies. */
        int index(int c, int i) {
            return layout == TensorLayout.NHWC ? i * channels + c
                    : ((i / spatial) * channels + c) * spatial + i % spatial;
        }

        Moments moments(float[] x, int firstImage, int images) {
            int offset = firstImage * channels * spatial;
            return layout == TensorLayout.NHWC ? Moments.of(x, offset, images, channels)
                    : Moments.of(x, offset, new TensorShape(layout, images, channels, spatial));
        }

        void train(BatchNorm bn, float[] x, float[] y) {
            if (layout == TensorLayout.NHWC) {
                bn.train(x, 0, y, 0, n);
            } else {
                bn.train(x, 0, y, 0, new TensorShape(layout, n, channels, spatial));
            }
        }
    }

    private static void check(Shape shape, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int channels = shape.channels();
        int count = shape.count();
        int blockValues = shape.blockValues();
        float[] x = new float[count * channels];
        BigDecimal[] mean = new BigDecimal[channels];
        BigDecimal[] m2 = new BigDecimal[channels];
        BigDecimal n = BigDecimal.valueOf(count);
        for (int c = 0; c < channels; c++) {
            double m = (r.nextInt(81) - 40) / 4.0;
            BigDecimal sum = BigDecimal.ZERO;
            BigDecimal squares = BigDecimal.ZERO;
            for (int g = 0; g < count; g += RowStatistics.SAMPLE_ROWS) {
                int size = Math.min(RowStatistics.SAMPLE_ROWS, count - g);
                int b = g / blockValues;
                double mb = m + (b == 0 ? 0 : b == 1 ? 0.5 : 0.25);
                int[] order = shuffled(size, r);
                for (int p = 0; p < size / 2; p++) {
                    double a = (r.nextInt(9) - 4) / 4.0;
                    x[shape.index(c, g + order[2 * p])] = (float) (mb + a);
                    x[shape.index(c, g + order[2 * p + 1])] = (float) (mb - a);
                    for (double v : new double[] {mb + a, mb - a}) {
                        sum = sum.add(new BigDecimal(v));
                        squares = squares.add(new BigDecimal(v).multiply(new BigDecimal(v)));
                    }
                }
            }
            mean[c] = sum.divide(n, MathContext.DECIMAL128);
            m2[c] = squares.subtract(sum.multiply(sum).divide(n, MathContext.DECIMAL128));
        }

        Moments batch = shape.moments(x, 0, shape.n());
        Moments halves = shape.moments(x, 0, shape.n() / 2)
                .merge(shape.moments(x, shape.n() / 2, shape.n() - shape.n() / 2));
        for (int c = 0; c < channels; c++) {
            float expectedMean = exact(mean[c]);
            float expectedVariance = exact(m2[c].divide(n, MathContext.DECIMAL128));
            assertEquals(expectedMean, batch.mean(c), "mean, channel " + c);
            assertEquals(expectedVariance, batch.variance(c), "variance (÷n), channel " + c);
            float sample = m2[c].divide(BigDecimal.valueOf(count - 1), MathContext.DECIMAL128).floatValue();
            assertEquals(sample, batch.sampleVariance(c), "sample variance (÷(n−1)), channel " + c);
            assertEquals(expectedMean, halves.mean(c), "merged halves: mean, channel " + c);
            assertEquals(expectedVariance, halves.variance(c), "merged halves: variance, channel " + c);
        }

        // Decay 0.75: 1 − d = 0.25, so R·d + B·(1−d) is exact for these values for two steps.
        BatchNorm bn = BatchNorm.builder(channels).momentum(0.75f).build();
        float[] y = new float[x.length];
        shape.train(bn, x, y);
        shape.train(bn, x, y);
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
        shape.train(tf, x, y);
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
