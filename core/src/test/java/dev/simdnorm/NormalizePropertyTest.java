package dev.simdnorm;

import dev.simdnorm.prop.Gen;
import dev.simdnorm.prop.Property;
import dev.simdnorm.prop.TensorCase;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The fused affine map against its formula in double, and in place against out of place. */
class NormalizePropertyTest {

    /** A tensor, per-channel parameters and an output placement. */
    record AffineCase(TensorCase t, float[] mean, float[] variance, float[] gamma, float[] beta, float epsilon,
                      boolean relu, int yOffset, int yPad) {
        @Override
        public String toString() {
            return t + (t.channels() <= 8 ? ", mean=" + Arrays.toString(mean) + ", variance="
                    + Arrays.toString(variance) + ", gamma=" + Arrays.toString(gamma) + ", beta="
                    + Arrays.toString(beta) : "") + ", epsilon=" + epsilon + ", relu=" + relu + ", yOffset=" + yOffset;
        }
    }

    static final Gen<AffineCase> CASES = ch -> {
        TensorCase t = TensorCase.gen(100_000).generate(ch);
        int c = t.channels();
        SplittableRandom r = new SplittableRandom(ch.seed());
        float[] mean = new float[c];
        float[] variance = new float[c];
        float[] gamma = new float[c];
        float[] beta = new float[c];
        for (int i = 0; i < c; i++) {
            mean[i] = t.rows() > 0 && Float.isFinite(t.at(0, i)) && r.nextBoolean() ? t.at(0, i)
                    : (float) r.nextGaussian();
            variance[i] = r.nextInt(10) == 0 ? 0f : (float) Math.abs(r.nextGaussian() * 3);
            gamma[i] = r.nextInt(20) == 0 ? 0f : (float) (1 + 0.5 * r.nextGaussian());
            beta[i] = (float) r.nextGaussian();
        }
        float epsilon = ch.oneOf(1e-3f, 1e-5f, 1f, 1e-12f);
        return new AffineCase(t, mean, variance, gamma, beta, epsilon, ch.oneIn(2), ch.between(0, 20),
                ch.between(0, 3));
    };

    @Test
    void normalizingMatchesFormula() {
        Property.check("normalizing map within u-bounds of (x−μ)·γ/√(σ²+ε)+β in double", CASES, a -> {
            TensorCase t = a.t();
            ChannelAffine map = ChannelAffine.normalizing(a.mean(), a.variance(), a.gamma(), a.beta(), a.epsilon())
                    .withActivation(a.relu() ? Activation.RELU : Activation.NONE);
            float[] y = poisoned(a.yOffset() + t.length() + a.yPad());
            map.apply(t.x(), t.offset(), y, a.yOffset(), t.rows());
            for (int r = 0; r < t.rows(); r++) {
                for (int c = 0; c < t.channels(); c++) {
                    double scale = a.gamma()[c] / Math.sqrt((double) a.variance()[c] + a.epsilon());
                    double expected = Oracle.normalize(t.at(r, c), a.mean()[c], a.variance()[c], a.gamma()[c],
                            a.beta()[c], a.epsilon());
                    // The scale is rounded once from double (relative error u).
                    double tol = Oracle.affineTolerance(t.at(r, c), a.mean()[c], scale, expected, 0, Oracle.U);
                    assertElement(expected, a.relu(), y[a.yOffset() + r * t.channels() + c], tol, r, c);
                }
            }
            assertUntouchedOutside(y, a.yOffset(), t.length());
        });
    }

    @Test
    void scaleShiftMatchesFormula() {
        Property.check("ChannelAffine.of within u-bounds of x·s+b in double", CASES, a -> {
            TensorCase t = a.t();
            ChannelAffine map = ChannelAffine.of(a.gamma(), a.beta());
            float[] y = poisoned(a.yOffset() + t.length() + a.yPad());
            map.apply(t.x(), t.offset(), y, a.yOffset(), t.rows());
            for (int r = 0; r < t.rows(); r++) {
                for (int c = 0; c < t.channels(); c++) {
                    double expected = (double) t.at(r, c) * a.gamma()[c] + a.beta()[c];
                    // x − 0 is exact; the FMA rounds once.
                    double tol = Oracle.U * Math.abs(expected) + Float.MIN_VALUE;
                    assertElement(expected, false, y[a.yOffset() + r * t.channels() + c], tol, r, c);
                }
            }
        });
    }

    @Test
    void inPlaceEqualsOutOfPlaceBitForBit() {
        Property.check("in place equals out of place, bit for bit", CASES, a -> {
            TensorCase t = a.t();
            ChannelAffine map = ChannelAffine.normalizing(a.mean(), a.variance(), a.gamma(), a.beta(), a.epsilon())
                    .withActivation(a.relu() ? Activation.RELU : Activation.NONE);
            float[] y = new float[t.x().length];
            map.apply(t.x(), t.offset(), y, t.offset(), t.rows());
            float[] inPlace = t.x().clone();
            map.apply(inPlace, t.offset(), inPlace, t.offset(), t.rows());
            assertArrayEquals(bits(y, t.offset(), t.length()), bits(inPlace, t.offset(), t.length()));
        });
    }

    static float[] poisoned(int length) {
        float[] y = new float[length];
        Arrays.fill(y, -12345.5f);
        return y;
    }

    static void assertUntouchedOutside(float[] y, int offset, int length) {
        for (int i = 0; i < y.length; i++) {
            if (i < offset || i >= offset + length) {
                assertEquals(-12345.5f, y[i], "y[" + i + "] outside the output range was written");
            }
        }
    }

    /** Non-finite expectations must match in kind (NaN, +Inf, −Inf); finite ones within the tolerance. */
    static void assertElement(double expected, boolean relu, float actual, double tol, int r, int c) {
        if (relu) {
            expected = Double.isNaN(expected) ? expected : Math.max(expected, 0);
        }
        if (!Double.isFinite(expected) || !Float.isFinite(actual)) {
            assertEquals(expected, (double) actual, "row " + r + " channel " + c + ": non-finite mismatch");
            return;
        }
        if (!(Math.abs(actual - expected) <= tol)) {
            throw new AssertionError("row " + r + " channel " + c + ": y " + actual + ", expected " + expected
                    + " ± " + tol);
        }
    }

    static int[] bits(float[] a, int offset, int length) {
        int[] out = new int[length];
        for (int i = 0; i < length; i++) {
            out[i] = Float.floatToRawIntBits(a[offset + i]);
        }
        return out;
    }
}
