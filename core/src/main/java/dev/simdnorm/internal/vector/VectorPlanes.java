package dev.simdnorm.internal.vector;

import dev.simdnorm.internal.AffineParams;
import dev.simdnorm.internal.PlaneStatistics;
import dev.simdnorm.internal.RowParams;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * NCHW in vectors: the deviation sums of {@link PlaneStatistics} along each channel's planes, and normalize plane by
 * plane, lane for lane what {@code ScalarKernel} does. Every loop keeps its vectors inside its own method.
 */
final class VectorPlanes {

    private static final VectorSpecies<Float> FLOATS = Lanes.FLOATS;
    private static final int LANES = Lanes.FLOAT_LANES;
    private static final int WIDTH = PlaneStatistics.WIDTH;

    /** The deviation sums and the reduction of {@link PlaneStatistics}, in vectors. */
    static final PlaneStatistics.Deviations DEVIATIONS = new PlaneStatistics.Deviations() {
        @Override
        public void sum(float[] x, int base, int stride, int runs, int length, float center, float[] r,
                        float[] q) {
            sumDeviations(x, base, stride, runs, length, center, r, q);
        }

        @Override
        public void reduce(float[] accumulators, float[] out) {
            out[0] = VectorPlanes.reduce(accumulators);
        }

        @Override
        public void sumReduced(float[] x, int base, int stride, int runs, int length, float center, float[] r,
                               float[] q, float[] sumR, float[] sumQ) {
            if (LANES == WIDTH / 4 && runs == 1 && tailInside(x, base, length)) {
                VectorPlanes.sumReduced(x, base, length, center, sumR, sumQ);
            } else {
                PlaneStatistics.Deviations.super.sumReduced(x, base, stride, runs, length, center, r, q, sumR, sumQ);
            }
        }
    };

    /**
     * Whether the masked vectors of a run's tail ({@link #sumReduced}'s) end inside x. Past x's end the JDK checks a
     * mask lane by lane, which was seen allocating in compiled code (docs/design-log.md); such a run, at most the last
     * of a call, takes {@link #sumTails}, whose lanes past the end are added one at a time.
     */
    private static boolean tailInside(float[] x, int base, int length) {
        int tail = length % WIDTH;
        return tail == 0 || base + length - tail + (tail + LANES - 1) / LANES * LANES <= x.length;
    }

    /**
     * {@link PlaneStatistics.Deviations#sumReduced} of one run where the 64 accumulators are four vectors, kept in
     * registers: the whole periods as {@link #sumGroup} adds them, the tail masked as {@link #sumTails} adds it, then
     * the four vectors added as {@link #reduce} adds them. The same adds in the same order, so the same bits, without
     * the stores. (Blocks of several runs, whose reductions weigh less, measured 0.90–0.98× as fast this way.)
     */
    private static void sumReduced(float[] x, int base, int length, float center, float[] sumR, float[] sumQ) {
        FloatVector c = FloatVector.broadcast(FLOATS, center);
        FloatVector r0 = FloatVector.zero(FLOATS);
        FloatVector r1 = r0;
        FloatVector r2 = r0;
        FloatVector r3 = r0;
        FloatVector q0 = r0;
        FloatVector q1 = r0;
        FloatVector q2 = r0;
        FloatVector q3 = r0;
        int full = length / WIDTH;
        int i = base;
        for (int j = 0; j < full; j++, i += WIDTH) {
            FloatVector d0 = FloatVector.fromArray(FLOATS, x, i).sub(c);
            FloatVector d1 = FloatVector.fromArray(FLOATS, x, i + LANES).sub(c);
            FloatVector d2 = FloatVector.fromArray(FLOATS, x, i + 2 * LANES).sub(c);
            FloatVector d3 = FloatVector.fromArray(FLOATS, x, i + 3 * LANES).sub(c);
            r0 = r0.add(d0);
            r1 = r1.add(d1);
            r2 = r2.add(d2);
            r3 = r3.add(d3);
            q0 = d0.fma(d0, q0);
            q1 = d1.fma(d1, q1);
            q2 = d2.fma(d2, q2);
            q3 = d3.fma(d3, q3);
        }
        int tail = length - full * WIDTH;
        if (tail != 0) {
            // Masked adds as lanewise, not add(d, m): see VectorStatistics.sumTail.
            VectorMask<Float> m0 = FLOATS.indexInRange(0, tail);
            FloatVector d0 = FloatVector.fromArray(FLOATS, x, i, m0).sub(c);
            r0 = r0.lanewise(VectorOperators.ADD, d0, m0);
            q0 = q0.blend(d0.fma(d0, q0), m0);
            if (tail > LANES) { // vectors past the tail would add nothing: skip them
                VectorMask<Float> m1 = FLOATS.indexInRange(LANES, tail);
                FloatVector d1 = FloatVector.fromArray(FLOATS, x, i + LANES, m1).sub(c);
                r1 = r1.lanewise(VectorOperators.ADD, d1, m1);
                q1 = q1.blend(d1.fma(d1, q1), m1);
            }
            if (tail > 2 * LANES) {
                VectorMask<Float> m2 = FLOATS.indexInRange(2 * LANES, tail);
                FloatVector d2 = FloatVector.fromArray(FLOATS, x, i + 2 * LANES, m2).sub(c);
                r2 = r2.lanewise(VectorOperators.ADD, d2, m2);
                q2 = q2.blend(d2.fma(d2, q2), m2);
            }
            if (tail > 3 * LANES) {
                VectorMask<Float> m3 = FLOATS.indexInRange(3 * LANES, tail);
                FloatVector d3 = FloatVector.fromArray(FLOATS, x, i + 3 * LANES, m3).sub(c);
                r3 = r3.lanewise(VectorOperators.ADD, d3, m3);
                q3 = q3.blend(d3.fma(d3, q3), m3);
            }
        }
        FloatVector r = r0.add(r2).add(r1.add(r3));
        FloatVector q = q0.add(q2).add(q1.add(q3));
        r = r.add(r.rearrange(HALF));
        q = q.add(q.rearrange(HALF));
        r = r.add(r.rearrange(QUARTER));
        q = q.add(q.rearrange(QUARTER));
        r = r.add(r.rearrange(EIGHTH));
        q = q.add(q.rearrange(EIGHTH));
        r = r.add(r.rearrange(SIXTEENTH));
        q = q.add(q.rearrange(SIXTEENTH));
        sumR[0] = r.lane(0);
        sumQ[0] = q.lane(0);
    }

    /**
     * LayerNorm's row map of one row ({@code VectorRows.row}, with the map of {@code p}'s row {@code row}) and
     * {@link #sumReduced} of the next around {@code center}, in one loop where the 64 accumulators are four vectors
     * and rows are whole multiples of 64 floats: the same operations on each value, so the same bits. Other widths and
     * sizes take the two loops (with a masked tail, C1 runs out of registers on such a method).
     */
    static void normalizeRowAndSumNext(float[] x, int xo, float[] y, int yo, int size, RowParams p, int row,
                                       int next, float center, float[] sums) {
        if (LANES != WIDTH / 4 || size % WIDTH != 0) {
            VectorRows.row(x, xo, y, yo, size, p.center()[row], p.centerLow()[row], p.scale()[row],
                    p.offset()[row], p.gamma(), p.beta());
            PlaneStatistics.sumRun(DEVIATIONS, x, next, size, center, sums);
            return;
        }
        float[] gamma = p.gamma();
        float[] beta = p.beta();
        FloatVector mc = FloatVector.broadcast(FLOATS, p.center()[row]);
        FloatVector ml = FloatVector.broadcast(FLOATS, p.centerLow()[row]);
        FloatVector ms = FloatVector.broadcast(FLOATS, p.scale()[row]);
        FloatVector mt = FloatVector.broadcast(FLOATS, p.offset()[row]);
        FloatVector c = FloatVector.broadcast(FLOATS, center);
        FloatVector r0 = FloatVector.zero(FLOATS);
        FloatVector r1 = r0;
        FloatVector r2 = r0;
        FloatVector r3 = r0;
        FloatVector q0 = r0;
        FloatVector q1 = r0;
        FloatVector q2 = r0;
        FloatVector q3 = r0;
        for (int j = 0; j < size; j += WIDTH) {
            int i = next + j;
            FloatVector d0 = FloatVector.fromArray(FLOATS, x, i).sub(c);
            FloatVector d1 = FloatVector.fromArray(FLOATS, x, i + LANES).sub(c);
            FloatVector d2 = FloatVector.fromArray(FLOATS, x, i + 2 * LANES).sub(c);
            FloatVector d3 = FloatVector.fromArray(FLOATS, x, i + 3 * LANES).sub(c);
            r0 = r0.add(d0);
            r1 = r1.add(d1);
            r2 = r2.add(d2);
            r3 = r3.add(d3);
            q0 = d0.fma(d0, q0);
            q1 = d1.fma(d1, q1);
            q2 = d2.fma(d2, q2);
            q3 = d3.fma(d3, q3);
            for (int v = 0; v < WIDTH; v += LANES) {
                FloatVector.fromArray(FLOATS, x, xo + j + v).sub(mc).sub(ml).fma(ms, mt)
                        .fma(FloatVector.fromArray(FLOATS, gamma, j + v), FloatVector.fromArray(FLOATS, beta, j + v))
                        .intoArray(y, yo + j + v);
            }
        }
        FloatVector r = r0.add(r2).add(r1.add(r3));
        FloatVector q = q0.add(q2).add(q1.add(q3));
        r = r.add(r.rearrange(HALF));
        q = q.add(q.rearrange(HALF));
        r = r.add(r.rearrange(QUARTER));
        q = q.add(q.rearrange(QUARTER));
        r = r.add(r.rearrange(EIGHTH));
        q = q.add(q.rearrange(EIGHTH));
        r = r.add(r.rearrange(SIXTEENTH));
        q = q.add(q.rearrange(SIXTEENTH));
        sums[0] = r.lane(0);
        sums[1] = q.lane(0);
    }

    /** Lane i ← lane i + L/2, i + L/4, …, i + 1 (rotations): the in-vector halving steps of {@link #reduce}. */
    private static final VectorShuffle<Float> HALF = rotation(LANES / 2);
    private static final VectorShuffle<Float> QUARTER = rotation(Math.max(1, LANES / 4));
    private static final VectorShuffle<Float> EIGHTH = rotation(Math.max(1, LANES / 8));
    private static final VectorShuffle<Float> SIXTEENTH = rotation(Math.max(1, LANES / 16));

    private static VectorShuffle<Float> rotation(int by) {
        return VectorShuffle.fromOp(FLOATS, i -> (i + by) % LANES);
    }

    /**
     * {@link dev.simdnorm.internal.LanePeriod#reduce} of the 64 accumulators: the halving steps of whole vectors in
     * place, then those within the last vector in a register, each lane i adding lane i + half (the lanes past half
     * are left over and ignored). The same single add per position as the scalar reduction, so the sum keeps every
     * bit, without the masked stores and reloads that stall on short runs.
     */
    static float reduce(float[] a) {
        for (int half = WIDTH / 2; half >= LANES; half /= 2) {
            for (int p = 0; p < half; p += LANES) {
                FloatVector.fromArray(FLOATS, a, p).add(FloatVector.fromArray(FLOATS, a, p + half)).intoArray(a, p);
            }
        }
        FloatVector v = FloatVector.fromArray(FLOATS, a, 0);
        v = v.add(v.rearrange(HALF));
        if (LANES >= 4) {
            v = v.add(v.rearrange(QUARTER));
        }
        if (LANES >= 8) {
            v = v.add(v.rearrange(EIGHTH));
        }
        if (LANES >= 16) {
            v = v.add(v.rearrange(SIXTEENTH));
        }
        return v.lane(0);
    }

    private VectorPlanes() {
    }

    /**
     * {@link PlaneStatistics.Deviations}: the 64 accumulators are 64/L vectors, taken four at a time; each group keeps
     * its accumulators in registers while it walks the whole periods of every run of the block, then the runs' masked
     * tails in a loop of their own (masked-off lanes add nothing), the order of {@code ScalarKernel}. Narrower species
     * walk the block, from cache, once per group.
     */
    static void sumDeviations(float[] x, int base, int stride, int runs, int length, float center, float[] outR,
                              float[] outQ) {
        int full = length / WIDTH;
        for (int g = 0; g < WIDTH; g += 4 * LANES) {
            sumGroup(x, base + g, stride, runs, full, center, outR, outQ, g);
        }
        int tail = length % WIDTH;
        if (tail != 0) {
            sumTails(x, base + full * WIDTH, stride, runs, tail, center, outR, outQ);
        }
    }

    /** Four vectors of accumulators over the whole periods of every run, from {@code start} in the first. */
    private static void sumGroup(float[] x, int start, int stride, int runs, int full, float center, float[] outR,
                                 float[] outQ, int g) {
        FloatVector c = FloatVector.broadcast(FLOATS, center);
        FloatVector r0 = FloatVector.zero(FLOATS);
        FloatVector r1 = FloatVector.zero(FLOATS);
        FloatVector r2 = FloatVector.zero(FLOATS);
        FloatVector r3 = FloatVector.zero(FLOATS);
        FloatVector q0 = FloatVector.zero(FLOATS);
        FloatVector q1 = FloatVector.zero(FLOATS);
        FloatVector q2 = FloatVector.zero(FLOATS);
        FloatVector q3 = FloatVector.zero(FLOATS);
        for (int k = 0, b = start; k < runs; k++, b += stride) {
            for (int j = 0, i = b; j < full; j++, i += WIDTH) {
                FloatVector d0 = FloatVector.fromArray(FLOATS, x, i).sub(c);
                FloatVector d1 = FloatVector.fromArray(FLOATS, x, i + LANES).sub(c);
                FloatVector d2 = FloatVector.fromArray(FLOATS, x, i + 2 * LANES).sub(c);
                FloatVector d3 = FloatVector.fromArray(FLOATS, x, i + 3 * LANES).sub(c);
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

    /**
     * Adds the {@code tail} floats after the whole periods of every run, from {@code start} in the first. A masked
     * vector that would reach past x's end (the last runs of a call's last block) is added one lane at a time, each
     * lane's float operations as the vector's, so the same bits: past the end the JDK checks a mask lane by lane,
     * which was seen allocating in compiled code (docs/design-log.md).
     */
    private static void sumTails(float[] x, int start, int stride, int runs, int tail, float center, float[] outR,
                                 float[] outQ) {
        FloatVector c = FloatVector.broadcast(FLOATS, center);
        for (int off = 0; off < tail; off += LANES) {
            VectorMask<Float> m = FLOATS.indexInRange(off, tail);
            FloatVector r = FloatVector.fromArray(FLOATS, outR, off);
            FloatVector q = FloatVector.fromArray(FLOATS, outQ, off);
            int inside = Lanes.inside(x, start + off, stride, runs); // the runs whose vector ends inside x
            int k = 0;
            for (int i = start + off; k < inside; k++, i += stride) {
                FloatVector d = FloatVector.fromArray(FLOATS, x, i, m).sub(c);
                r = r.lanewise(VectorOperators.ADD, d, m); // not add(d, m): see VectorStatistics.sumTail
                q = q.blend(d.fma(d, q), m);
            }
            r.intoArray(outR, off);
            q.intoArray(outQ, off);
            if (k < runs) {
                sumLanes(x, start + off + k * stride, stride, runs - k, Math.min(LANES, tail - off), center, outR,
                        outQ, off);
            }
        }
    }

    /** {@link #sumTails}' vector for {@code runs} runs from {@code i}, its {@code lanes} lanes one at a time. */
    private static void sumLanes(float[] x, int i, int stride, int runs, int lanes, float center, float[] outR,
                                 float[] outQ, int off) {
        for (int k = 0; k < runs; k++, i += stride) {
            for (int l = 0; l < lanes; l++) {
                float d = x[i + l] - center;
                outR[off + l] += d;
                outQ[off + l] = Math.fma(d, d, outQ[off + l]);
            }
        }
    }

    static void normalize(float[] x, int xOffset, float[] y, int yOffset, int n, int spatial, AffineParams p,
                          boolean relu) {
        int channels = p.channels();
        int planes = n * channels;
        int inside = planes;
        if (spatial < LANES) { // planes whose vector would reach past x's or y's end go on a copy (Lanes.pastEnd)
            inside = Math.min(Lanes.inside(x, xOffset, spatial, planes), Lanes.inside(y, yOffset, spatial, planes));
        }
        int k = 0;
        for (int c = 0; k < inside; k++, c = c + 1 == channels ? 0 : c + 1) {
            normalizePlane(x, xOffset + k * spatial, y, yOffset + k * spatial, spatial, p, c, relu);
        }
        float[] run = k < planes ? Lanes.shortRuns()[0] : null;
        for (; k < planes; k++) {
            System.arraycopy(x, xOffset + k * spatial, run, 0, spatial);
            normalizePlane(run, 0, run, 0, spatial, p, k % channels, relu);
            System.arraycopy(run, 0, y, yOffset + k * spatial, spatial);
        }
    }

    /**
     * One plane of channel {@code c}: its parameters broadcast, then whole vectors and one masked. The loop carries
     * no dependency, so C2 unrolls it; unlike NHWC there are no per-lane parameters to keep in registers.
     */
    private static void normalizePlane(float[] x, int xo, float[] y, int yo, int spatial, AffineParams p, int c,
                                       boolean relu) {
        FloatVector center = FloatVector.broadcast(FLOATS, p.center()[c]);
        FloatVector low = FloatVector.broadcast(FLOATS, p.centerLow()[c]);
        FloatVector s = FloatVector.broadcast(FLOATS, p.scale()[c]);
        FloatVector b = FloatVector.broadcast(FLOATS, p.shift()[c]);
        int j = 0;
        for (; j + LANES <= spatial; j += LANES) {
            FloatVector v = FloatVector.fromArray(FLOATS, x, xo + j).sub(center);
            v = v.sub(low);
            v = v.fma(s, b);
            if (relu) {
                v = v.blend(0f, v.lt(0f));
            }
            v.intoArray(y, yo + j);
        }
        if (j < spatial) {
            // The vector that ends with the plane (Lanes.lastOffset), masked to the floats from j: it stays inside the
            // arrays, where a vector from j reaches past their end at the last plane and the JDK checks the mask lane
            // by lane (seen allocating 64 B a call, as in VectorNormalize.tail). In place, its lanes below j are
            // neither read nor written. A plane shorter than a vector keeps the vector from its start, on a copy where
            // it would reach past x's or y's end (normalize).
            int at = Lanes.lastOffset(spatial);
            VectorMask<Float> m = at == 0 ? FLOATS.indexInRange(j, spatial)
                    : FLOATS.indexInRange(0, j - at).not();
            FloatVector v = FloatVector.fromArray(FLOATS, x, xo + at, m).sub(center);
            v = v.sub(low);
            v = v.fma(s, b);
            if (relu) {
                v = v.blend(0f, v.lt(0f));
            }
            v.intoArray(y, yo + at, m);
        }
    }
}
