package dev.simdnorm.internal.vector;

import dev.simdnorm.internal.MomentMerge;
import dev.simdnorm.internal.RowStatistics;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The NHWC statistics steps of {@link RowStatistics} in vectors: the deviation sums per lane, the pairwise reduction
 * L positions at a time, and the per-channel check and fold in double vectors with the same operations per lane as
 * the scalar code, in the same order, so the results keep every bit.
 *
 * <p>Deviation sums keep their accumulators in registers: a period of four vectors, and one of twelve whose centers
 * repeat every three (C = 3, 6, 12, 24, 48 at 16 lanes: 24 accumulators and 3 centers in the 32 registers of AVX-512),
 * is walked linearly with a constant stride ({@link VectorLinearPeriods}); longer periods in groups of four or eight
 * vectors that each walk the block.
 */
final class VectorStatistics implements RowStatistics.Deviations {

    static final VectorStatistics INSTANCE = new VectorStatistics();

    private static final VectorSpecies<Float> FLOATS = Lanes.FLOATS;
    private static final int LANES = Lanes.FLOAT_LANES;
    private static final VectorSpecies<Double> DOUBLES = Lanes.DOUBLES;
    private static final int DOUBLE_LANES = Lanes.DOUBLE_LANES;
    private static final VectorSpecies<Float> HALF_FLOATS = Lanes.HALF_FLOATS;

    private VectorStatistics() {
    }

    @Override
    public void sum(float[] x, int base, int period, int periods, int tail, float[] center, float[] r, float[] q) {
        sumDeviations(x, base, period, periods, tail, center, r, q);
    }

    /**
     * {@link dev.simdnorm.internal.LanePeriod#reduce}, each halving step L positions at a time and its last positions
     * (fewer than L) one at a time: every position gets the same single add, so the sums keep every bit. Not masked:
     * the short steps of small periods (C = 3: 24, 12, 6 and 3 positions) loaded what the step before had just stored
     * under a mask, and the masks' set-up and checks made the reduction as long as the block's sums (GroupNorm's
     * images of 32×32×3).
     */
    @Override
    public void reduce(float[] a, int period, int channels, float[] out) {
        for (int n = period; n > channels; n /= 2) {
            int half = n / 2;
            int p = 0;
            // Writes stay below half and reads of the upper half start there: in place is safe.
            for (; p <= half - LANES; p += LANES) {
                FloatVector.fromArray(FLOATS, a, p).add(FloatVector.fromArray(FLOATS, a, p + half)).intoArray(a, p);
            }
            for (; p < half; p++) {
                a[p] += a[p + half];
            }
        }
        System.arraycopy(a, 0, out, 0, channels);
    }

    /**
     * {@link RowStatistics.Deviations#sumReduced}: where the period is twelve vectors of 16 lanes whose centers repeat
     * every three and there is no tail (C = 3, 6, 12, 24, 48; GroupNorm's small images), in registers
     * ({@link VectorLinearPeriods#sumLinear12}, then {@link VectorLinearPeriods#reduce12}); so is a period of four
     * such vectors without a tail (C = 1, 2, 4, 8, 16, 32, 64; {@link VectorLinearPeriods#sumLinear4}); otherwise the
     * sums and reductions through the arrays.
     */
    @Override
    public void sumReduced(float[] x, int base, int period, int periods, int tail, int channels, float[] center,
                           float[] r, float[] q, float[] sumR, float[] sumQ) {
        // The center is C values laid out over the period (RowStatistics), so C dividing three vectors' lanes means
        // its vectors repeat every three: the arithmetic, not repeatsEvery3's nine compares on every block.
        if (LANES == 16 && period == 12 * LANES && (3 * LANES) % channels == 0 && tail == 0) {
            VectorLinearPeriods.sumLinear12(x, base, periods * period, center, sumR, sumQ);
            VectorLinearPeriods.reduce12(sumR, sumQ, channels);
        } else if (LANES == 16 && period == 4 * LANES && tail == 0 && Integer.bitCount(channels) == 1) {
            VectorLinearPeriods.sumLinear4(x, base, periods * period, channels, center, sumR, sumQ, true);
        } else {
            RowStatistics.Deviations.super.sumReduced(x, base, period, periods, tail, channels, center, r, q, sumR,
                    sumQ);
        }
    }

    @Override
    public float[] layOut(float[] perChannel, int from, int channels, int period, float[] out) {
        return VectorPeriods.layOut(perChannel, from, channels, period, out);
    }

    /** {@link RowStatistics#centered} with the same comparisons per lane; the last channels go through it. */
    @Override
    public boolean centered(float[] r, float[] q, int channels, int n) {
        int c = 0;
        for (int end = channels - channels % DOUBLE_LANES; c < end; c += DOUBLE_LANES) {
            DoubleVector rc = (DoubleVector) FloatVector.fromArray(HALF_FLOATS, r, c)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0);
            DoubleVector qn = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, q, c)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0)).mul(n);
            VectorMask<Double> off = rc.mul(8).mul(rc).compare(VectorOperators.GT, qn)
                    .and(rc.test(VectorOperators.IS_FINITE)).and(qn.test(VectorOperators.IS_FINITE));
            if (off.anyTrue()) {
                return false;
            }
        }
        return RowStatistics.centered(r, q, c, channels, n);
    }

    /**
     * {@link RowStatistics#inRange(float[], float[], float[], int, int, int)} with the same comparisons per lane, a
     * vector of channels at a time (on few rows the per-channel steps are most of a call); the last channels go
     * through it.
     */
    @Override
    public boolean inRange(float[] r, float[] q, float[] center, int channels, int n) {
        float floor = n * 0x1p-100f;
        int c = 0;
        for (int end = channels - channels % LANES; c < end; c += LANES) {
            FloatVector rv = FloatVector.fromArray(FLOATS, r, c);
            FloatVector qv = FloatVector.fromArray(FLOATS, q, c);
            VectorMask<Float> finite = qv.lt(Float.POSITIVE_INFINITY).and(rv.abs().lt(Float.POSITIVE_INFINITY));
            VectorMask<Float> exactlyConstant = qv.eq(0f).and(rv.eq(0f))
                    .and(FloatVector.fromArray(FLOATS, center, c).abs().compare(VectorOperators.GE, 0x1p-50f));
            if (!finite.and(qv.compare(VectorOperators.GE, floor).or(exactlyConstant)).allTrue()) {
                return false;
            }
        }
        return RowStatistics.inRange(r, q, center, c, channels, n);
    }

    /**
     * {@link MomentMerge#mergeBlock} with the same double operations per lane, in the same order; the last channels go
     * there.
     */
    @Override
    public void mergeBlock(long nA, double[] mean, double[] m2, int channels, int nB, float[] center, float[] r1,
                           float[] q) {
        double inverse = 1.0 / nB;
        int c = 0;
        int end = channels - channels % DOUBLE_LANES;
        if (nA == 0) {
            for (; c < end; c += DOUBLE_LANES) {
                DoubleVector r = (DoubleVector) FloatVector.fromArray(HALF_FLOATS, r1, c)
                        .convertShape(VectorOperators.F2D, DOUBLES, 0);
                DoubleVector offset = r.mul(inverse);
                ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, center, c)
                        .convertShape(VectorOperators.F2D, DOUBLES, 0)).add(offset).intoArray(mean, c);
                ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, q, c)
                        .convertShape(VectorOperators.F2D, DOUBLES, 0)).sub(r.mul(offset)).max(0.0).intoArray(m2, c);
            }
        } else {
            double w = MomentMerge.weight(nA, nB);
            double between = nA * w;
            for (; c < end; c += DOUBLE_LANES) {
                DoubleVector r = (DoubleVector) FloatVector.fromArray(HALF_FLOATS, r1, c)
                        .convertShape(VectorOperators.F2D, DOUBLES, 0);
                DoubleVector offset = r.mul(inverse);
                DoubleVector m = DoubleVector.fromArray(DOUBLES, mean, c);
                DoubleVector delta = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, center, c)
                        .convertShape(VectorOperators.F2D, DOUBLES, 0)).add(offset).sub(m);
                m.add(delta.mul(w)).intoArray(mean, c);
                DoubleVector within = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, q, c)
                        .convertShape(VectorOperators.F2D, DOUBLES, 0)).sub(r.mul(offset)).max(0.0);
                DoubleVector.fromArray(DOUBLES, m2, c).add(within.add(delta.mul(delta).mul(between)))
                        .intoArray(m2, c);
            }
        }
        MomentMerge.mergeBlock(nA, mean, m2, c, channels, nB, center, r1, q);
    }

    /**
     * {@link RowStatistics.Deviations#sum}: Σ(x − m) into {@code outR} and Σ(x − m)² (by FMA) into {@code outQ}, per
     * lane.
     */
    private static void sumDeviations(float[] x, int base, int period, int periods, int tail, float[] center,
                                      float[] outR, float[] outQ) {
        int full = period / LANES;
        int v = 0;
        if (period == 4 * LANES) {
            VectorLinearPeriods.sumLinear4(x, base, periods * period, 0, center, outR, outQ, false);
            v = 4;
        } else if (period == 12 * LANES && VectorLinearPeriods.repeatsEvery3(center)) {
            VectorLinearPeriods.sumLinear12(x, base, periods * period, center, outR, outQ);
            v = 12;
        }
        if (LANES == 16) {
            // 512-bit vectors, so AVX-512's 32 registers: eight vectors' centers and sums fit, and a block larger
            // than L1 is re-read from L2 half as often as in groups of four.
            for (; v + 8 <= full; v += 8) {
                sumGroup8(x, base, period, periods, v * LANES, center, outR, outQ);
            }
        }
        for (; v + 4 <= full; v += 4) {
            sumGroup4(x, base, period, periods, v * LANES, center, outR, outQ);
        }
        for (; v < full; v++) {
            sumGroup1(x, base, period, periods, v * LANES, center, outR, outQ);
        }
        if (period % LANES != 0) {
            sumGroupMasked(x, base, period, periods, full * LANES, period % LANES, center, outR, outQ);
        }
        sumTail(x, base + periods * period, tail, center, outR, outQ);
    }

    /** Four vectors at offset {@code off} of every period, their accumulators in registers. */
    private static void sumGroup4(float[] x, int base, int period, int periods, int off, float[] center,
                                  float[] outR, float[] outQ) {
        FloatVector m0 = FloatVector.fromArray(FLOATS, center, off);
        FloatVector m1 = FloatVector.fromArray(FLOATS, center, off + LANES);
        FloatVector m2 = FloatVector.fromArray(FLOATS, center, off + 2 * LANES);
        FloatVector m3 = FloatVector.fromArray(FLOATS, center, off + 3 * LANES);
        FloatVector r0 = FloatVector.zero(FLOATS);
        FloatVector r1 = FloatVector.zero(FLOATS);
        FloatVector r2 = FloatVector.zero(FLOATS);
        FloatVector r3 = FloatVector.zero(FLOATS);
        FloatVector q0 = FloatVector.zero(FLOATS);
        FloatVector q1 = FloatVector.zero(FLOATS);
        FloatVector q2 = FloatVector.zero(FLOATS);
        FloatVector q3 = FloatVector.zero(FLOATS);
        for (int j = 0, i = base + off; j < periods; j++, i += period) {
            FloatVector d0 = FloatVector.fromArray(FLOATS, x, i).sub(m0);
            FloatVector d1 = FloatVector.fromArray(FLOATS, x, i + LANES).sub(m1);
            FloatVector d2 = FloatVector.fromArray(FLOATS, x, i + 2 * LANES).sub(m2);
            FloatVector d3 = FloatVector.fromArray(FLOATS, x, i + 3 * LANES).sub(m3);
            r0 = r0.add(d0);
            r1 = r1.add(d1);
            r2 = r2.add(d2);
            r3 = r3.add(d3);
            q0 = d0.fma(d0, q0);
            q1 = d1.fma(d1, q1);
            q2 = d2.fma(d2, q2);
            q3 = d3.fma(d3, q3);
        }
        r0.intoArray(outR, off);
        r1.intoArray(outR, off + LANES);
        r2.intoArray(outR, off + 2 * LANES);
        r3.intoArray(outR, off + 3 * LANES);
        q0.intoArray(outQ, off);
        q1.intoArray(outQ, off + LANES);
        q2.intoArray(outQ, off + 2 * LANES);
        q3.intoArray(outQ, off + 3 * LANES);
    }

    /** Eight vectors at offset {@code off} of every period, their accumulators in registers. */
    private static void sumGroup8(float[] x, int base, int period, int periods, int off, float[] center,
                                  float[] outR, float[] outQ) {
        FloatVector m0 = FloatVector.fromArray(FLOATS, center, off);
        FloatVector m1 = FloatVector.fromArray(FLOATS, center, off + LANES);
        FloatVector m2 = FloatVector.fromArray(FLOATS, center, off + 2 * LANES);
        FloatVector m3 = FloatVector.fromArray(FLOATS, center, off + 3 * LANES);
        FloatVector m4 = FloatVector.fromArray(FLOATS, center, off + 4 * LANES);
        FloatVector m5 = FloatVector.fromArray(FLOATS, center, off + 5 * LANES);
        FloatVector m6 = FloatVector.fromArray(FLOATS, center, off + 6 * LANES);
        FloatVector m7 = FloatVector.fromArray(FLOATS, center, off + 7 * LANES);
        FloatVector r0 = FloatVector.zero(FLOATS), r1 = r0, r2 = r0, r3 = r0, r4 = r0, r5 = r0, r6 = r0, r7 = r0;
        FloatVector q0 = r0, q1 = r0, q2 = r0, q3 = r0, q4 = r0, q5 = r0, q6 = r0, q7 = r0;
        for (int j = 0, i = base + off; j < periods; j++, i += period) {
            FloatVector d0 = FloatVector.fromArray(FLOATS, x, i).sub(m0);
            r0 = r0.add(d0);
            q0 = d0.fma(d0, q0);
            FloatVector d1 = FloatVector.fromArray(FLOATS, x, i + LANES).sub(m1);
            r1 = r1.add(d1);
            q1 = d1.fma(d1, q1);
            FloatVector d2 = FloatVector.fromArray(FLOATS, x, i + 2 * LANES).sub(m2);
            r2 = r2.add(d2);
            q2 = d2.fma(d2, q2);
            FloatVector d3 = FloatVector.fromArray(FLOATS, x, i + 3 * LANES).sub(m3);
            r3 = r3.add(d3);
            q3 = d3.fma(d3, q3);
            FloatVector d4 = FloatVector.fromArray(FLOATS, x, i + 4 * LANES).sub(m4);
            r4 = r4.add(d4);
            q4 = d4.fma(d4, q4);
            FloatVector d5 = FloatVector.fromArray(FLOATS, x, i + 5 * LANES).sub(m5);
            r5 = r5.add(d5);
            q5 = d5.fma(d5, q5);
            FloatVector d6 = FloatVector.fromArray(FLOATS, x, i + 6 * LANES).sub(m6);
            r6 = r6.add(d6);
            q6 = d6.fma(d6, q6);
            FloatVector d7 = FloatVector.fromArray(FLOATS, x, i + 7 * LANES).sub(m7);
            r7 = r7.add(d7);
            q7 = d7.fma(d7, q7);
        }
        r0.intoArray(outR, off);
        r1.intoArray(outR, off + LANES);
        r2.intoArray(outR, off + 2 * LANES);
        r3.intoArray(outR, off + 3 * LANES);
        r4.intoArray(outR, off + 4 * LANES);
        r5.intoArray(outR, off + 5 * LANES);
        r6.intoArray(outR, off + 6 * LANES);
        r7.intoArray(outR, off + 7 * LANES);
        q0.intoArray(outQ, off);
        q1.intoArray(outQ, off + LANES);
        q2.intoArray(outQ, off + 2 * LANES);
        q3.intoArray(outQ, off + 3 * LANES);
        q4.intoArray(outQ, off + 4 * LANES);
        q5.intoArray(outQ, off + 5 * LANES);
        q6.intoArray(outQ, off + 6 * LANES);
        q7.intoArray(outQ, off + 7 * LANES);
    }

    /** One vector at offset {@code off} of every period. */
    private static void sumGroup1(float[] x, int base, int period, int periods, int off, float[] center,
                                  float[] outR, float[] outQ) {
        FloatVector mv = FloatVector.fromArray(FLOATS, center, off);
        FloatVector r = FloatVector.zero(FLOATS);
        FloatVector q = FloatVector.zero(FLOATS);
        for (int j = 0, i = base + off; j < periods; j++, i += period) {
            FloatVector d = FloatVector.fromArray(FLOATS, x, i).sub(mv);
            r = r.add(d);
            q = d.fma(d, q);
        }
        r.intoArray(outR, off);
        q.intoArray(outQ, off);
    }

    /** The first {@code lanes} lanes of the vector at offset {@code off} of every period. */
    private static void sumGroupMasked(float[] x, int base, int period, int periods, int off, int lanes,
                                       float[] center, float[] outR, float[] outQ) {
        VectorMask<Float> m = FLOATS.indexInRange(0, lanes);
        FloatVector mv = FloatVector.fromArray(FLOATS, center, off);
        FloatVector r = FloatVector.zero(FLOATS);
        FloatVector q = FloatVector.zero(FLOATS);
        int inside = Lanes.inside(x, base + off, period, periods); // the periods whose vector ends inside x
        int j = 0;
        for (int i = base + off; j < inside; j++, i += period) {
            // Masked lanes load 0 and the center is 0 there (padding): they add 0.
            FloatVector d = FloatVector.fromArray(FLOATS, x, i, m).sub(mv);
            r = r.add(d);
            q = d.fma(d, q);
        }
        r.intoArray(outR, off);
        q.intoArray(outQ, off);
        if (j < periods) { // the last periods, whose vector would reach past x's end
            sumLanes(x, base + off + j * period, period, periods - j, lanes, center, off, outR, outQ);
        }
    }

    /**
     * Adds {@code periods} periods' floats from {@code i}, the first {@code lanes} lanes of a vector at offset
     * {@code off} of the accumulators, one lane at a time: each lane's float operations as the vector's, so the same
     * bits, where a masked vector would reach past x's end. There the JDK checks the mask lane by lane, which was seen
     * allocating in compiled code (docs/design-log.md). A vector's masked lanes add +0 to sums that are never −0.
     */
    private static void sumLanes(float[] x, int i, int period, int periods, int lanes, float[] center, int off,
                                 float[] outR, float[] outQ) {
        for (int j = 0; j < periods; j++, i += period) {
            for (int l = 0; l < lanes; l++) {
                float d = x[i + l] - center[off + l];
                outR[off + l] += d;
                outQ[off + l] = Math.fma(d, d, outQ[off + l]);
            }
        }
    }

    /** Adds the first {@code tail} positions of one more period, from {@code t}, to the accumulators. */
    private static void sumTail(float[] x, int t, int tail, float[] center, float[] outR, float[] outQ) {
        for (int off = 0; off < tail; off += LANES) {
            if (t + off > x.length - LANES) { // a vector past x's end: one lane at a time (sumLanes)
                sumLanes(x, t + off, 0, 1, Math.min(LANES, tail - off), center, off, outR, outQ);
                continue;
            }
            VectorMask<Float> m = FLOATS.indexInRange(off, tail);
            // lanewise(SUB, v, m), not sub(v, m): the JDK's masked add and sub call lanewise through their own type
            // profile, shared by every caller and seldom warm. In 6 of ~95 JVMs C2 found add's empty in the double
            // statistics' NCHW tails, left the call virtual and the vectors boxed, 3.7 times the scalar kernel's time
            // for good (docs/performance.md#masked-arithmetic-in-the-tails). Called here, lanewise is profiled here.
            FloatVector d = FloatVector.fromArray(FLOATS, x, t + off, m)
                    .lanewise(VectorOperators.SUB, FloatVector.fromArray(FLOATS, center, off), m);
            FloatVector.fromArray(FLOATS, outR, off).add(d).intoArray(outR, off);
            d.fma(d, FloatVector.fromArray(FLOATS, outQ, off)).intoArray(outQ, off);
        }
    }
}
