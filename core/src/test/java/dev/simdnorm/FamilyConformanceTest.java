package dev.simdnorm;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Conformance with the ONNX operator definitions, written from their reference implementations (onnx/reference/ops:
 * LayerNormalization opset 17, RMSNormalization opset 23, GroupNormalization opsets 18 and 21,
 * InstanceNormalization) and computed here in double on a 4-D tensor [2, 3, 4, 5]: each operator's {@code axis} and
 * layout mapped to simdnorm's {@code size} and {@code rows} as the README's table says, with the operators' default
 * ε (1e-5) and PyTorch's RMSNorm default (float's machine epsilon, 2⁻²³).
 *
 * <p>Tolerance, in float roundings u = 2⁻²⁴. LayerNorm: y = fma(u, γ, β) with u = fl(fl(fl(x − μ_hi) − μ_lo)·s),
 * s = fl(1/√(σ² + ε)): the two subtractions, s and the product each round once relative to |x − μ|·s, so four
 * roundings of |γ·u|, and the fma one of |y| ≤ |γ·u| + |β|: 5u·|γ·u| + u·|β| to first order. GroupNorm and
 * InstanceNorm take BatchNorm's training map, y = fma(fl(fl(x − μ_hi) − μ_lo), fl(γ/√(σ² + ε)), β): three of |γ·u|
 * and one of |y|. 8u·(|γ·u| + |β|) covers both and leaves 3u for the statistics' own errors (far below a rounding on
 * these data: |u| ≤ 4, σ² ≥ 0.1, 120 values) and the second-order terms. RMSNorm: y = fl(fl(x·s)·γ), s rounded once:
 * three roundings of |y|, so 4u·|y| (one for the sum of squares and the root in double).
 */
class FamilyConformanceTest {

    private static final int[] DIMS = {2, 3, 4, 5};
    private static final int FLOATS = 2 * 3 * 4 * 5;
    private static final double U = 0x1p-24;

    private static float[] data(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[FLOATS];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (3 + r.nextGaussian());
        }
        return x;
    }

    private static float[] params(long seed, int n, double mean) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] p = new float[n];
        for (int i = 0; i < n; i++) {
            p[i] = (float) (mean + 0.5 * r.nextGaussian());
        }
        return p;
    }

    /** The ONNX axis (negative counts from the end) as the product of the dimensions from it on: simdnorm's size. */
    private static int size(int axis) {
        int from = axis < 0 ? DIMS.length + axis : axis;
        int size = 1;
        for (int d = from; d < DIMS.length; d++) {
            size *= DIMS[d];
        }
        return size;
    }

    private static void assertConforms(double[] exact, double[] gammaU, double[] beta, float[] y, String what) {
        assertConforms(exact, gammaU, beta, y, 8, what);
    }

    /** y within {@code roundings}·u·(|γ·u| + |β|) of ONNX's exact value (the class Javadoc derives the counts). */
    private static void assertConforms(double[] exact, double[] gammaU, double[] beta, float[] y, int roundings,
                                       String what) {
        for (int i = 0; i < y.length; i++) {
            double tolerance = roundings * U * (Math.abs(gammaU[i]) + Math.abs(beta[i])) + Float.MIN_VALUE;
            double error = Math.abs(y[i] - exact[i]);
            assertTrue(error <= tolerance, what + " at " + i + ": " + y[i] + " vs ONNX's " + exact[i] + ", error "
                    + error + " > " + tolerance);
        }
    }

    @Test
    void layerNormalizationAtEveryAxis() {
        for (int axis : new int[] {-1, -2, 1, 0}) {
            int size = size(axis);
            int rows = FLOATS / size;
            float[] x = data(axis + 10);
            float[] scale = params(1, size, 1);
            float[] bias = params(2, size, 0);
            // Reference: mean and var over the axes from `axis` (stash_type float, here in double), y = (x − mean) /
            // sqrt(var + epsilon) * Scale + B, Scale and B broadcast over the normalized shape.
            double[] exact = new double[FLOATS];
            double[] gammaU = new double[FLOATS];
            double[] beta = new double[FLOATS];
            for (int r = 0; r < rows; r++) {
                double mean = 0;
                for (int j = 0; j < size; j++) {
                    mean += x[r * size + j];
                }
                mean /= size;
                double var = 0;
                for (int j = 0; j < size; j++) {
                    double d = x[r * size + j] - mean;
                    var += d * d;
                }
                var /= size;
                for (int j = 0; j < size; j++) {
                    int i = r * size + j;
                    gammaU[i] = (x[i] - mean) / Math.sqrt(var + 1e-5) * scale[j];
                    beta[i] = bias[j];
                    exact[i] = gammaU[i] + bias[j];
                }
            }
            float[] y = new float[FLOATS];
            LayerNorm ln = LayerNorm.builder(size).gamma(scale).beta(bias).build();
            assertEquals(1e-5f, ln.epsilon(), "ONNX's default epsilon");
            ln.apply(x, 0, y, 0, rows);
            assertConforms(exact, gammaU, beta, y, "LayerNormalization axis " + axis);
        }
    }

    @Test
    void rmsNormalizationAtEveryAxisAndPyTorchsDefaultEpsilon() {
        for (int axis : new int[] {-1, 2, 1}) {
            for (float epsilon : new float[] {1e-5f, Math.ulp(1f)}) {
                int size = size(axis);
                int rows = FLOATS / size;
                float[] x = data(axis + 20);
                float[] scale = params(3, size, 1);
                // Reference: y = x / sqrt(mean(x², axes from `axis`) + epsilon) * scale.
                double[] exact = new double[FLOATS];
                double[] zero = new double[FLOATS];
                for (int r = 0; r < rows; r++) {
                    double squares = 0;
                    for (int j = 0; j < size; j++) {
                        squares += (double) x[r * size + j] * x[r * size + j];
                    }
                    double inverse = 1 / Math.sqrt(squares / size + epsilon);
                    for (int j = 0; j < size; j++) {
                        exact[r * size + j] = x[r * size + j] * inverse * scale[j];
                    }
                }
                float[] y = new float[FLOATS];
                RmsNorm.builder(size).epsilon(epsilon).gamma(scale).build().apply(x, 0, y, 0, rows);
                assertConforms(exact, exact, zero, y, 4, "RMSNormalization axis " + axis + ", epsilon " + epsilon);
            }
        }
    }

    @Test
    void groupAndInstanceNormalization() {
        int n = DIMS[0];
        int channels = DIMS[1] * 2; // [2, 6, 4, 5]: groups of 1, 2, 3 and 6 channels
        int spatial = DIMS[2] * DIMS[3];
        float[] x = new float[n * channels * spatial];
        SplittableRandom r = new SplittableRandom(5);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (3 + r.nextGaussian());
        }
        for (int groups : new int[] {1, 2, 3, 6}) {
            // Opset 21: scale and bias per channel, each its own. Opset 18 took one per group: repeated over its
            // channels.
            groupNormalization(x, n, channels, spatial, groups, params(groups, channels, 1),
                    params(groups + 100, channels, 0), "opset 21");
            float[] perGroupScale = params(groups, groups, 1);
            float[] perGroupBias = params(groups + 100, groups, 0);
            float[] scale = new float[channels];
            float[] bias = new float[channels];
            for (int c = 0; c < channels; c++) {
                scale[c] = perGroupScale[c / (channels / groups)];
                bias[c] = perGroupBias[c / (channels / groups)];
            }
            groupNormalization(x, n, channels, spatial, groups, scale, bias, "opset 18");
        }
    }

    /**
     * The ONNX reference (NCHW): x reshaped to [N, G, C/G·H·W], mean and var per (image, group), normalized, reshaped
     * back, then scale and bias per channel; against GroupNorm (InstanceNorm where every group is one channel).
     */
    private static void groupNormalization(float[] x, int n, int channels, int spatial, int groups, float[] scale,
                                           float[] bias, String opset) {
        double[] exact = new double[x.length];
        double[] gammaU = new double[x.length];
        double[] beta = new double[x.length];
        int run = channels / groups * spatial;
        for (int g = 0; g < n * groups; g++) {
            double mean = 0;
            for (int i = g * run; i < (g + 1) * run; i++) {
                mean += x[i];
            }
            mean /= run;
            double var = 0;
            for (int i = g * run; i < (g + 1) * run; i++) {
                var += (x[i] - mean) * (x[i] - mean);
            }
            var /= run;
            for (int i = g * run; i < (g + 1) * run; i++) {
                int c = (i / spatial) % channels;
                gammaU[i] = (x[i] - mean) / Math.sqrt(var + 1e-5) * scale[c];
                beta[i] = bias[c];
                exact[i] = gammaU[i] + bias[c];
            }
        }
        GroupNorm gn = groups == channels ? GroupNorm.instanceNorm(channels).gamma(scale).beta(bias).build()
                : GroupNorm.builder(channels, groups).gamma(scale).beta(bias).build();
        float[] y = new float[x.length];
        gn.apply(x, 0, y, 0, TensorLayout.NCHW, n, spatial);
        assertConforms(exact, gammaU, beta, y, (groups == channels ? "InstanceNormalization" :
                "GroupNormalization, " + groups + " groups") + ", " + opset);
    }
}
