package dev.simdnorm.prop;

import dev.simdnorm.Moments;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The comparison of two {@link Moments} that every "same bits" test makes. */
public final class SameMoments {

    private SameMoments() {
    }

    /**
     * The same count and channels, and each channel's mean and variance bit for bit, with every NaN alike: Java leaves
     * the payload and sign of a NaN unspecified, and interpreted and compiled code do produce different ones.
     *
     * @param expected the reference
     * @param actual   the moments under test
     * @param what     names the case in a failure's message
     */
    public static void assertSameBits(Moments expected, Moments actual, Object what) {
        assertEquals(expected.count(), actual.count(), what + " count");
        assertEquals(expected.channels(), actual.channels(), what + " channels");
        for (int c = 0; c < expected.channels(); c++) {
            assertEquals(Double.doubleToLongBits(expected.meanAsDouble(c)),
                    Double.doubleToLongBits(actual.meanAsDouble(c)), what + " mean[" + c + "]");
            assertEquals(Double.doubleToLongBits(expected.varianceAsDouble(c)),
                    Double.doubleToLongBits(actual.varianceAsDouble(c)), what + " variance[" + c + "]");
        }
    }
}
