package dev.simdnorm.internal.vector;

import dev.simdnorm.internal.LanePeriod;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link LanePeriod#repeat} in vectors where C is less than a vector's lanes: one load of the first vector, then
 * each vector of the period's repeating unit ({@code lcm(C, L)} floats) made by one permutation of it and stored
 * wherever it recurs. Small calls lay out per-channel values a few times each (a block's centers, a training map);
 * the doubling copies, each reading what the copy before had just stored, took 30–50 ns a layout at C = 1 or 3,
 * these 11–17. A copy: the same floats as {@link LanePeriod#repeat}. Longer C takes that.
 */
final class VectorPeriods {

    private static final VectorSpecies<Float> FLOATS = Lanes.FLOATS;
    private static final int LANES = Lanes.FLOAT_LANES;

    /** Per C below {@link #LANES}: the permutations of the first vector giving each vector of the unit. */
    private static final VectorShuffle<Float>[][] UNIT = units();

    private VectorPeriods() {
    }

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[][] units() {
        VectorShuffle<Float>[][] units = new VectorShuffle[LANES][];
        for (int c = 1; c < LANES; c++) {
            int channels = c;
            int vectors = c / LanePeriod.gcd(c, LANES); // lcm(C, L) / L
            units[c] = new VectorShuffle[vectors];
            for (int k = 0; k < vectors; k++) {
                int first = k * LANES;
                units[c][k] = VectorShuffle.fromOp(FLOATS, i -> (first + i) % channels);
            }
        }
        return units;
    }

    /**
     * Repeats the first {@code channels} floats of {@code a} over {@code period} floats, as {@link LanePeriod#repeat}.
     *
     * @param a        at least {@code period} floats, the per-channel values first
     * @param channels C
     * @param period   a multiple of C
     */
    static void repeat(float[] a, int channels, int period) {
        if (channels >= LANES || a.length < LANES) {
            LanePeriod.repeat(a, channels, period);
            return;
        }
        VectorShuffle<Float>[] unit = UNIT[channels];
        int unitFloats = unit.length * LANES;
        if (period % unitFloats != 0) {
            LanePeriod.repeat(a, channels, period);
            return;
        }
        // C = 1: a broadcast of the one value, not a vector load over the float the caller has just stored (a
        // store-to-load forwarding stall on every block of C = 1's statistics).
        FloatVector first = channels == 1 ? FloatVector.broadcast(FLOATS, a[0]) : FloatVector.fromArray(FLOATS, a, 0);
        for (int k = 0; k < unit.length; k++) {
            FloatVector v = first.rearrange(unit[k]);
            for (int p = k * LANES; p < period; p += unitFloats) {
                v.intoArray(a, p);
            }
        }
    }
}
