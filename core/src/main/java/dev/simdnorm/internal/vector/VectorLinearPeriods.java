package dev.simdnorm.internal.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The NHWC deviation sums of {@link VectorStatistics} for short periods walked linearly with a constant stride, their
 * accumulators in registers: a period of four vectors (C = 1, 2, 4, ..., 64 at 16 lanes) and one of twelve vectors
 * whose centers repeat every three (C = 3, 6, 12, 24, 48), each reduced to the C sums with the same single add per
 * position as the arrays' halving steps, so the same bits.
 */
final class VectorLinearPeriods {

    private static final VectorSpecies<Float> FLOATS = Lanes.FLOATS;
    private static final int LANES = Lanes.FLOAT_LANES;
    /** Lane i takes lane i + k (mod L): the steps of sumLinear4 and reduce12 below a vector, for 16 lanes. */
    private static final VectorShuffle<Float> ROTATE_1 = VectorShuffle.fromOp(FLOATS, i -> (i + 1) % LANES);
    private static final VectorShuffle<Float> ROTATE_2 = VectorShuffle.fromOp(FLOATS, i -> (i + 2) % LANES);
    private static final VectorShuffle<Float> ROTATE_3 = VectorShuffle.fromOp(FLOATS, i -> (i + 3) % LANES);
    private static final VectorShuffle<Float> ROTATE_4 = VectorShuffle.fromOp(FLOATS, i -> (i + 4) % LANES);
    private static final VectorShuffle<Float> ROTATE_6 = VectorShuffle.fromOp(FLOATS, i -> (i + 6) % LANES);
    private static final VectorShuffle<Float> ROTATE_8 = VectorShuffle.fromOp(FLOATS, i -> (i + 8) % LANES);
    private static final VectorShuffle<Float> ROTATE_12 = VectorShuffle.fromOp(FLOATS, i -> (i + 12) % LANES);
    /** Lanes from 4 and from 8 on. */
    private static final VectorMask<Float> FROM_4 = lanesFrom(4);
    private static final VectorMask<Float> FROM_8 = lanesFrom(8);

    private VectorLinearPeriods() {
    }

    private static VectorMask<Float> lanesFrom(int first) {
        boolean[] set = new boolean[LANES];
        for (int i = first; i < LANES; i++) {
            set[i] = true;
        }
        return VectorMask.fromArray(FLOATS, set, 0);
    }

    /**
     * The group of {@link VectorStatistics#sum} for a period of exactly four vectors, over {@code n} floats with the
     * constant stride 4L, so that C2 drops the range checks and unrolls the loop. The accumulators go to {@code outR}
     * and {@code outQ}, or, where {@code reduced} (16 lanes, C a power of two), through
     * {@link VectorStatistics#reduce}'s halving steps on the registers first (64 positions to 32 and to 16 by whole
     * vectors, then by lane rotations as far as C), so every position gets the same single add as in the arrays,
     * without their stores and reloads; then the C sums (q not at all where {@code outQ} is null), below 16 channels
     * as a whole vector.
     */
    static void sumLinear4(float[] x, int base, int n, int channels, float[] center, float[] outR, float[] outQ,
                           boolean reduced) {
        FloatVector m0 = FloatVector.fromArray(FLOATS, center, 0);
        FloatVector m1 = FloatVector.fromArray(FLOATS, center, LANES);
        FloatVector m2 = FloatVector.fromArray(FLOATS, center, 2 * LANES);
        FloatVector m3 = FloatVector.fromArray(FLOATS, center, 3 * LANES);
        FloatVector r0 = FloatVector.zero(FLOATS);
        FloatVector r1 = FloatVector.zero(FLOATS);
        FloatVector r2 = FloatVector.zero(FLOATS);
        FloatVector r3 = FloatVector.zero(FLOATS);
        FloatVector q0 = FloatVector.zero(FLOATS);
        FloatVector q1 = FloatVector.zero(FLOATS);
        FloatVector q2 = FloatVector.zero(FLOATS);
        FloatVector q3 = FloatVector.zero(FLOATS);
        for (int i = 0; i < n; i += 4 * LANES) {
            FloatVector d0 = FloatVector.fromArray(FLOATS, x, base + i).sub(m0);
            FloatVector d1 = FloatVector.fromArray(FLOATS, x, base + i + LANES).sub(m1);
            FloatVector d2 = FloatVector.fromArray(FLOATS, x, base + i + 2 * LANES).sub(m2);
            FloatVector d3 = FloatVector.fromArray(FLOATS, x, base + i + 3 * LANES).sub(m3);
            r0 = r0.add(d0);
            r1 = r1.add(d1);
            r2 = r2.add(d2);
            r3 = r3.add(d3);
            q0 = d0.fma(d0, q0);
            q1 = d1.fma(d1, q1);
            q2 = d2.fma(d2, q2);
            q3 = d3.fma(d3, q3);
        }
        if (!reduced || channels == 4 * LANES) {
            r0.intoArray(outR, 0);
            r1.intoArray(outR, LANES);
            r2.intoArray(outR, 2 * LANES);
            r3.intoArray(outR, 3 * LANES);
            if (outQ != null) {
                q0.intoArray(outQ, 0);
                q1.intoArray(outQ, LANES);
                q2.intoArray(outQ, 2 * LANES);
                q3.intoArray(outQ, 3 * LANES);
            }
            return;
        }
        // 4L → 2L: positions 0 to L − 1 += 2L to 3L − 1, and L to 2L − 1 += 3L to 4L − 1.
        r0 = r0.add(r2);
        r1 = r1.add(r3);
        q0 = q0.add(q2);
        q1 = q1.add(q3);
        if (channels == 2 * LANES) {
            r0.intoArray(outR, 0);
            r1.intoArray(outR, LANES);
            if (outQ != null) {
                q0.intoArray(outQ, 0);
                q1.intoArray(outQ, LANES);
            }
            return;
        }
        r0 = r0.add(r1); // 2L → L
        q0 = q0.add(q1);
        // Below 16 positions, by constant rotations of the lanes (here, not in a method taking vectors, which would
        // box them; not slice, whose adds C2 left to the Java fallback in reduce12): 0-7 += 8-15, then 0-3 += 4-7,
        // 0-1 += 2-3 and 0 += 1, as far as C.
        if (channels <= 8) {
            r0 = r0.add(r0.rearrange(ROTATE_8));
            q0 = q0.add(q0.rearrange(ROTATE_8));
            if (channels <= 4) {
                r0 = r0.add(r0.rearrange(ROTATE_4));
                q0 = q0.add(q0.rearrange(ROTATE_4));
                if (channels <= 2) {
                    r0 = r0.add(r0.rearrange(ROTATE_2));
                    q0 = q0.add(q0.rearrange(ROTATE_2));
                    if (channels == 1) {
                        r0 = r0.add(r0.rearrange(ROTATE_1));
                        q0 = q0.add(q0.rearrange(ROTATE_1));
                    }
                }
            }
        }
        // A whole vector, not a masked store (a scalar load after a masked store waits for the store to retire, as
        // the per-channel steps' loads did on small C): the arrays hold a period, and the lanes past C are undefined.
        r0.intoArray(outR, 0);
        if (outQ != null) {
            q0.intoArray(outQ, 0);
        }
    }

    /**
     * Whether the centers of a twelve-vector period repeat every three vectors, bit for bit: an lcm period of three
     * vectors repeated four times (C = 3, 6, 12, 24, 48 at 16 lanes), not twelve vectors of distinct channels.
     */
    static boolean repeatsEvery3(float[] center) {
        for (int off = 3 * LANES; off < 12 * LANES; off += LANES) {
            if (!FloatVector.fromArray(FLOATS, center, off).reinterpretAsInts()
                    .eq(FloatVector.fromArray(FLOATS, center, off % (3 * LANES)).reinterpretAsInts()).allTrue()) {
                return false;
            }
        }
        return true;
    }

    /**
     * The groups of {@link VectorStatistics#sum} for a period of twelve vectors whose centers repeat every three, over
     * {@code n} floats in one linear walk: 24 accumulators and 3 centers fit the 32 registers of AVX-512, where three
     * groups of four would each walk the block with a stride of twelve vectors. The accumulators go to {@code outR}
     * and {@code outQ} (q not at all where {@code outQ} is null); {@link #reduce12} reduces them.
     */
    static void sumLinear12(float[] x, int base, int n, float[] center, float[] outR, float[] outQ) {
        FloatVector m0 = FloatVector.fromArray(FLOATS, center, 0);
        FloatVector m1 = FloatVector.fromArray(FLOATS, center, LANES);
        FloatVector m2 = FloatVector.fromArray(FLOATS, center, 2 * LANES);
        FloatVector r0 = FloatVector.zero(FLOATS), r1 = r0, r2 = r0, r3 = r0, r4 = r0, r5 = r0;
        FloatVector r6 = r0, r7 = r0, r8 = r0, r9 = r0, r10 = r0, r11 = r0;
        FloatVector q0 = r0, q1 = r0, q2 = r0, q3 = r0, q4 = r0, q5 = r0;
        FloatVector q6 = r0, q7 = r0, q8 = r0, q9 = r0, q10 = r0, q11 = r0;
        for (int i = 0; i < n; i += 12 * LANES) {
            int b = base + i;
            FloatVector d0 = FloatVector.fromArray(FLOATS, x, b).sub(m0);
            FloatVector d1 = FloatVector.fromArray(FLOATS, x, b + LANES).sub(m1);
            FloatVector d2 = FloatVector.fromArray(FLOATS, x, b + 2 * LANES).sub(m2);
            r0 = r0.add(d0);
            q0 = d0.fma(d0, q0);
            r1 = r1.add(d1);
            q1 = d1.fma(d1, q1);
            r2 = r2.add(d2);
            q2 = d2.fma(d2, q2);
            FloatVector d3 = FloatVector.fromArray(FLOATS, x, b + 3 * LANES).sub(m0);
            FloatVector d4 = FloatVector.fromArray(FLOATS, x, b + 4 * LANES).sub(m1);
            FloatVector d5 = FloatVector.fromArray(FLOATS, x, b + 5 * LANES).sub(m2);
            r3 = r3.add(d3);
            q3 = d3.fma(d3, q3);
            r4 = r4.add(d4);
            q4 = d4.fma(d4, q4);
            r5 = r5.add(d5);
            q5 = d5.fma(d5, q5);
            FloatVector d6 = FloatVector.fromArray(FLOATS, x, b + 6 * LANES).sub(m0);
            FloatVector d7 = FloatVector.fromArray(FLOATS, x, b + 7 * LANES).sub(m1);
            FloatVector d8 = FloatVector.fromArray(FLOATS, x, b + 8 * LANES).sub(m2);
            r6 = r6.add(d6);
            q6 = d6.fma(d6, q6);
            r7 = r7.add(d7);
            q7 = d7.fma(d7, q7);
            r8 = r8.add(d8);
            q8 = d8.fma(d8, q8);
            FloatVector d9 = FloatVector.fromArray(FLOATS, x, b + 9 * LANES).sub(m0);
            FloatVector d10 = FloatVector.fromArray(FLOATS, x, b + 10 * LANES).sub(m1);
            FloatVector d11 = FloatVector.fromArray(FLOATS, x, b + 11 * LANES).sub(m2);
            r9 = r9.add(d9);
            q9 = d9.fma(d9, q9);
            r10 = r10.add(d10);
            q10 = d10.fma(d10, q10);
            r11 = r11.add(d11);
            q11 = d11.fma(d11, q11);
        }
        r0.intoArray(outR, 0);
        r1.intoArray(outR, LANES);
        r2.intoArray(outR, 2 * LANES);
        r3.intoArray(outR, 3 * LANES);
        r4.intoArray(outR, 4 * LANES);
        r5.intoArray(outR, 5 * LANES);
        r6.intoArray(outR, 6 * LANES);
        r7.intoArray(outR, 7 * LANES);
        r8.intoArray(outR, 8 * LANES);
        r9.intoArray(outR, 9 * LANES);
        r10.intoArray(outR, 10 * LANES);
        r11.intoArray(outR, 11 * LANES);
        if (outQ != null) {
            q0.intoArray(outQ, 0);
            q1.intoArray(outQ, LANES);
            q2.intoArray(outQ, 2 * LANES);
            q3.intoArray(outQ, 3 * LANES);
            q4.intoArray(outQ, 4 * LANES);
            q5.intoArray(outQ, 5 * LANES);
            q6.intoArray(outQ, 6 * LANES);
            q7.intoArray(outQ, 7 * LANES);
            q8.intoArray(outQ, 8 * LANES);
            q9.intoArray(outQ, 9 * LANES);
            q10.intoArray(outQ, 10 * LANES);
            q11.intoArray(outQ, 11 * LANES);
        }
    }

    /**
     * {@link VectorStatistics#reduce}'s halving steps on the twelve-vector sums of {@link #sumLinear12} (and on
     * {@code q} unless it is null), in registers: 192 positions to 96 and to 48 by whole vectors, then 24, 12, 6 and
     * 3 by constant rotations of the lanes as far as C, so every position gets the same single add as in the arrays,
     * without the short steps' stores and reloads (which stalled); then whole vectors holding the first C sums.
     *
     * <p>Not in sumLinear12, and longer than C2's FreqInlineSize (325 bytes of bytecode), so that it is compiled on
     * its own: in sumLinear12 after the loop, once every branch had been taken (C = 48, 24, 6 and 3 in one JVM), C2
     * did not intrinsify these adds (their operands came from calls it inlined late), and they ran in the Vector API's
     * Java fallback, which allocates: InstanceNorm at C = 3 took 0.3 to 15 KB a call, in a JFR allocation profile all
     * of it in these adds. The rotations replace {@code slice}, whose adds fell back even here.
     */
    static void reduce12(float[] r, float[] q, int channels) {
        FloatVector ra = FloatVector.fromArray(FLOATS, r, 0).add(FloatVector.fromArray(FLOATS, r, 6 * LANES))
                .add(FloatVector.fromArray(FLOATS, r, 3 * LANES).add(FloatVector.fromArray(FLOATS, r, 9 * LANES)));
        FloatVector rb = FloatVector.fromArray(FLOATS, r, LANES).add(FloatVector.fromArray(FLOATS, r, 7 * LANES))
                .add(FloatVector.fromArray(FLOATS, r, 4 * LANES).add(FloatVector.fromArray(FLOATS, r, 10 * LANES)));
        FloatVector rc = FloatVector.fromArray(FLOATS, r, 2 * LANES).add(FloatVector.fromArray(FLOATS, r, 8 * LANES))
                .add(FloatVector.fromArray(FLOATS, r, 5 * LANES).add(FloatVector.fromArray(FLOATS, r, 11 * LANES)));
        FloatVector qa = ra;
        FloatVector qb = ra;
        FloatVector qc = ra;
        if (q != null) {
            qa = FloatVector.fromArray(FLOATS, q, 0).add(FloatVector.fromArray(FLOATS, q, 6 * LANES))
                    .add(FloatVector.fromArray(FLOATS, q, 3 * LANES).add(FloatVector.fromArray(FLOATS, q, 9 * LANES)));
            qb = FloatVector.fromArray(FLOATS, q, LANES).add(FloatVector.fromArray(FLOATS, q, 7 * LANES))
                    .add(FloatVector.fromArray(FLOATS, q, 4 * LANES).add(FloatVector.fromArray(FLOATS, q, 10 * LANES)));
            qc = FloatVector.fromArray(FLOATS, q, 2 * LANES).add(FloatVector.fromArray(FLOATS, q, 8 * LANES))
                    .add(FloatVector.fromArray(FLOATS, q, 5 * LANES).add(FloatVector.fromArray(FLOATS, q, 11 * LANES)));
        }
        if (channels == 3 * LANES) {
            ra.intoArray(r, 0);
            rb.intoArray(r, LANES);
            rc.intoArray(r, 2 * LANES);
            if (q != null) {
                qa.intoArray(q, 0);
                qb.intoArray(q, LANES);
                qc.intoArray(q, 2 * LANES);
            }
            return;
        }
        // Below 48 positions by constant rotations of the lanes and blends (here, not in a method taking vectors, which
        // would box them); the lanes past each step's positions hold other sums, never read for the first C.
        FloatVector rbRot = rb.rearrange(ROTATE_8);
        FloatVector rcRot = rc.rearrange(ROTATE_8);
        FloatVector qbRot = qb.rearrange(ROTATE_8);
        FloatVector qcRot = qc.rearrange(ROTATE_8);
        FloatVector rLow = ra.add(rbRot.blend(rcRot, FROM_8)); // positions 0-15 += 24-39
        FloatVector rHigh = rb.add(rcRot); // positions 16-23 += 40-47, in lanes 0-7
        FloatVector qLow = qa.add(qbRot.blend(qcRot, FROM_8));
        FloatVector qHigh = qb.add(qcRot);
        if (channels == 24) {
            rLow.intoArray(r, 0);
            rHigh.intoArray(r, LANES);
            if (q != null) {
                qLow.intoArray(q, 0);
                qHigh.intoArray(q, LANES);
            }
            return;
        }
        // 0-11 += 12-23
        FloatVector rs = rLow.add(rLow.rearrange(ROTATE_12).blend(rHigh.rearrange(ROTATE_12), FROM_4));
        FloatVector qs = qLow.add(qLow.rearrange(ROTATE_12).blend(qHigh.rearrange(ROTATE_12), FROM_4));
        if (channels < 12) {
            rs = rs.add(rs.rearrange(ROTATE_6)); // 0-5 += 6-11
            qs = qs.add(qs.rearrange(ROTATE_6));
            if (channels < 6) {
                rs = rs.add(rs.rearrange(ROTATE_3)); // 0-2 += 3-5
                qs = qs.add(qs.rearrange(ROTATE_3));
            }
        }
        // Whole vectors (the sums past C are left undefined; the arrays hold a period): the callers read the first C
        // one by one at once, and a masked store may not forward to such loads.
        rs.intoArray(r, 0);
        if (q != null) {
            qs.intoArray(q, 0);
        }
    }
}
