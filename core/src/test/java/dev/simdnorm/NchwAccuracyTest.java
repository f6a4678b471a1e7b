package dev.simdnorm;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

/**
 * The accuracy bar of the foundation issue for NCHW: 10⁶ values per channel of mean 1e4 and standard deviation 1,
 * in shapes that take each kind of NCHW block: planes shorter than a vector (256 planes of 1 float), network planes
 * (7×7, 32×32), and planes longer than a block (cut into segments of 16384 floats).
 */
class NchwAccuracyTest {

    @ParameterizedTest(name = "n={0}, spatial={1}, channels={2}")
    @CsvSource({"1000000, 1, 2", "20409, 49, 1", "977, 1024, 3", "16, 62500, 1", "1, 1000000, 2"})
    void varianceRelativeErrorAtMost1e6(int n, int spatial, int channels) {
        SplittableRandom r = new SplittableRandom(n + 31L * spatial);
        float[] x = new float[n * channels * spatial];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (1e4 + r.nextGaussian());
        }
        Moments m = Moments.of(x, 0, TensorShape.nchw(n, channels, spatial));
        Oracle.Stats exact = Oracle.planeMoments(x, 0, n, channels, spatial);
        for (int c = 0; c < channels; c++) {
            double rel = Math.abs(m.variance(c) - exact.variance(c)) / exact.variance(c);
            // The bar; float rounding of the result alone is 6e-8.
            if (!(rel <= 1e-6)) {
                throw new AssertionError("channel " + c + ": variance relative error " + rel + " > 1e-6");
            }
            double meanErr = Math.abs(m.meanAsDouble(c) - exact.mean()[c]);
            // As in NHWC, the double mean carries what a float mean (off by up to 4.9e-4 here) cannot.
            if (!(meanErr <= 1e-6)) {
                throw new AssertionError("channel " + c + ": double mean error " + meanErr);
            }
        }
    }
}
