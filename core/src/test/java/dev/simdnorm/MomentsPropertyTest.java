package dev.simdnorm;

import dev.simdnorm.prop.Property;
import dev.simdnorm.prop.TensorCase;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Statistics against a double two-pass oracle, within the bounds derived in {@link Oracle}. */
class MomentsPropertyTest {

    @Test
    void momentsMatchDoubleTwoPassOracle() {
        Property.check("moments within error bounds of a double two-pass computation", TensorCase.gen(200_000), t -> {
            Moments m = Moments.of(t.x(), t.offset(), t.rows(), t.channels());
            assertEquals(t.rows(), m.count());
            assertEquals(t.channels(), m.channels());
            assertMatches(Oracle.moments(t.x(), t.offset(), t.rows(), t.channels()), m);
        });
    }

    /** Checks every channel of {@code m} against the oracle's statistics and bounds. */
    static void assertMatches(Oracle.Stats s, Moments m) {
        for (int c = 0; c < m.channels(); c++) {
            float mean = m.mean(c);
            float var = m.variance(c);
            if (s.nonFinite()[c]) {
                // Non-finite data propagate per IEEE into the channel's statistics (documented on Moments).
                assertFalse(Float.isFinite(mean), "channel " + c + ": mean of non-finite data is " + mean);
                assertFalse(Float.isFinite(var), "channel " + c + ": variance of non-finite data is " + var);
                continue;
            }
            assertWithin(s.mean()[c], mean, s.meanTolerance(c), "mean", c);
            assertWithin(s.variance(c), var, s.varianceTolerance(c), "variance", c);
            assertTrue(var >= 0f, "channel " + c + ": negative variance " + var);
            if (s.m2()[c] == 0) {
                assertEquals(0f, var, "channel " + c + ": a constant channel has variance exactly 0");
            }
            if (s.n() > 1) {
                // sampleVariance = variance·n/(n−1): the same relative bound.
                double sample = s.m2()[c] / (s.n() - 1);
                assertWithin(sample, m.sampleVariance(c), s.varianceTolerance(c) * s.n() / (s.n() - 1),
                        "sampleVariance", c);
            } else {
                assertTrue(Float.isNaN(m.sampleVariance(c)), "sample variance of one value must be NaN");
            }
        }
    }

    static void assertWithin(double expected, double actual, double tolerance, String what, int c) {
        double err = Math.abs(actual - expected);
        if (!(err <= tolerance)) {
            throw new AssertionError("channel " + c + ": " + what + " " + actual + ", expected " + expected
                    + " ± " + tolerance + " (error " + err + ")");
        }
    }

    @Test
    void mergeOfSplitEqualsWhole() {
        Property.check("moments of two slices, merged, equal the moments of the whole", TensorCase.gen(100_000), t -> {
            if (t.rows() < 2) {
                return;
            }
            int split = 1 + (int) Math.floorMod(t.seed(), (long) t.rows() - 1);
            int c0 = t.channels();
            Moments whole = Moments.of(t.x(), t.offset(), t.rows(), c0);
            Moments a = Moments.of(t.x(), t.offset(), split, c0);
            Moments b = Moments.of(t.x(), t.offset() + split * c0, t.rows() - split, c0);
            Moments merged = a.merge(b);
            assertEquals(t.rows(), merged.count());
            // Each side stays within its own bound of the exact moments; the merge is exact to double rounding, so
            // the merged moments obey the oracle's bound for the two slices combined (see Oracle).
            Oracle.Stats sa = Oracle.moments(t.x(), t.offset(), split, c0);
            Oracle.Stats sb = Oracle.moments(t.x(), t.offset() + split * c0, t.rows() - split, c0);
            Oracle.Stats s = Oracle.moments(t.x(), t.offset(), t.rows(), c0);
            for (int c = 0; c < c0; c++) {
                if (s.nonFinite()[c]) {
                    assertFalse(Float.isFinite(merged.mean(c)), "non-finite data, finite merged mean");
                    continue;
                }
                double n = t.rows();
                double meanTol = (split * sa.meanTolerance(c) + (t.rows() - split) * sb.meanTolerance(c)) / n
                        + Oracle.U * Math.abs(s.mean()[c]);
                // M2 errors add; each side's mean error δ moves its between-group term by 2·n_side·|μ_side − μ|·δ.
                double varTol = (split * sa.varianceTolerance(c) + (t.rows() - split) * sb.varianceTolerance(c)
                        + 2 * split * Math.abs(sa.mean()[c] - s.mean()[c]) * sa.meanTolerance(c)
                        + 2 * (t.rows() - split) * Math.abs(sb.mean()[c] - s.mean()[c]) * sb.meanTolerance(c)) / n
                        + Oracle.U * s.variance(c);
                assertWithin(s.mean()[c], merged.mean(c), meanTol, "merged mean", c);
                assertWithin(s.variance(c), merged.variance(c), varTol, "merged variance", c);
                assertWithin(whole.mean(c), merged.mean(c), meanTol + s.meanTolerance(c), "merged vs whole mean", c);
                assertWithin(whole.variance(c), merged.variance(c), varTol + s.varianceTolerance(c),
                        "merged vs whole variance", c);
            }
        });
    }
}
