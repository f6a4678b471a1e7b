package dev.simdnorm.internal;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
