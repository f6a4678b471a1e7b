package dev.simdnorm.internal;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The whole-array Chan merge (weights computed once) is the per-channel merge, bit for bit, and leaves the entries past
 * its channels alone: on random moments of many magnitudes, counts from 0 to near 2⁶², and NaN, ±Inf and zero values,
 * run often enough for both to be compiled (C2 may vectorize the whole-array loop, which must not change a bit
 * either). NaN is compared as NaN: Java does not fix its payload.
 */
class MomentMergeTest {

    @Test
    void theWholeArrayMergeIsThePerChannelMergeBitForBit() {
        SplittableRandom r = new SplittableRandom(7);
        long[] counts = {0, 1, 2, 3, 196, 1 << 20, 1L << 40, (1L << 62) - 1};
        double[] special = {0.0, -0.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
            Double.MIN_VALUE, Double.MAX_VALUE};
        for (int round = 0; round < 20_000; round++) {
            int channels = 1 + r.nextInt(40);
            long nA = r.nextBoolean() ? counts[r.nextInt(counts.length)] : r.nextLong(1, 1L << 31);
            long nB = r.nextBoolean() ? counts[r.nextInt(counts.length)] : r.nextLong(1, 1L << 31);
            int length = channels + r.nextInt(3); // arrays may be longer than the channels merged
            double[] mean = new double[length];
            double[] m2 = new double[length];
            double[] meanB = new double[length];
            double[] m2B = new double[length];
            for (int c = 0; c < length; c++) {
                mean[c] = value(r, special);
                m2[c] = Math.abs(value(r, special));
                meanB[c] = value(r, special);
                m2B[c] = Math.abs(value(r, special));
            }
            double[] expectedMean = mean.clone();
            double[] expectedM2 = m2.clone();
            for (int c = 0; c < channels; c++) {
                MomentMerge.merge(nA, expectedMean, expectedM2, c, nB, meanB[c], m2B[c]);
            }
            MomentMerge.merge(nA, mean, m2, nB, meanB, m2B, channels);
            for (int c = 0; c < length; c++) { // past the channels: untouched
                String at = "round " + round + ", nA " + nA + ", nB " + nB + ", channel " + c;
                assertEquals(Double.doubleToLongBits(expectedMean[c]), Double.doubleToLongBits(mean[c]),
                        at + ": mean");
                assertEquals(Double.doubleToLongBits(expectedM2[c]), Double.doubleToLongBits(m2[c]),
                        at + ": M2");
            }
        }
    }

    private static double value(SplittableRandom r, double[] special) {
        if (r.nextInt(50) == 0) {
            return special[r.nextInt(special.length)];
        }
        return r.nextGaussian() * Math.scalb(1.0, r.nextInt(-40, 40));
    }
}
