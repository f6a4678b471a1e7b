package dev.simdnorm.internal;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The whole-block centers ({@link LanePeriod#centers}) are the per-channel {@link LanePeriod#center}, bit for bit, and
 * leave the entries past the channels alone: on values of many magnitudes, zero, subnormal and non-finite sums, and
 * row counts from 1 to 2²⁴ + 1 (where the count's conversion to float rounds), run often enough to be compiled by C2,
 * which may vectorize the loop and must not change a bit either. NaN is compared as NaN.
 */
class LanePeriodCentersTest {

    @Test
    void theBlockCentersAreThePerChannelCentersBitForBit() {
        SplittableRandom r = new SplittableRandom(11);
        int[] counts = {1, 2, 3, 7, 128, 256, 4096, 1 << 24, (1 << 24) + 1};
        float[] special = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE,
            Float.MAX_VALUE};
        for (int round = 0; round < 20_000; round++) {
            int channels = 1 + r.nextInt(1100);
            int length = channels + r.nextInt(3);
            int n = r.nextBoolean() ? counts[r.nextInt(counts.length)] : 1 + r.nextInt(1 << 20);
            float[] center = new float[length];
            float[] sums = new float[length];
            for (int c = 0; c < length; c++) {
                center[c] = value(r, special);
                sums[c] = value(r, special);
            }
            float[] expected = center.clone();
            for (int c = 0; c < channels; c++) {
                expected[c] = LanePeriod.center(center[c], sums[c], n);
            }
            LanePeriod.centers(center, sums, channels, n);
            for (int c = 0; c < length; c++) {
                assertEquals(Float.floatToIntBits(expected[c]), Float.floatToIntBits(center[c]),
                        "round " + round + ", channel " + c + " of " + channels + ", n " + n);
            }
        }
    }

    private static float value(SplittableRandom r, float[] special) {
        if (r.nextInt(50) == 0) {
            return special[r.nextInt(special.length)];
        }
        return (float) (r.nextGaussian() * Math.scalb(1.0, r.nextInt(-140, 120)));
    }
}
