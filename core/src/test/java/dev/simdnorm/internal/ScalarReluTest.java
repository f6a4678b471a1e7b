package dev.simdnorm.internal;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The scalar kernel's branch-free ReLU and ReLU gradient are the branchy definitions, bit for bit: on every special
 * value, every boundary of the float encoding, and random bit patterns (NaN payloads and signs included).
 */
class ScalarReluTest {

    private static float reluByBranch(float t) {
        return t < 0f ? 0f : t;
    }

    private static float gradientByBranch(float dy, float forward) {
        return forward <= 0f ? 0f : dy;
    }

    @Test
    void reluIsTheBranchyDefinitionBitForBit() {
        for (int bits : interestingBits()) {
            check(Float.intBitsToFloat(bits));
        }
        SplittableRandom r = new SplittableRandom(42);
        for (int i = 0; i < 2_000_000; i++) {
            check(Float.intBitsToFloat(r.nextInt()));
        }
    }

    @Test
    void reluGradientIsTheBranchyDefinitionBitForBit() {
        SplittableRandom r = new SplittableRandom(43);
        for (int bits : interestingBits()) {
            checkGradient(Float.intBitsToFloat(r.nextInt()), Float.intBitsToFloat(bits));
            checkGradient(-1.5f, Float.intBitsToFloat(bits));
        }
        for (int i = 0; i < 2_000_000; i++) {
            checkGradient(Float.intBitsToFloat(r.nextInt()), Float.intBitsToFloat(r.nextInt()));
        }
    }

    /**
     * The separate pass, {@code max(t, +0)} in a loop C2 vectorizes, is the branchy ReLU bit for bit on every value
     * but −0 (NaN payloads included). Run often enough on whole arrays to be compiled and vectorized.
     */
    @Test
    void theMaxPassIsReluOnEveryValueButNegativeZero() {
        SplittableRandom r = new SplittableRandom(44);
        int[] special = interestingBits();
        float[] t = new float[1024 + 7];
        float[] y = new float[t.length];
        for (int round = 0; round < 3_000; round++) {
            for (int k = 0; k < t.length; k++) {
                int bits = k < special.length && round % 2 == 0 ? special[k] : r.nextInt();
                t[k] = bits == 0x80000000 ? 0f : Float.intBitsToFloat(bits);
            }
            System.arraycopy(t, 0, y, 0, t.length);
            int from = round % 8;
            ScalarKernel.reluInPlace(y, from, t.length);
            for (int k = from; k < t.length; k++) {
                int at = k;
                assertEquals(Float.floatToRawIntBits(reluByBranch(t[k])), Float.floatToRawIntBits(y[k]),
                        () -> "max pass at bits " + Integer.toHexString(Float.floatToRawIntBits(t[at])));
            }
        }
    }

    /**
     * The lemma behind {@link ScalarKernel#maxIsRelu}: with |shift| ≥ 2^−100, fma(v, s, shift) is never −0, even
     * where v·s cancels the shift to the last bit; below it, it can be.
     */
    @Test
    void noOutputIsNegativeZeroWhereEveryShiftIsLargeEnough() {
        assertEquals(0x80000000, Float.floatToRawIntBits(Math.fma(-0x1p-80f, 0x1p-80f, 0f)), "why the bound exists");
        assertEquals(0x80000000, Float.floatToRawIntBits(Math.fma(-(1 + 0x1p-23f) * 0x1p-75f, 0x1p-74f, 0x1p-149f)),
                "a small nonzero shift cancelled below 2^-150 also gives -0");
        SplittableRandom r = new SplittableRandom(45);
        for (int i = 0; i < 3_000_000; i++) {
            float v = Float.intBitsToFloat(r.nextInt() & 0xBFFFFFFF); // |v| < 2, any sign, any exponent below
            // Scaled in double and rounded once, so that s reaches float's subnormals (scalb in float gives 0
            // below 2⁻¹⁴⁹, a quarter of the draws).
            float s = (float) (Float.intBitsToFloat(r.nextInt(0x3F800000, 0x7F800000)) * Math.scalb(1.0,
                    -r.nextInt(0, 200)));
            float product = v * s;
            for (float shift : new float[] {-product, Math.nextUp(-product), Math.nextDown(-product), -2 * product}) {
                boolean large = Math.abs(shift) >= 0x1p-100f;
                float out = Math.fma(v, s, shift);
                if (large) {
                    assertFalse(Float.floatToRawIntBits(out) == 0x80000000,
                            () -> "fma(" + v + ", " + s + ", " + shift + ") = -0");
                }
            }
        }
        float[] ones = {1f, 1f, 1f};
        assertTrue(ScalarKernel.maxIsRelu(ones, new float[] {0x1p-100f, -1f, 3e38f}, 3));
        assertFalse(ScalarKernel.maxIsRelu(ones, new float[] {1f, Math.nextDown(0x1p-100f)}, 2));
        assertFalse(ScalarKernel.maxIsRelu(ones, new float[] {1f, -0f}, 2));
        assertFalse(ScalarKernel.maxIsRelu(ones, new float[] {Float.NaN}, 1));
        assertTrue(ScalarKernel.maxIsRelu(new float[] {Math.nextUp(0.5f), -3f}, new float[] {0f, 0f}, 2));
        assertFalse(ScalarKernel.maxIsRelu(new float[] {0.5f}, new float[] {0f}, 1));
        assertFalse(ScalarKernel.maxIsRelu(new float[] {-0.5f}, new float[] {0f}, 1));
    }

    /**
     * The second way of {@link ScalarKernel#maxIsRelu}: with shift = +0 and |scale| &gt; 1/2, fma(v, scale, +0) is
     * never −0; at |scale| = 1/2 it can be.
     */
    @Test
    void noOutputIsNegativeZeroWithAZeroShiftAndAScaleAboveOneHalf() {
        assertEquals(0x80000000, Float.floatToRawIntBits(Math.fma(-Float.MIN_VALUE, 0.5f, 0f)), "why 1/2 is excluded");
        assertEquals(0x80000000, Float.floatToRawIntBits(Math.fma(-0f, 0.75f, -0f)), "why the shift must be +0");
        SplittableRandom r = new SplittableRandom(46);
        for (int i = 0; i < 3_000_000; i++) {
            float v = Float.intBitsToFloat(r.nextInt() & 0x80FFFFFF); // any sign, subnormal or tiny, ±0 included
            float s = Float.intBitsToFloat(r.nextInt(0x3F000001, 0x7F800000)) * (r.nextBoolean() ? 1 : -1);
            float out = Math.fma(v, s, 0f);
            assertFalse(Float.floatToRawIntBits(out) == 0x80000000, () -> "fma(" + v + ", " + s + ", +0) = -0");
        }
    }

    private static void check(float t) {
        assertEquals(Float.floatToRawIntBits(reluByBranch(t)), Float.floatToRawIntBits(ScalarKernel.relu(t)),
                () -> "relu(" + t + ", bits " + Integer.toHexString(Float.floatToRawIntBits(t)) + ")");
    }

    private static void checkGradient(float dy, float forward) {
        assertEquals(Float.floatToRawIntBits(gradientByBranch(dy, forward)),
                Float.floatToRawIntBits(ScalarKernel.reluGradient(dy, forward)),
                () -> "reluGradient(" + dy + ", " + forward + ", bits "
                        + Integer.toHexString(Float.floatToRawIntBits(forward)) + ")");
    }

    /** ±0, the subnormal and normal boundaries, ±∞, NaNs of both signs and several payloads, and their neighbours. */
    private static int[] interestingBits() {
        int[] anchors = {0x00000000, 0x00000001, 0x007FFFFF, 0x00800000, 0x3F800000, 0x7F7FFFFF, 0x7F800000,
            0x7F800001, 0x7FC00000, 0x7FFFFFFF};
        int[] out = new int[anchors.length * 2 * 3];
        int k = 0;
        for (int a : anchors) {
            for (int sign : new int[] {0, 0x80000000}) {
                for (int d = -1; d <= 1; d++) {
                    out[k++] = (a | sign) + d;
                }
            }
        }
        return out;
    }
}
