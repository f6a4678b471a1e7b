package dev.simdnorm;

import dev.simdnorm.internal.AffineParams;
import dev.simdnorm.internal.ScalarKernel;

/**
 * Inputs whose deviation from a map's center overflows float: finite x and μ of opposite signs whose difference lies
 * beyond the largest float. The kernels' {@code fma((x − μ_hi) − μ_lo, s, β)} then gives ±Inf (NaN where s is 0)
 * where the true output may well be finite, {@code (3e38 − (−1.5e38))/√3e38 ≈ 2.6e19} say. That needs a center of at
 * least 2¹⁰³ in magnitude ({@link AffineParams#WIDE_CENTER}) and a map built for other data than its input (an
 * inference map, a {@link ChannelAffine}) or a training map of values spread beyond float's range
 * ({@code n·σ² ≥ 2²⁵⁴}, {@link ChannelAffine#training}). A call whose map has such a center scans those channels
 * first; where a deviation overflows, the whole call (on segments staged through a buffer, the staged rows) takes
 * the map here, element by element on one thread, each overflowing element in double and rounded once, every other
 * element by the kernels' operations, so with their bits.
 * Rare enough (values near float's limits) that its speed does not matter; every other call pays one test of a flag.
 */
final class DeviationOverflow {

    private DeviationOverflow() {
    }

    /**
     * NCHW images of arrays (NHWC rows are images of one position: {@code n} rows, {@code spatial} 1): if a deviation
     * of x overflows float, writes y and returns true; otherwise writes nothing.
     */
    static boolean planes(float[] x, int xOffset, float[] y, int yOffset, int n, int spatial, AffineParams p,
                          boolean relu) {
        int channels = p.channels();
        float[] center = p.center();
        float[] low = p.centerLow();
        boolean found = false;
        for (int c = 0; c < channels && !found; c++) {
            if (wide(center[c])) {
                for (int image = 0; image < n && !found; image++) {
                    int at = xOffset + (image * channels + c) * spatial;
                    for (int j = 0; j < spatial && !found; j++) {
                        found = AffineParams.deviationOverflows(x[at + j], center[c], low[c]);
                    }
                }
            }
        }
        if (!found) {
            return false;
        }
        // Element i of x is read before element i of y is written: x and y are the same range (in place) or disjoint.
        for (int image = 0; image < n; image++) {
            for (int c = 0; c < channels; c++) {
                int plane = (image * channels + c) * spatial;
                for (int j = 0; j < spatial; j++) {
                    y[yOffset + plane + j] = map(x[xOffset + plane + j], p, c, relu);
                }
            }
        }
        return true;
    }

    private static boolean wide(float center) {
        return Math.abs(center) >= AffineParams.WIDE_CENTER && Float.isFinite(center);
    }

    /** Channel c's map of one element ({@link AffineParams#output}), then the kernels' ReLU. */
    private static float map(float x, AffineParams p, int c, boolean relu) {
        float t = p.output(x, c);
        return relu ? ScalarKernel.relu(t) : t;
    }
}
