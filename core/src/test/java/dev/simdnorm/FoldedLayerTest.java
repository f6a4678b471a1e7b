package dev.simdnorm;

import dev.simdnorm.prop.Gen;
import dev.simdnorm.prop.Property;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Arrays;
import java.util.SplittableRandom;

import static dev.simdnorm.BadInputTest.fails;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Folding a BatchNorm into the layer before it: a direct convolution (or dense layer) followed by
 * {@link BatchNorm#inference} against the folded layer, written plainly here for each {@link WeightLayout}.
 */
class FoldedLayerTest {

    private static final double U = Oracle.U;
    /** The double steps of the fold: s within 3 units of 2⁻⁵³, one more for each product or sum. */
    private static final double DOUBLE_FOLD = 0x1p-50;

    /**
     * A layer over an NHWC input of n×h×w×in, with a kh×kw kernel (1×1 for the dense layouts, i.e. a dense layer
     * applied to every pixel), stride 1, no padding, and {@code out} channels normalized by the BatchNorm.
     */
    record FoldCase(WeightLayout layout, int n, int h, int w, int kh, int kw, int in, int out, float[] x,
                    float[] weights, float[] bias, float[] mean, float[] variance, float[] gamma, float[] beta,
                    float epsilon) {

        int[] shape() {
            return switch (layout) {
                case OIHW -> new int[] {out, in, kh, kw};
                case HWIO -> new int[] {kh, kw, in, out};
                case OHWI -> new int[] {out, kh, kw, in};
                case OUT_IN -> new int[] {out, in};
                case IN_OUT -> new int[] {in, out};
            };
        }

        /** Where weight (o, i, kernel row a, kernel column b) sits in the flat array. */
        int weightIndex(int o, int i, int a, int b) {
            return switch (layout) {
                case OIHW -> ((o * in + i) * kh + a) * kw + b;
                case HWIO -> ((a * kw + b) * in + i) * out + o;
                case OHWI -> ((o * kh + a) * kw + b) * in + i;
                case OUT_IN -> o * in + i;
                case IN_OUT -> i * out + o;
            };
        }

        int outRows() {
            return n * (h - kh + 1) * (w - kw + 1);
        }

        float input(int image, int row, int column, int i) {
            return x[((image * h + row) * w + column) * in + i];
        }

        float biasOf(int o) {
            return bias == null ? 0f : bias[o];
        }

        BatchNorm batchNorm() {
            return BatchNorm.builder(out).runningMean(mean).runningVariance(variance).gamma(gamma).beta(beta)
                    .epsilon(epsilon).build();
        }

        double scale(int o) {
            return gamma[o] / Math.sqrt((double) variance[o] + epsilon);
        }

        @Override
        public String toString() {
            return layout + " " + Arrays.toString(shape()) + " on " + n + "x" + h + "x" + w + "x" + in + ", ε "
                    + epsilon + "\n    weights " + Arrays.toString(weights) + "\n    bias " + Arrays.toString(bias)
                    + "\n    mean " + Arrays.toString(mean) + "\n    variance " + Arrays.toString(variance)
                    + "\n    gamma " + Arrays.toString(gamma) + "\n    beta " + Arrays.toString(beta)
                    + "\n    x " + Arrays.toString(x);
        }
    }

    static final Gen<FoldCase> CASES = ch -> {
        WeightLayout layout = ch.oneOf(WeightLayout.values());
        boolean conv = layout == WeightLayout.OIHW || layout == WeightLayout.HWIO || layout == WeightLayout.OHWI;
        int n = ch.between(1, 2);
        int h = ch.between(1, 6);
        int w = ch.between(1, 6);
        int kh = conv ? ch.between(1, Math.min(h, 3)) : 1;
        int kw = conv ? ch.between(1, Math.min(w, 3)) : 1;
        int in = ch.between(1, 8);
        int out = ch.oneIn(4) ? ch.oneOf(16, 17, 33, 64) : ch.between(1, 9);
        // Bias and mean far from zero make b − mean cancel; tiny or zero variances make s large.
        double offset = ch.oneOf(0.0, 1e3, -1e4, 3.0);
        double varianceSize = ch.oneOf(1.0, 0.0, 1e-8, 1e4);
        boolean hasBias = !ch.oneIn(4);
        float epsilon = ch.oneOf(1e-3f, 1e-5f, 0.1f);
        SplittableRandom r = new SplittableRandom(ch.seed());
        float[] x = gaussian(r, n * h * w * in, 0, 1);
        float[] weights = gaussian(r, kh * kw * in * out, 0, 0.5);
        float[] bias = hasBias ? gaussian(r, out, offset, 1) : null;
        float[] mean = gaussian(r, out, offset, 1);
        float[] variance = new float[out];
        for (int o = 0; o < out; o++) {
            variance[o] = (float) (varianceSize * (0.1 + Math.abs(r.nextGaussian())));
        }
        float[] gamma = gaussian(r, out, 1, 0.5);
        float[] beta = gaussian(r, out, 0, 1);
        return new FoldCase(layout, n, h, w, kh, kw, in, out, x, weights, bias, mean, variance, gamma, beta,
                epsilon);
    };

    static float[] gaussian(SplittableRandom r, int length, double mean, double sd) {
        float[] a = new float[length];
        for (int i = 0; i < length; i++) {
            a[i] = (float) (mean + sd * r.nextGaussian());
        }
        return a;
    }

    /** The layer in float, NHWC output: {@code acc = b; acc += x·w} per term, as a plain inference engine does. */
    static float[] layer(FoldCase k, float[] weights, float[] bias) {
        int ho = k.h() - k.kh() + 1;
        int wo = k.w() - k.kw() + 1;
        float[] y = new float[k.outRows() * k.out()];
        for (int img = 0, p = 0; img < k.n(); img++) {
            for (int row = 0; row < ho; row++) {
                for (int col = 0; col < wo; col++) {
                    for (int o = 0; o < k.out(); o++, p++) {
                        float acc = bias == null ? 0f : bias[o];
                        for (int a = 0; a < k.kh(); a++) {
                            for (int b = 0; b < k.kw(); b++) {
                                for (int i = 0; i < k.in(); i++) {
                                    acc += k.input(img, row + a, col + b, i) * weights[k.weightIndex(o, i, a, b)];
                                }
                            }
                        }
                        y[p] = acc;
                    }
                }
            }
        }
        return y;
    }

    /** γ_n of Higham (2002), §3.1: a sum of n rounded operations errs by at most γ_n·Σ|terms|. */
    static double gamma(int n) {
        return n * U / (1 - n * U);
    }

    @Test
    void foldedLayerMatchesLayerThenBatchNorm() {
        Property.check("folded layer against the layer followed by BatchNorm inference", CASES, k -> {
            BatchNorm bn = k.batchNorm();
            float[] z = layer(k, k.weights(), k.bias());
            float[] viaBatchNorm = new float[z.length];
            bn.inference(z, 0, viaBatchNorm, 0, k.outRows());
            FoldedLayer folded = FoldedLayer.of(bn, k.weights(), k.shape(), k.layout(), k.bias());
            float[] viaFold = layer(k, folded.weights(), folded.bias());

            int terms = k.kh() * k.kw() * k.in();
            int ho = k.h() - k.kh() + 1;
            int wo = k.w() - k.kw() + 1;
            for (int img = 0, p = 0; img < k.n(); img++) {
                for (int row = 0; row < ho; row++) {
                    for (int col = 0; col < wo; col++) {
                        for (int o = 0; o < k.out(); o++, p++) {
                            double s = k.scale(o);
                            double dot = 0;
                            double dotAbs = 0;
                            for (int a = 0; a < k.kh(); a++) {
                                for (int b = 0; b < k.kw(); b++) {
                                    for (int i = 0; i < k.in(); i++) {
                                        double t = (double) k.input(img, row + a, col + b, i)
                                                * k.weights()[k.weightIndex(o, i, a, b)];
                                        dot += t;
                                        dotAbs += Math.abs(t);
                                    }
                                }
                            }
                            double b0 = k.biasOf(o);
                            double m = k.mean()[o];
                            double shift = (b0 - m) * s + k.beta()[o];
                            double exact = dot * s + shift;
                            // Everything done in double (here and in the fold) errs by far less than 2⁻⁴⁰ of the
                            // terms' sizes.
                            double slack = Oracle.DOUBLE_SLACK
                                    * (dotAbs * Math.abs(s) + (Math.abs(b0) + Math.abs(m)) * Math.abs(s)
                                    + Math.abs(k.beta()[o]));
                            // Folded: each W' and b' is within u (+ the double steps) of W·s and the exact shift;
                            // the float sum of terms products and the bias rounds terms + 1 times (γ_{terms+1}).
                            double sizes = dotAbs * Math.abs(s) + Math.abs(shift);
                            double tolFold = (U + DOUBLE_FOLD) * sizes
                                    + gamma(terms + 1) * (1 + U + DOUBLE_FOLD) * sizes + slack + Float.MIN_VALUE;
                            // Layer then BatchNorm: the float layer output z errs by γ_{terms+1}·(Σ|x·w| + |b|);
                            // inference computes fma(fl(z − mean), fl(s), β) (the centered form).
                            double zErr = gamma(terms + 1) * (dotAbs + Math.abs(b0));
                            double tolBn = Oracle.affineTolerance(z[p], m, s, exact, zErr, U) + slack;
                            assertWithin(exact, viaFold[p], tolFold, "folded layer vs exact", p, o);
                            assertWithin(viaBatchNorm[p], viaFold[p], tolFold + tolBn,
                                    "folded layer vs layer + BatchNorm", p, o);
                        }
                    }
                }
            }
        });
    }

    @Test
    void foldedValuesAreTheExactOnesRoundedOnce() {
        MathContext mc = new MathContext(60);
        Property.check("each folded weight and bias is the exact value rounded to float once", CASES, k -> {
            FoldedLayer folded = FoldedLayer.of(k.batchNorm(), k.weights(), k.shape(), k.layout(), k.bias());
            float[] w = folded.weights();
            float[] b = folded.bias();
            for (int o = 0; o < k.out(); o++) {
                BigDecimal s = new BigDecimal(k.gamma()[o]).divide(
                        new BigDecimal(k.variance()[o]).add(new BigDecimal(k.epsilon())).sqrt(mc), mc);
                for (int i = 0; i < k.in(); i++) {
                    for (int a = 0; a < k.kh(); a++) {
                        for (int c = 0; c < k.kw(); c++) {
                            int idx = k.weightIndex(o, i, a, c);
                            BigDecimal exact = new BigDecimal(k.weights()[idx]).multiply(s, mc);
                            // Correct rounding errs by at most half an ulp; the double steps add about 2⁻⁵¹
                            // relative. Rounding s to float first would often miss this by up to another half ulp.
                            double tol = 0.5 * Math.ulp(w[idx]) + DOUBLE_FOLD * Math.abs(exact.doubleValue());
                            assertWithin(exact, w[idx], tol, "weight", idx, o);
                        }
                    }
                }
                BigDecimal centered = new BigDecimal(k.biasOf(o)).subtract(new BigDecimal(k.mean()[o]));
                BigDecimal exact = centered.multiply(s, mc).add(new BigDecimal(k.beta()[o]), mc);
                // As for the weights; the double steps err relative to the terms, which may cancel.
                double tol = 0.5 * Math.ulp(b[o]) + DOUBLE_FOLD
                        * (Math.abs(centered.multiply(s, mc).doubleValue()) + Math.abs(k.beta()[o]));
                assertWithin(exact, b[o], tol, "bias", o, o);
            }
        });
    }

    static void assertWithin(double expected, float actual, double tol, String what, int index, int channel) {
        if (!(Math.abs(actual - expected) <= tol)) {
            throw new AssertionError(what + " [" + index + "] (channel " + channel + "): " + actual + ", expected "
                    + expected + " ± " + tol);
        }
    }

    /** Compared in exact arithmetic, so that a bound of half an ulp is not blurred by a double subtraction. */
    static void assertWithin(BigDecimal expected, float actual, double tol, String what, int index, int channel) {
        BigDecimal error = new BigDecimal(actual).subtract(expected).abs();
        if (error.compareTo(new BigDecimal(tol)) > 0) {
            throw new AssertionError(what + " [" + index + "] (channel " + channel + "): " + actual + ", expected "
                    + expected + " ± " + tol);
        }
    }

    @Test
    void everyLayoutReadsTheOutDimensionWhereItNames() {
        // Variance 0.75 and ε 0.25 sum to exactly 1, so s = γ: channel 0 is scaled by 2, channel 1 by 3, exactly.
        BatchNorm bn = BatchNorm.builder(2).gamma(new float[] {2, 3}).runningVariance(new float[] {0.75f, 0.75f})
                .epsilon(0.25f).build();
        float[] w = {1, 10, 100, 1000};
        assertArrayEquals(new float[] {2, 20, 300, 3000}, FoldedLayer.of(bn, w, new int[] {2, 2}, WeightLayout.OUT_IN,
                null).weights(), "OUT_IN: out is the first dimension");
        assertArrayEquals(new float[] {2, 30, 200, 3000}, FoldedLayer.of(bn, w, new int[] {2, 2}, WeightLayout.IN_OUT,
                null).weights(), "IN_OUT: out is the last dimension");
        assertArrayEquals(new float[] {2, 20, 300, 3000}, FoldedLayer.of(bn, w, new int[] {2, 1, 2, 1},
                WeightLayout.OIHW, null).weights(), "OIHW: out is the first dimension");
        assertArrayEquals(new float[] {2, 30, 200, 3000}, FoldedLayer.of(bn, w, new int[] {1, 2, 1, 2},
                WeightLayout.HWIO, null).weights(), "HWIO: out is the last dimension");
    }

    @Test
    void rejectsBadArgumentsAndChangesNothing() {
        float[] gamma = {1.5f, -0.5f, 2f};
        float[] beta = {0.1f, -0.2f, 0.3f};
        float[] mean = {1f, 2f, 3f};
        float[] variance = {0.5f, 1f, 4f};
        BatchNorm bn = BatchNorm.builder(3).gamma(gamma).beta(beta).runningMean(mean).runningVariance(variance)
                .build();
        float[] w = new float[3 * 2 * 2 * 2];
        for (int i = 0; i < w.length; i++) {
            w[i] = i * 0.25f - 2f;
        }
        float[] bias = {0.5f, 0.25f, -1f};
        int[] oihw = {3, 2, 2, 2};
        float[] wBefore = w.clone();
        float[] biasBefore = bias.clone();
        int[] shapeBefore = oihw.clone();

        fails(NullPointerException.class, "bn", () -> FoldedLayer.of(null, w, oihw, WeightLayout.OIHW, bias));
        fails(NullPointerException.class, "weights", () -> FoldedLayer.of(bn, null, oihw, WeightLayout.OIHW, bias));
        fails(NullPointerException.class, "shape", () -> FoldedLayer.of(bn, w, null, WeightLayout.OIHW, bias));
        fails(NullPointerException.class, "layout", () -> FoldedLayer.of(bn, w, oihw, null, bias));
        fails(IllegalArgumentException.class, "shape.length",
                () -> FoldedLayer.of(bn, w, new int[] {3, 8}, WeightLayout.OIHW, bias));
        fails(IllegalArgumentException.class, "shape.length",
                () -> FoldedLayer.of(bn, w, oihw, WeightLayout.OUT_IN, bias));
        fails(IllegalArgumentException.class, "shape.length",
                () -> FoldedLayer.of(bn, w, new int[] {3, 2, 2, 2, 1}, WeightLayout.OIHW, bias));
        // The out dimension is checked against the BatchNorm where the layout puts it.
        fails(IllegalArgumentException.class, "shape[0]",
                () -> FoldedLayer.of(bn, w, new int[] {2, 3, 2, 2}, WeightLayout.OIHW, bias));
        fails(IllegalArgumentException.class, "shape[3]",
                () -> FoldedLayer.of(bn, w, oihw, WeightLayout.HWIO, bias));
        fails(IllegalArgumentException.class, "shape[0]",
                () -> FoldedLayer.of(bn, w, new int[] {8, 3}, WeightLayout.OUT_IN, bias));
        fails(IllegalArgumentException.class, "shape[1]",
                () -> FoldedLayer.of(bn, w, new int[] {3, 8}, WeightLayout.IN_OUT, bias));
        fails(IllegalArgumentException.class, "shape[1]",
                () -> FoldedLayer.of(bn, w, new int[] {3, 0, 2, 2}, WeightLayout.OIHW, bias));
        fails(IllegalArgumentException.class, "shape[2]",
                () -> FoldedLayer.of(bn, w, new int[] {3, 2, -2, 2}, WeightLayout.OIHW, bias));
        fails(IllegalArgumentException.class, "weights.length",
                () -> FoldedLayer.of(bn, w, new int[] {3, 2, 2, 1}, WeightLayout.OIHW, bias));
        fails(IllegalArgumentException.class, "weights.length",
                () -> FoldedLayer.of(bn, w, new int[] {3, 3}, WeightLayout.OUT_IN, bias));
        // Products past int must not wrap around to the array's length: 3·8·3·178956971 = 3·2³² + 24, and
        // 3·2⁹⁰ is past long.
        fails(IllegalArgumentException.class, "weights.length",
                () -> FoldedLayer.of(bn, w, new int[] {3, 8, 3, 178956971}, WeightLayout.OIHW, bias));
        fails(IllegalArgumentException.class, "weights.length",
                () -> FoldedLayer.of(bn, w, new int[] {3, 1 << 30, 1 << 30, 1 << 30}, WeightLayout.OIHW, bias));
        fails(IllegalArgumentException.class, "bias.length",
                () -> FoldedLayer.of(bn, w, oihw, WeightLayout.OIHW, new float[2]));
        fails(IllegalArgumentException.class, "bias[1]",
                () -> FoldedLayer.of(bn, w, oihw, WeightLayout.OIHW, new float[] {0, Float.NaN, 0}));
        float[] infinite = w.clone();
        infinite[5] = Float.NEGATIVE_INFINITY;
        fails(IllegalArgumentException.class, "weights[5]",
                () -> FoldedLayer.of(bn, infinite, oihw, WeightLayout.OIHW, bias));
        // Weight 23 belongs to channel 2, which γ 4 and variance 4 scale by about 2: 3.4e38·2 overflows float.
        float[] huge = w.clone();
        huge[23] = 3.4e38f;
        BatchNorm doubling = BatchNorm.builder(3).gamma(new float[] {1, 1, 4}).runningVariance(new float[] {1, 1, 4})
                .build();
        fails(ArithmeticException.class, "weights[23]",
                () -> FoldedLayer.of(doubling, huge, oihw, WeightLayout.OIHW, bias));

        assertArrayEquals(wBefore, w, "weights changed");
        assertArrayEquals(biasBefore, bias, "bias changed");
        assertArrayEquals(shapeBefore, oihw, "shape changed");
        assertArrayEquals(gamma, bn.gamma());
        assertArrayEquals(beta, bn.beta());
        assertArrayEquals(mean, bn.runningMean());
        assertArrayEquals(variance, bn.runningVariance());

        // A successful fold writes nothing either, and its accessors return copies.
        FoldedLayer folded = FoldedLayer.of(bn, w, oihw, WeightLayout.OIHW, bias);
        assertArrayEquals(wBefore, w, "weights changed by a fold");
        assertArrayEquals(biasBefore, bias, "bias changed by a fold");
        float[] first = folded.weights();
        first[0] = 99f;
        folded.bias()[0] = 99f;
        assertArrayEquals(FoldedLayer.of(bn, w, oihw, WeightLayout.OIHW, bias).weights(), folded.weights());
        assertArrayEquals(FoldedLayer.of(bn, w, oihw, WeightLayout.OIHW, bias).bias(), folded.bias());
    }

    @Test
    void nonFiniteRunningStatisticsPropagateIntoTheirChannelOnly() {
        BatchNorm bn = BatchNorm.builder(2).momentum(0.5f).build();
        float[] x = {1f, Float.NaN, 3f, 2f};
        bn.train(x, 0, new float[4], 0, 2); // channel 1's running statistics become NaN
        FoldedLayer folded = FoldedLayer.of(bn, new float[] {1f, 2f, 3f, 4f}, new int[] {2, 2}, WeightLayout.IN_OUT,
                new float[] {0.5f, 0.5f});
        float[] w = folded.weights();
        float[] b = folded.bias();
        for (int i = 0; i < 2; i++) {
            assertTrue(Float.isFinite(w[i * 2]), "channel 0 weight " + i);
            assertTrue(Float.isNaN(w[i * 2 + 1]), "channel 1 weight " + i);
        }
        assertTrue(Float.isFinite(b[0]));
        assertTrue(Float.isNaN(b[1]));
    }

    @Test
    void noBiasIsAZeroBias() {
        BatchNorm bn = BatchNorm.builder(2).gamma(new float[] {1.25f, -3f}).beta(new float[] {0.5f, 7f})
                .runningMean(new float[] {1e4f, -2f}).runningVariance(new float[] {3f, 0f}).epsilon(1e-5f).build();
        float[] w = {1f, 2f, 3f, 4f, 5f, 6f};
        FoldedLayer none = FoldedLayer.of(bn, w, new int[] {3, 2}, WeightLayout.IN_OUT, null);
        FoldedLayer zeros = FoldedLayer.of(bn, w, new int[] {3, 2}, WeightLayout.IN_OUT, new float[2]);
        assertArrayEquals(zeros.weights(), none.weights());
        assertArrayEquals(zeros.bias(), none.bias());
    }
}
