package dev.simdnorm.internal.vector;

import dev.simdnorm.internal.LanePeriod;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link LanePeriod#repeat} and {@link LanePeriod#layOut} in vectors where C is less than a vector's lanes: each
 * vector of the period's repeating unit ({@code lcm(C, L)} floats) is made in registers and stored wherever it
 * recurs. Small calls lay out per-channel values a few times each (a block's centers, a training map, GroupNorm's per
 * image): the doubling copies, each reading what the copy before had just stored, took 30–50 ns a layout at C = 1 or
 * 3; a permutation of one vector load (C = 1: a broadcast), 11–17. A copy: the same floats as
 * {@link LanePeriod#repeat}. Longer C takes that.
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
            units[c] = new VectorShuffle[unitVectors(c)];
            for (int k = 0; k < units[c].length; k++) {
                int first = k * LANES;
                units[c][k] = VectorShuffle.fromOp(FLOATS, i -> (first + i) % channels);
            }
        }
        return units;
    }

    /** Vectors in the unit of C below {@link #LANES}: lcm(C, L) / L. */
    private static int unitVectors(int channels) {
        return channels / LanePeriod.gcd(channels, LANES);
    }

    /**
     * {@link LanePeriod#layOut}: the {@code channels} floats from {@code perChannel[from]} repeated over
     * {@code period} floats of {@code out}, made from {@code perChannel} itself, not from {@code out} after copying
     * C floats into it: one copy fewer per layout, and where {@code perChannel} is x (a block's sample, around its
     * first row) no fresh scalar stores under the wide load, which would wait for them to reach the cache. A block's
     * centers, just computed one by one, still are.
     *
     * @param out at least {@code period} floats
     * @return {@code out}
     */
    static float[] layOut(float[] perChannel, int from, int channels, int period, float[] out) {
        if (!laysOut(channels, period, out)) {
            LanePeriod.layOut(perChannel, from, channels, period, out);
        } else if (channels == 1 || from <= perChannel.length - LANES) {
            storeUnit(perChannel, from, channels, out, period);
        } else {
            System.arraycopy(perChannel, from, out, 0, channels);
            storeUnit(out, 0, channels, out, period);
        }
        return out;
    }

    /**
     * Repeats the first {@code channels} floats of {@code a} over {@code period} floats, as {@link LanePeriod#repeat}.
     *
     * @param a        at least {@code period} floats, the per-channel values first
     * @param channels C
     * @param period   a multiple of C
     */
    static void repeat(float[] a, int channels, int period) {
        if (laysOut(channels, period, a)) {
            storeUnit(a, 0, channels, a, period);
        } else {
            LanePeriod.repeat(a, channels, period);
        }
    }

    /**
     * {@link #repeat} of three arrays of the same length: the three layouts' permutations and stores interleaved in
     * one loop (three calls took about twice the time at C = 3, most of it their stores).
     */
    static void repeat(float[] a, float[] b, float[] c, int channels, int period) {
        if (!laysOut(channels, period, a) || b.length != a.length || c.length != a.length) {
            repeat(a, channels, period);
            repeat(b, channels, period);
            repeat(c, channels, period);
            return;
        }
        VectorShuffle<Float>[] unit = UNIT[channels];
        // As in storeUnit (C = 1: broadcasts), here rather than in a method returning vectors, which would box them.
        boolean one = channels == 1;
        FloatVector firstA = one ? FloatVector.broadcast(FLOATS, a[0]) : FloatVector.fromArray(FLOATS, a, 0);
        FloatVector firstB = one ? FloatVector.broadcast(FLOATS, b[0]) : FloatVector.fromArray(FLOATS, b, 0);
        FloatVector firstC = one ? FloatVector.broadcast(FLOATS, c[0]) : FloatVector.fromArray(FLOATS, c, 0);
        int unitFloats = unit.length * LANES;
        for (int k = 0; k < unit.length; k++) {
            FloatVector va = firstA.rearrange(unit[k]);
            FloatVector vb = firstB.rearrange(unit[k]);
            FloatVector vc = firstC.rearrange(unit[k]);
            for (int p = k * LANES; p < period; p += unitFloats) {
                va.intoArray(a, p);
                vb.intoArray(b, p);
                vc.intoArray(c, p);
            }
        }
    }

    /** Whether the vector paths take C: below a vector's lanes, whole units in the period, whole vectors in out. */
    private static boolean laysOut(int channels, int period, float[] out) {
        return channels < LANES && out.length >= LANES && period % (UNIT[channels].length * LANES) == 0;
    }

    /**
     * Each vector of the unit, the vector from {@code src[from]} permuted, stored wherever it recurs over
     * {@code period} floats of {@code out} (which may be {@code src}: it is read first). The vectors stay in this
     * method: passed to another, they were boxed where it was not inlined.
     */
    private static void storeUnit(float[] src, int from, int channels, float[] out, int period) {
        VectorShuffle<Float>[] unit = UNIT[channels];
        // C = 1: a broadcast of the one value, not a vector load over the float the caller has just stored (a
        // store-to-load forwarding stall on every block of C = 1's statistics). Past C, lanes are not picked.
        FloatVector first = channels == 1
                ? FloatVector.broadcast(FLOATS, src[from])
                : FloatVector.fromArray(FLOATS, src, from);
        int unitFloats = unit.length * LANES;
        for (int k = 0; k < unit.length; k++) {
            FloatVector v = first.rearrange(unit[k]);
            for (int p = k * LANES; p < period; p += unitFloats) {
                v.intoArray(out, p);
            }
        }
    }
}
