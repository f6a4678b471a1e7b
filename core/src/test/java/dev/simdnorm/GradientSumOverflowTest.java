package dev.simdnorm;

import dev.simdnorm.prop.Choices;
import dev.simdnorm.prop.Property;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The backward passes on finite data whose products {@code v·g} lie beyond the largest float (deviations of 2⁴⁰ to
 * 2⁶² times upstream gradients of 2⁷⁰ to 2¹¹⁵): the float block sums overflow where the gradients are ordinary
 * numbers ({@code dγ = Σv·g/σ}). The gradients must be finite and within the bounds of {@link GradientOracle}.
 */
class GradientSumOverflowTest {

    record Case(int channels, int rows, float[] x, float[] dy, float[] mean, float[] variance, float[] gamma,
                boolean relu) {
    }

    private static Case generate(Choices ch) {
        int channels = ch.between(1, 6);
        int rows = ch.between(2, 700);
        SplittableRandom random = new SplittableRandom(ch.draw(1 << 20));
        float[] mean = new float[channels];
        float[] variance = new float[channels];
        float[] gamma = new float[channels];
        for (int c = 0; c < channels; c++) {
            mean[c] = ch.between(-1000, 1000) * Math.scalb(1f, ch.between(0, 60));
            variance[c] = Math.scalb(1f, 2 * ch.between(40, 62)); // a running variance must be a float
            gamma[c] = ch.between(1, 300) / 100f;
        }
        float dyScale = Math.scalb(1f, ch.between(70, 115));
        float[] x = new float[rows * channels];
        float[] dy = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            int c = i % channels;
            x[i] = (float) (mean[c] + Math.sqrt(variance[c]) * random.nextGaussian());
            dy[i] = (float) (dyScale * random.nextGaussian());
        }
        return new Case(channels, rows, x, dy, mean, variance, gamma, ch.oneIn(2));
    }

    @Test
    void gradientsStayFiniteWhereFloatProductsOverflow() {
        Property.check("backward where v·g overflows float", 60, GradientSumOverflowTest::generate, k -> {
            int c = k.channels();
            for (boolean training : new boolean[] {false, true}) {
                BatchNorm bn = BatchNorm.builder(c).gamma(k.gamma()).runningMean(k.mean())
                        .runningVariance(k.variance()).activation(k.relu() ? Activation.RELU : Activation.NONE)
                        .build();
                float[] y = new float[k.x().length];
                float[] dx = new float[k.x().length];
                double[] mean = new double[c];
                double[] variance = new double[c];
                Gradients grads;
                if (training) {
                    Moments batch = bn.train(k.x(), 0, y, 0, k.rows());
                    grads = bn.backward(k.x(), 0, k.dy(), 0, dx, 0, k.rows(), batch);
                    for (int i = 0; i < c; i++) {
                        mean[i] = batch.meanAsDouble(i);
                        variance[i] = batch.varianceAsDouble(i);
                    }
                } else {
                    bn.inference(k.x(), 0, y, 0, k.rows());
                    grads = bn.backwardInference(k.x(), 0, k.dy(), 0, dx, 0, k.rows());
                    for (int i = 0; i < c; i++) {
                        mean[i] = k.mean()[i];
                        variance[i] = k.variance()[i];
                    }
                }
                for (int i = 0; i < c; i++) {
                    assertTrue(Float.isFinite(grads.dGamma()[i]) && Float.isFinite(grads.dBeta()[i]),
                            (training ? "backward" : "backwardInference") + ", channel " + i + ": dγ "
                                    + grads.dGamma()[i] + ", dβ " + grads.dBeta()[i]);
                }
                GradientOracle.Expected e = GradientOracle.backward(k.x(), 0, k.dy(), 0, k.rows(), c, mean, variance,
                        k.gamma(), BatchNorm.builder(c).build().epsilon(),
                        BackwardPropertyTest.keep(y, 0, y.length, k.relu()), training);
                BackwardPropertyTest.assertMatches(e, grads, dx, 0, k.rows(), c);
            }
        });
    }
    /**
     * dx where a coefficient, not dx, lies beyond float: an upstream gradient of 1.1e37 on a constant channel
     * (k ≈ 31.6, so {@code −k·Σg/n ≈ −3.5e38}; dx is 0 up to k₀'s rounding) and gradients of ±1e37 on values ±0.01
     * ({@code −k·Σvg/(n·(σ² + ε)) ≈ −2.7e39}; dx ≈ ∓2.7e38). The kernels took the coefficients as ±Inf: dx −Inf, and
     * ±Inf with the signs of the true values flipped. The bound is the one above.
     */
    @Test
    void dxIsRightWhereACoefficientLeavesFloat() {
        float[][][] cases = {{{5f, 5f}, {1.1e37f, 1.1e37f}}, {{-0.01f, 0.01f}, {-1e37f, 1e37f}}};
        for (float[][] xy : cases) {
            float[] x = xy[0];
            float[] dy = xy[1];
            BatchNorm bn = BatchNorm.builder(1).build();
            Moments batch = bn.train(x, 0, new float[2], 0, 2);
            float[] dx = new float[2];
            bn.backward(x, 0, dy, 0, dx, 0, 2, batch);
            assertExact(x, dy, dx, batch, 1f, bn.epsilon());
        }
    }

    /**
     * dx where both coefficients fit in float but the correction {@code v·k₁ + k₂} does not: x = 1, 0, −1 and dy
     * ±2.5e38 (k ≈ 1.22, k₁ ≈ −3.06e38, k₂ ≈ −1.02e38, so v·k₁ + k₂ ≈ −4.1e38 at the first value, whose dx is
     * −1.02e38), and the same coefficients from ordinary sums with γ = 1e10 and dy ±2.5e28. The kernels rounded the
     * correction to −Inf before adding g·k: dx −Inf. The bound is the one above.
     */
    @Test
    void dxIsRightWhereTheCorrectionLeavesFloat() {
        float[] x = {1f, 0f, -1f};
        float[][] cases = {{1f, 2.5e38f, 2.5e38f, -2.5e38f}, {1e10f, 2.5e28f, 2.5e28f, -2.5e28f}};
        for (float[] c : cases) {
            float gamma = c[0];
            float[] dy = {c[1], c[2], c[3]};
            BatchNorm bn = BatchNorm.builder(1).gamma(new float[] {gamma}).build();
            Moments batch = bn.train(x, 0, new float[3], 0, 3);
            float[] dx = new float[3];
            bn.backward(x, 0, dy, 0, dx, 0, 3, batch);
            assertExact(x, dy, dx, batch, gamma, bn.epsilon());
        }
    }

    /** dx against the formula in double, within two roundings of it and of k·g and four of every term. */
    private static void assertExact(float[] x, float[] dy, float[] dx, Moments batch, float gamma, float epsilon) {
        int n = x.length;
        double mu = batch.meanAsDouble(0);
        double ve = batch.varianceAsDouble(0) + epsilon;
        double k = gamma / Math.sqrt(ve);
        double sumG = 0;
        double sumVG = 0;
        for (int i = 0; i < n; i++) {
            sumG += dy[i];
            sumVG += (x[i] - mu) * dy[i];
        }
        double a = sumG / n;
        double b = sumVG / (n * ve);
        for (int i = 0; i < n; i++) {
            double v = x[i] - mu;
            double exact = k * (dy[i] - a - v * b);
            double terms = Math.abs(k * dy[i]) + Math.abs(k * a) + Math.abs(k * v * b);
            assertEquals(exact, dx[i], 2 * Oracle.U * (Math.abs(exact) + Math.abs(k * dy[i])) + 4 * Oracle.U * terms,
                    "element " + i + " of " + java.util.Arrays.toString(x));
        }
    }

    /**
     * dx of a training step whose values spread to float's limits: ±3e38 (μ = −1e38, σ ≈ 2.8e38). The deviation
     * 3e38 − μ = 4e38 overflows float, and the deviation coefficient −k·Σvg/(n·(σ² + ε)) ≈ −6e-48 is below float's
     * smallest value: the kernels gave NaN (∞·0) at the first value and dropped the deviation term, a third of dx, at
     * the others. Taken in double with double coefficients and rounded once, dx errs by a rounding of itself and of
     * k·g (the forward's float scale) and by the sums' double roundings, far below 4 units of each term.
     */
    @Test
    void dxIsRightWhereDeviationsOrTheirCoefficientLeaveFloat() {
        float[] x = {3e38f, -3e38f, -3e38f};
        float[] dy = {1f, 0.5f, -0.25f};
        float gamma = 1e30f;
        BatchNorm bn = BatchNorm.builder(1).gamma(new float[] {gamma}).build();
        Moments batch = bn.train(x, 0, new float[3], 0, 3);
        float[] dx = new float[3];
        bn.backward(x, 0, dy, 0, dx, 0, 3, batch);
        assertExact(x, dy, dx, batch, gamma, bn.epsilon());
    }
    /**
     * A frozen backward pass through a ReLU where the deviation overflows float: x = 3e38 against a running mean of
     * −1.5e38 (σ ≈ 1.7e19), γ 1e-10 and β −1e10, so the output is relu(2.6e9 − 1e10) = 0 and no gradient flows. The
     * kernels' mask, from {@code fma(+∞, s, β) = +∞}, let dy through: dx = dy·s and dβ = Σdy where both are 0.
     */
    @Test
    void theReluMaskFollowsTheForwardOutputWhereTheDeviationOverflows() {
        BatchNorm bn = BatchNorm.builder(1).gamma(new float[] {1e-10f}).beta(new float[] {-1e10f})
                .runningMean(new float[] {-1.5e38f}).runningVariance(new float[] {3e38f})
                .activation(Activation.RELU).build();
        float[] x = {3e38f, -1.5e38f};
        float[] y = new float[2];
        bn.inference(x, 0, y, 0, 2);
        assertEquals(0f, y[0], "the forward output");
        float[] dx = new float[2];
        Gradients grads = bn.backwardInference(x, 0, new float[] {1f, 1f}, 0, dx, 0, 2);
        assertEquals(0f, dx[0], "dx where the output was 0");
        assertEquals(0f, dx[1], "dx where the output was β < 0");
        assertEquals(0f, grads.dBeta()[0], "dβ");
        assertEquals(0f, grads.dGamma()[0], "dγ");
    }
}
