package dev.simdnorm.internal.vector;

import dev.simdnorm.internal.DoublePlaneStatistics;
import dev.simdnorm.internal.DoubleRowStatistics;
import dev.simdnorm.internal.PlaneStatistics;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The deviation sums of {@link DoubleRowStatistics} (NHWC) and {@link DoublePlaneStatistics} (NCHW) in vectors: each
 * load takes half a vector of floats and widens it into a full vector of doubles, lane for lane the positions the
 * scalar kernel sums, in the same order, so the sums keep every bit. A period of up to one group of vectors (eight at
 * 512 bits, where AVX-512 has 32 registers, else four) keeps its accumulators in registers while it walks the block;
 * a longer one walks the block in memory order with its accumulators in L1. Every loop keeps its vectors inside its
 * own method.
 */
final class VectorDoubleStatistics {

    private static final VectorSpecies<Float> FLOATS = Lanes.FLOATS;
    private static final VectorSpecies<Float> HALF_FLOATS = Lanes.HALF_FLOATS;
    private static final VectorSpecies<Double> DOUBLES = Lanes.DOUBLES;
    private static final int LANES = Lanes.DOUBLE_LANES;
    private static final int FLOAT_LANES = Lanes.FLOAT_LANES;
    private static final int WIDTH = PlaneStatistics.WIDTH;
    private static final VectorOperators.Conversion<Float, Double> F2D = VectorOperators.F2D;
    /** Vectors whose accumulators stay in registers while a group walks a block: eight at 512 bits, else four. */
    private static final int GROUP = LANES == 8 ? 8 : 4;
    /**
     * Floats of a long period walked together in memory order: their accumulators, centers and four rows stay in L1
     * (48 KiB on Zen 5); C = 1000 walked whole read at 0.5–0.6 of the read sum at 256 MiB, in chunks of 512 at
     * 0.76–0.79 (both with slices of one block).
     */
    private static final int CHUNK = 512;

    private VectorDoubleStatistics() {
    }

    // ------------------------------------------------------------------------------------------- NHWC rows

    /** {@link DoubleRowStatistics.Deviations#sum}. */
    static void sumRows(float[] x, int base, int period, int periods, int tail, double[] center, double[] outR,
                        double[] outQ) {
        int full = period / LANES;
        if (full > GROUP) {
            rowsLinear(x, base, period, periods, full, period % LANES, center, outR, outQ);
            rowTail(x, base + periods * period, tail, center, outR, outQ);
            return;
        }
        int v = 0;
        if (LANES == 8 && full == 6) {
            // The 48-float period of C = 3, 6, 12, 24 and 48 (LanePeriod.walkedInDouble): one group, one sweep.
            rowGroup6(x, base, period, periods, center, outR, outQ);
            v = 6;
        }
        if (LANES == 8) {
            for (; v + 8 <= full; v += 8) {
                rowGroup8(x, base, period, periods, v * LANES, center, outR, outQ);
            }
        }
        for (; v + 4 <= full; v += 4) {
            rowGroup4(x, base, period, periods, v * LANES, center, outR, outQ);
        }
        for (; v < full; v++) {
            rowGroup1(x, base, period, periods, v * LANES, center, outR, outQ);
        }
        if (period % LANES != 0) {
            rowGroupMasked(x, base, period, periods, full * LANES, period % LANES, center, outR, outQ);
        }
        rowTail(x, base + periods * period, tail, center, outR, outQ);
    }

    /**
     * A period longer than one group of register accumulators, walked in memory order ({@link #CHUNK} floats of it at
     * a time): four periods at a time, each vector's two accumulators loaded from {@code outR}/{@code outQ}, the four
     * deviations added in period order and stored back; then the periods left over and the masked last vector, one
     * period at a time. Each position still adds its values in period order, so the sums keep every bit. Strided
     * group sweeps of such a period read each block from memory once per group with little overlap with the
     * arithmetic (C = 256: 0.64–0.68 of the read-only sum at 256 MiB); in memory order the hardware prefetcher streams
     * ahead (0.84–1.05 in most runs), and the accumulators' loads and stores hit L1. In cache the strided sweeps are
     * faster (1.4–1.8× at 4 MiB; docs/performance.md).
     */
    private static void rowsLinear(float[] x, int base, int period, int periods, int full, int partial,
                                   double[] center, double[] outR, double[] outQ) {
        int vectors = full * LANES;
        int end = partial == 0 ? vectors : vectors + LANES;
        java.util.Arrays.fill(outR, 0, end, 0.0);
        java.util.Arrays.fill(outQ, 0, end, 0.0);
        int whole = periods & ~3;
        for (int from = 0; from < vectors; from += CHUNK) {
            rowsLinear4(x, base, period, whole, from, Math.min(vectors, from + CHUNK), center, outR, outQ);
        }
        rowsOneByOne(x, base, period, periods, whole, vectors, partial, center, outR, outQ);
    }

    /** Positions {@code [from, to)} (whole vectors) of the first {@code periods} periods (a multiple of 4). */
    private static void rowsLinear4(float[] x, int base, int period, int periods, int from, int to, double[] center,
                                    double[] outR, double[] outQ) {
        for (int j = 0, i = base; j < periods; j += 4, i += 4 * period) {
            for (int o = from; o < to; o += LANES) {
                DoubleVector m = DoubleVector.fromArray(DOUBLES, center, o);
                DoubleVector d0 = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i + o)
                        .convertShape(F2D, DOUBLES, 0)).sub(m);
                DoubleVector d1 = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i + period + o)
                        .convertShape(F2D, DOUBLES, 0)).sub(m);
                DoubleVector d2 = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i + 2 * period + o)
                        .convertShape(F2D, DOUBLES, 0)).sub(m);
                DoubleVector d3 = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i + 3 * period + o)
                        .convertShape(F2D, DOUBLES, 0)).sub(m);
                DoubleVector.fromArray(DOUBLES, outR, o).add(d0).add(d1).add(d2).add(d3).intoArray(outR, o);
                d3.fma(d3, d2.fma(d2, d1.fma(d1, d0.fma(d0, DoubleVector.fromArray(DOUBLES, outQ, o)))))
                        .intoArray(outQ, o);
            }
        }
    }

    /**
     * The masked last vector ({@code partial} lanes from {@code vectors}) of the first {@code whole} periods, then
     * every position of the periods from {@code whole} to {@code periods}, one period at a time.
     */
    private static void rowsOneByOne(float[] x, int base, int period, int periods, int whole, int vectors,
                                     int partial, double[] center, double[] outR, double[] outQ) {
        int end = partial == 0 ? vectors : vectors + LANES;
        for (int j = 0, i = base; j < periods; j++, i += period) {
            for (int o = j < whole ? vectors : 0; o < end; o += LANES) {
                if (i + o > x.length - FLOAT_LANES) { // a vector past x's end: one lane at a time (sumLanes)
                    sumLanes(x, i + o, 0, 1, o < vectors ? LANES : partial, center, o, outR, outQ);
                    continue;
                }
                // Past the whole vectors, masked lanes load 0 and the center is 0 there (padding): they add 0.
                VectorMask<Float> lanes = FLOATS.indexInRange(0, o < vectors ? LANES : partial);
                DoubleVector d = ((DoubleVector) FloatVector.fromArray(FLOATS, x, i + o, lanes)
                        .convertShape(F2D, DOUBLES, 0)).sub(DoubleVector.fromArray(DOUBLES, center, o));
                DoubleVector.fromArray(DOUBLES, outR, o).add(d).intoArray(outR, o);
                d.fma(d, DoubleVector.fromArray(DOUBLES, outQ, o)).intoArray(outQ, o);
            }
        }
    }

    /** The six vectors of a 48-float period, their accumulators in registers. */
    private static void rowGroup6(float[] x, int base, int period, int periods, double[] center, double[] outR,
                                  double[] outQ) {
        DoubleVector m0 = DoubleVector.fromArray(DOUBLES, center, 0);
        DoubleVector m1 = DoubleVector.fromArray(DOUBLES, center, LANES);
        DoubleVector m2 = DoubleVector.fromArray(DOUBLES, center, 2 * LANES);
        DoubleVector m3 = DoubleVector.fromArray(DOUBLES, center, 3 * LANES);
        DoubleVector m4 = DoubleVector.fromArray(DOUBLES, center, 4 * LANES);
        DoubleVector m5 = DoubleVector.fromArray(DOUBLES, center, 5 * LANES);
        DoubleVector r0 = DoubleVector.zero(DOUBLES), r1 = r0, r2 = r0, r3 = r0, r4 = r0, r5 = r0;
        DoubleVector q0 = r0, q1 = r0, q2 = r0, q3 = r0, q4 = r0, q5 = r0;
        for (int j = 0, i = base; j < periods; j++, i += period) {
            DoubleVector d0 = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i)
                    .convertShape(F2D, DOUBLES, 0)).sub(m0);
            r0 = r0.add(d0);
            q0 = d0.fma(d0, q0);
            DoubleVector d1 = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i + LANES)
                    .convertShape(F2D, DOUBLES, 0)).sub(m1);
            r1 = r1.add(d1);
            q1 = d1.fma(d1, q1);
            DoubleVector d2 = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i + 2 * LANES)
                    .convertShape(F2D, DOUBLES, 0)).sub(m2);
            r2 = r2.add(d2);
            q2 = d2.fma(d2, q2);
            DoubleVector d3 = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i + 3 * LANES)
                    .convertShape(F2D, DOUBLES, 0)).sub(m3);
            r3 = r3.add(d3);
            q3 = d3.fma(d3, q3);
            DoubleVector d4 = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i + 4 * LANES)
                    .convertShape(F2D, DOUBLES, 0)).sub(m4);
            r4 = r4.add(d4);
            q4 = d4.fma(d4, q4);
            DoubleVector d5 = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i + 5 * LANES)
                    .convertShape(F2D, DOUBLES, 0)).sub(m5);
            r5 = r5.add(d5);
            q5 = d5.fma(d5, q5);
        }
        r0.intoArray(outR, 0);
        r1.intoArray(outR, LANES);
        r2.intoArray(outR, 2 * LANES);
        r3.intoArray(outR, 3 * LANES);
        r4.intoArray(outR, 4 * LANES);
        r5.intoArray(outR, 5 * LANES);
        q0.intoArray(outQ, 0);
        q1.intoArray(outQ, LANES);
        q2.intoArray(outQ, 2 * LANES);
        q3.intoArray(outQ, 3 * LANES);
        q4.intoArray(outQ, 4 * LANES);
        q5.intoArray(outQ, 5 * LANES);
    }

    /** Eight vectors at offset {@code off} of every period, their accumulators in registers. */
    private static void rowGroup8(float[] x, int base, int period, int periods, int off, double[] center,
                                  double[] outR, double[] outQ) {
        DoubleVector m0 = DoubleVector.fromArray(DOUBLES, center, off);
        DoubleVector m1 = DoubleVector.fromArray(DOUBLES, center, off + LANES);
        DoubleVector m2 = DoubleVector.fromArray(DOUBLES, center, off + 2 * LANES);
        DoubleVector m3 = DoubleVector.fromArray(DOUBLES, center, off + 3 * LANES);
        DoubleVector m4 = DoubleVector.fromArray(DOUBLES, center, off + 4 * LANES);
        DoubleVector m5 = DoubleVector.fromArray(DOUBLES, center, off + 5 * LANES);
        DoubleVector m6 = DoubleVector.fromArray(DOUBLES, center, off + 6 * LANES);
        DoubleVector m7 = DoubleVector.fromArray(DOUBLES, center, off + 7 * LANES);
        DoubleVector r0 = DoubleVector.zero(DOUBLES), r1 = r0, r2 = r0, r3 = r0, r4 = r0, r5 = r0, r6 = r0, r7 = r0;
        DoubleVector q0 = r0, q1 = r0, q2 = r0, q3 = r0, q4 = r0, q5 = r0, q6 = r0, q7 = r0;
        for (int j = 0, i = base + off; j < periods; j++, i += period) {
            DoubleVector d0 = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i)
                    .convertShape(F2D, DOUBLES, 0)).sub(m0);
            r0 = r0.add(d0);
            q0 = d0.fma(d0, q0);
            DoubleVector d1 = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i + LANES)
                    .convertShape(F2D, DOUBLES, 0)).sub(m1);
            r1 = r1.add(d1);
            q1 = d1.fma(d1, q1);
            DoubleVector d2 = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i + 2 * LANES)
                    .convertShape(F2D, DOUBLES, 0)).sub(m2);
            r2 = r2.add(d2);
            q2 = d2.fma(d2, q2);
            DoubleVector d3 = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i + 3 * LANES)
                    .convertShape(F2D, DOUBLES, 0)).sub(m3);
            r3 = r3.add(d3);
            q3 = d3.fma(d3, q3);
            DoubleVector d4 = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i + 4 * LANES)
                    .convertShape(F2D, DOUBLES, 0)).sub(m4);
            r4 = r4.add(d4);
            q4 = d4.fma(d4, q4);
            DoubleVector d5 = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i + 5 * LANES)
                    .convertShape(F2D, DOUBLES, 0)).sub(m5);
            r5 = r5.add(d5);
            q5 = d5.fma(d5, q5);
            DoubleVector d6 = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i + 6 * LANES)
                    .convertShape(F2D, DOUBLES, 0)).sub(m6);
            r6 = r6.add(d6);
            q6 = d6.fma(d6, q6);
            DoubleVector d7 = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i + 7 * LANES)
                    .convertShape(F2D, DOUBLES, 0)).sub(m7);
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

    /** Four vectors at offset {@code off} of every period, their accumulators in registers. */
    private static void rowGroup4(float[] x, int base, int period, int periods, int off, double[] center,
                                  double[] outR, double[] outQ) {
        DoubleVector m0 = DoubleVector.fromArray(DOUBLES, center, off);
        DoubleVector m1 = DoubleVector.fromArray(DOUBLES, center, off + LANES);
        DoubleVector m2 = DoubleVector.fromArray(DOUBLES, center, off + 2 * LANES);
        DoubleVector m3 = DoubleVector.fromArray(DOUBLES, center, off + 3 * LANES);
        DoubleVector r0 = DoubleVector.zero(DOUBLES), r1 = r0, r2 = r0, r3 = r0;
        DoubleVector q0 = r0, q1 = r0, q2 = r0, q3 = r0;
        for (int j = 0, i = base + off; j < periods; j++, i += period) {
            DoubleVector d0 = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i)
                    .convertShape(F2D, DOUBLES, 0)).sub(m0);
            DoubleVector d1 = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i + LANES)
                    .convertShape(F2D, DOUBLES, 0)).sub(m1);
            DoubleVector d2 = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i + 2 * LANES)
                    .convertShape(F2D, DOUBLES, 0)).sub(m2);
            DoubleVector d3 = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i + 3 * LANES)
                    .convertShape(F2D, DOUBLES, 0)).sub(m3);
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

    /** One vector at offset {@code off} of every period. */
    private static void rowGroup1(float[] x, int base, int period, int periods, int off, double[] center,
                                  double[] outR, double[] outQ) {
        DoubleVector m = DoubleVector.fromArray(DOUBLES, center, off);
        DoubleVector r = DoubleVector.zero(DOUBLES);
        DoubleVector q = r;
        for (int j = 0, i = base + off; j < periods; j++, i += period) {
            DoubleVector d = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i)
                    .convertShape(F2D, DOUBLES, 0)).sub(m);
            r = r.add(d);
            q = d.fma(d, q);
        }
        r.intoArray(outR, off);
        q.intoArray(outQ, off);
    }

    /** The first {@code lanes} lanes of the vector at offset {@code off} of every period. */
    private static void rowGroupMasked(float[] x, int base, int period, int periods, int off, int lanes,
                                       double[] center, double[] outR, double[] outQ) {
        VectorMask<Float> mask = FLOATS.indexInRange(0, lanes);
        DoubleVector m = DoubleVector.fromArray(DOUBLES, center, off);
        DoubleVector r = DoubleVector.zero(DOUBLES);
        DoubleVector q = r;
        int inside = Lanes.inside(x, base + off, period, periods); // the periods whose vector ends inside x
        int j = 0;
        for (int i = base + off; j < inside; j++, i += period) {
            // Masked lanes load 0 and the center is 0 there (padding): they add 0.
            DoubleVector d = ((DoubleVector) FloatVector.fromArray(FLOATS, x, i, mask)
                    .convertShape(F2D, DOUBLES, 0)).sub(m);
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
     * {@code off} of the accumulators, one lane at a time: each lane's double operations as the vector's, so the same
     * bits, where a masked vector would reach past x's end. There the JDK checks the mask lane by lane, which was seen
     * allocating in compiled code (docs/design-log.md). A vector's masked lanes add +0 to sums that are never −0.
     */
    private static void sumLanes(float[] x, int i, int period, int periods, int lanes, double[] center, int off,
                                 double[] outR, double[] outQ) {
        for (int j = 0; j < periods; j++, i += period) {
            for (int l = 0; l < lanes; l++) {
                double d = x[i + l] - center[off + l];
                outR[off + l] += d;
                outQ[off + l] = Math.fma(d, d, outQ[off + l]);
            }
        }
    }

    /** Adds the first {@code tail} positions of one more period, from {@code t}, to the accumulators. */
    private static void rowTail(float[] x, int t, int tail, double[] center, double[] outR, double[] outQ) {
        for (int off = 0; off < tail; off += LANES) {
            if (t + off > x.length - FLOAT_LANES) { // a vector past x's end: one lane at a time (sumLanes)
                sumLanes(x, t + off, 0, 1, Math.min(LANES, tail - off), center, off, outR, outQ);
                continue;
            }
            VectorMask<Double> md = DOUBLES.indexInRange(off, tail);
            VectorMask<Float> mf = FLOATS.indexInRange(off, Math.min(tail, off + LANES));
            // Lanes past the tail keep 0 and add +0: the sums there are never −0, so they keep every bit. Masked
            // arithmetic as lanewise here, not sub(v, m): see VectorStatistics.sumTail.
            DoubleVector d = ((DoubleVector) FloatVector.fromArray(FLOATS, x, t + off, mf)
                    .convertShape(F2D, DOUBLES, 0))
                    .lanewise(VectorOperators.SUB, DoubleVector.fromArray(DOUBLES, center, off), md);
            DoubleVector.fromArray(DOUBLES, outR, off).add(d).intoArray(outR, off);
            d.fma(d, DoubleVector.fromArray(DOUBLES, outQ, off)).intoArray(outQ, off);
        }
    }

    // ------------------------------------------------------------------------------------------- NCHW planes

    /**
     * {@link DoublePlaneStatistics.Deviations#sum}: the 64 accumulators are 64/L vectors, taken four at a time; each
     * group walks the whole periods of every run of the block, then the runs' tails in a loop of their own.
     */
    static void sumPlanes(float[] x, int base, int stride, int runs, int length, double center, double[] outR,
                          double[] outQ) {
        int full = length / WIDTH;
        for (int g = 0; g < WIDTH; g += 4 * LANES) {
            planeGroup(x, base + g, stride, runs, full, center, outR, outQ, g);
        }
        int tail = length % WIDTH;
        if (tail != 0) {
            planeTails(x, base + full * WIDTH, stride, runs, tail, center, outR, outQ);
        }
    }

    /** Four vectors of accumulators over the whole periods of every run, from {@code start} in the first. */
    private static void planeGroup(float[] x, int start, int stride, int runs, int full, double center,
                                   double[] outR, double[] outQ, int g) {
        DoubleVector c = DoubleVector.broadcast(DOUBLES, center);
        DoubleVector r0 = DoubleVector.zero(DOUBLES), r1 = r0, r2 = r0, r3 = r0;
        DoubleVector q0 = r0, q1 = r0, q2 = r0, q3 = r0;
        for (int k = 0, b = start; k < runs; k++, b += stride) {
            for (int j = 0, i = b; j < full; j++, i += WIDTH) {
                DoubleVector d0 = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i)
                        .convertShape(F2D, DOUBLES, 0)).sub(c);
                DoubleVector d1 = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i + LANES)
                        .convertShape(F2D, DOUBLES, 0)).sub(c);
                DoubleVector d2 = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i + 2 * LANES)
                        .convertShape(F2D, DOUBLES, 0)).sub(c);
                DoubleVector d3 = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i + 3 * LANES)
                        .convertShape(F2D, DOUBLES, 0)).sub(c);
                r0 = r0.add(d0);
                r1 = r1.add(d1);
                r2 = r2.add(d2);
                r3 = r3.add(d3);
                q0 = d0.fma(d0, q0);
                q1 = d1.fma(d1, q1);
                q2 = d2.fma(d2, q2);
                q3 = d3.fma(d3, q3);
            }
        }
        r0.intoArray(outR, g);
        r1.intoArray(outR, g + LANES);
        r2.intoArray(outR, g + 2 * LANES);
        r3.intoArray(outR, g + 3 * LANES);
        q0.intoArray(outQ, g);
        q1.intoArray(outQ, g + LANES);
        q2.intoArray(outQ, g + 2 * LANES);
        q3.intoArray(outQ, g + 3 * LANES);
    }

    /** Adds the {@code tail} floats after the whole periods of every run, from {@code start} in the first. */
    private static void planeTails(float[] x, int start, int stride, int runs, int tail, double center,
                                   double[] outR, double[] outQ) {
        DoubleVector c = DoubleVector.broadcast(DOUBLES, center);
        for (int off = 0; off < tail; off += LANES) {
            VectorMask<Double> md = DOUBLES.indexInRange(off, tail);
            VectorMask<Float> mf = FLOATS.indexInRange(off, Math.min(tail, off + LANES));
            DoubleVector r = DoubleVector.fromArray(DOUBLES, outR, off);
            DoubleVector q = DoubleVector.fromArray(DOUBLES, outQ, off);
            int inside = Lanes.inside(x, start + off, stride, runs); // the runs whose vector ends inside x
            int k = 0;
            for (int i = start + off; k < inside; k++, i += stride) {
                DoubleVector d = ((DoubleVector) FloatVector.fromArray(FLOATS, x, i, mf)
                        .convertShape(F2D, DOUBLES, 0)).sub(c);
                r = r.lanewise(VectorOperators.ADD, d, md); // not add(d, md): see VectorStatistics.sumTail
                q = q.blend(d.fma(d, q), md);
            }
            r.intoArray(outR, off);
            q.intoArray(outQ, off);
            for (int i = start + off + k * stride; k < runs; k++, i += stride) { // past x's end (sumLanes)
                for (int l = 0; l < Math.min(LANES, tail - off); l++) {
                    double d = x[i + l] - center;
                    outR[off + l] += d;
                    outQ[off + l] = Math.fma(d, d, outQ[off + l]);
                }
            }
        }
    }
}
