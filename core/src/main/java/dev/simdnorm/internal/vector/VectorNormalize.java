package dev.simdnorm.internal.vector;

import dev.simdnorm.internal.AffineParams;
import dev.simdnorm.internal.LanePeriod;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The NHWC normalize, {@code y = fma((x − center) − centerLow, scale, shift)} and the optional ReLU, lane for lane
 * what {@code ScalarKernel} does for that position. How a loop walks the periods is chosen by what C2 makes of it: in
 * a loop whose stride is not a compile-time constant it keeps bounds checks and spills counters (jmh/results/asm):
 * <ul>
 *   <li>a period of exactly three or four vectors (C = 1, 3, 16, 64, … at 16 lanes) is walked linearly with the
 *       constant stride 3L or 4L, its parameters in registers;</li>
 *   <li>longer periods of x in L1 go in groups of four vectors whose parameters stay in registers while the group
 *       walks every period;</li>
 *   <li>more of x is walked in memory order, four periods at a time, each parameter vector loaded from L1 once for
 *       the four.</li>
 * </ul>
 * Every loop keeps its vectors inside its own method, ReLU included: a vector passed to a method C2 does not inline
 * is boxed, which allocates and runs many times slower. The memory-order walk skips the subtraction of the low part
 * where the map has none ({@link AffineParams#lowPart()}, an inference map): it subtracts +0, which changes no bit,
 * and costs a load and an operation per vector of x there. The other walks keep it: their parameters sit in
 * registers, or x in L1, where the skip measured no faster (docs/performance.md).
 *
 * <p>A period's last floats that are not a whole vector are taken in the vector that ends with them
 * ({@link Lanes#lastOffset}), so that a masked access stays inside both arrays: past an array's end the JDK checks the
 * mask lane by lane, which was seen allocating on every call where C2 left {@code rest} a call of its own. A partial
 * period shorter than one vector (C &lt; 16, a few rows) takes a masked vector from its start, on a copy where that
 * vector would reach past x's or y's end ({@link Lanes#pastEnd}).
 */
final class VectorNormalize {

    private static final VectorSpecies<Float> FLOATS = Lanes.FLOATS;
    private static final int LANES = Lanes.FLOAT_LANES;
    /** Floats of x beyond which normalize walks memory order: x no longer stays in L1 for every group. */
    static final int CHUNK_FLOATS = 8192;

    private VectorNormalize() {
    }

    static void normalize(float[] x, int xOffset, float[] y, int yOffset, int rows, AffineParams p, boolean relu) {
        int n = rows * p.channels();
        walk(x, xOffset, y, yOffset, n, p, relu, n > CHUNK_FLOATS);
    }

    /**
     * {@code n} floats of whole rows, walked as the period's shape says and, for long periods, in memory order or in
     * groups (the warm-up takes both with few floats).
     */
    static void walk(float[] x, int xo, float[] y, int yo, int n, AffineParams p, boolean relu, boolean memoryOrder) {
        int period;
        if (LanePeriod.period(p.channels()) == 3 * LANES) {
            // Three distinct vectors (C = 3, 6, 12, 24, 48 at 16 lanes): all in registers, one pass.
            period = 3 * LANES;
            linear3(x, xo, y, yo, n / period * period, p, relu);
        } else {
            period = p.period();
            int periods = n / period;
            if (period == 4 * LANES) {
                linear4(x, xo, y, yo, periods * period, p, relu);
            } else if (memoryOrder) {
                rows(x, xo, y, yo, periods, period, p, relu);
            } else {
                groups(x, xo, y, yo, periods, period, p, relu);
            }
        }
        int from = n / period * period;
        if (n - from < LANES && n > from && (Lanes.pastEnd(x, xo + from) || Lanes.pastEnd(y, yo + from))) {
            shortTail(x, xo + from, y, yo + from, n - from, p, relu);
        } else {
            tail(x, xo + from, y, yo + from, n - from, p, relu);
        }
    }

    /**
     * {@link #tail} of fewer floats than a vector, whose vector from the tail's start would reach past x's or y's end:
     * the same vector on a copy of the tail ({@link Lanes#pastEnd}).
     */
    private static void shortTail(float[] x, int xStart, float[] y, int yStart, int length, AffineParams p,
                                  boolean relu) {
        float[] run = Lanes.shortRuns()[0];
        System.arraycopy(x, xStart, run, 0, length);
        tail(run, 0, run, 0, length, p, relu);
        System.arraycopy(run, 0, y, yStart, length);
    }

    /** Whole periods in L1: each group of four vectors keeps its parameters in registers while it walks them. */
    private static void groups(float[] x, int xo, float[] y, int yo, int periods, int period, AffineParams p,
                               boolean relu) {
        int full = period / LANES;
        int v = 0;
        for (; v + 4 <= full; v += 4) {
            group4(x, xo, y, yo, period, periods, v * LANES, p, relu);
        }
        for (; v < full; v++) {
            group1(x, xo, y, yo, period, periods, v * LANES, p, relu);
        }
        if (period % LANES != 0) {
            groupMasked(x, xo, y, yo, period, periods, period % LANES, p, relu);
        }
    }

    /**
     * The last, partial period, {@code length} floats from {@code xStart} and {@code yStart} (a period start, so
     * channel 0): whole vectors, then the last floats in the vector that {@link Lanes#lastOffset} places.
     */
    private static void tail(float[] x, int xStart, float[] y, int yStart, int length, AffineParams p, boolean relu) {
        for (int off = 0; off < length; off += LANES) {
            int at = Lanes.vectorAt(off, length);
            // Positions off to the end (Lanes.lastOffset: masks from offsets of 0).
            VectorMask<Float> m = FLOATS.indexInRange(0, length - at).and(FLOATS.indexInRange(0, off - at).not());
            FloatVector v = FloatVector.fromArray(FLOATS, x, xStart + at, m)
                    .sub(FloatVector.fromArray(FLOATS, p.center(), at));
            v = v.sub(FloatVector.fromArray(FLOATS, p.centerLow(), at));
            FloatVector t = v.fma(FloatVector.fromArray(FLOATS, p.scale(), at),
                    FloatVector.fromArray(FLOATS, p.shift(), at));
            if (relu) {
                t = t.blend(0f, t.lt(0f));
            }
            t.intoArray(y, yStart + at, m);
        }
    }

    /**
     * Whole periods longer than four vectors, in memory order, four consecutive periods at a time ({@link #rows4}),
     * the last ones, fewer than four, one at a time.
     */
    private static void rows(float[] x, int xo, float[] y, int yo, int periods, int period, AffineParams p,
                             boolean relu) {
        int k = 0;
        for (; k + 4 <= periods; k += 4) {
            rows4(x, xo + k * period, y, yo + k * period, period, p, relu);
        }
        for (; k < periods; k++) {
            row(x, xo + k * period, y, yo + k * period, period, p, relu);
        }
    }

    /**
     * Four adjacent periods: each parameter vector is loaded from L1 once for the four vectors of x at the same
     * position of the four periods, two loads per vector of x where one period at a time takes five; x is still read
     * in one sweep.
     */
    private static void rows4(float[] x, int x0, float[] y, int y0, int period, AffineParams p, boolean relu) {
        float[] center = p.center();
        float[] low = p.centerLow();
        float[] scale = p.scale();
        float[] shift = p.shift();
        int whole = period / LANES * LANES;
        int x1 = x0 + period;
        int y1 = y0 + period;
        int x2 = x1 + period;
        int y2 = y1 + period;
        int x3 = x2 + period;
        int y3 = y2 + period;
        boolean lowPart = p.lowPart();
        for (int v = 0; v < whole; v += LANES) {
            FloatVector c = FloatVector.fromArray(FLOATS, center, v);
            FloatVector s = FloatVector.fromArray(FLOATS, scale, v);
            FloatVector b = FloatVector.fromArray(FLOATS, shift, v);
            FloatVector t0 = FloatVector.fromArray(FLOATS, x, x0 + v).sub(c);
            FloatVector t1 = FloatVector.fromArray(FLOATS, x, x1 + v).sub(c);
            FloatVector t2 = FloatVector.fromArray(FLOATS, x, x2 + v).sub(c);
            FloatVector t3 = FloatVector.fromArray(FLOATS, x, x3 + v).sub(c);
            if (lowPart) {
                FloatVector l = FloatVector.fromArray(FLOATS, low, v);
                t0 = t0.sub(l);
                t1 = t1.sub(l);
                t2 = t2.sub(l);
                t3 = t3.sub(l);
            }
            t0 = t0.fma(s, b);
            t1 = t1.fma(s, b);
            t2 = t2.fma(s, b);
            t3 = t3.fma(s, b);
            if (relu) {
                t0 = t0.blend(0f, t0.lt(0f));
                t1 = t1.blend(0f, t1.lt(0f));
                t2 = t2.blend(0f, t2.lt(0f));
                t3 = t3.blend(0f, t3.lt(0f));
            }
            t0.intoArray(y, y0 + v);
            t1.intoArray(y, y1 + v);
            t2.intoArray(y, y2 + v);
            t3.intoArray(y, y3 + v);
        }
        if (whole != period) {
            rest(x, x0, y, y0, period, p, relu);
            rest(x, x1, y, y1, period, p, relu);
            rest(x, x2, y, y2, period, p, relu);
            rest(x, x3, y, y3, period, p, relu);
        }
    }

    /** One period, the parameters read from L1 for every vector. */
    private static void row(float[] x, int xb, float[] y, int yb, int period, AffineParams p, boolean relu) {
        float[] center = p.center();
        float[] low = p.centerLow();
        float[] scale = p.scale();
        float[] shift = p.shift();
        int whole = period / LANES * LANES;
        boolean lowPart = p.lowPart();
        for (int v = 0; v < whole; v += LANES) {
            FloatVector t = FloatVector.fromArray(FLOATS, x, xb + v).sub(FloatVector.fromArray(FLOATS, center, v));
            if (lowPart) {
                t = t.sub(FloatVector.fromArray(FLOATS, low, v));
            }
            t = t.fma(FloatVector.fromArray(FLOATS, scale, v), FloatVector.fromArray(FLOATS, shift, v));
            if (relu) {
                t = t.blend(0f, t.lt(0f));
            }
            t.intoArray(y, yb + v);
        }
        if (whole != period) {
            rest(x, xb, y, yb, period, p, relu);
        }
    }

    /**
     * The last {@code period % LANES} floats of one period, when the period is not whole vectors (C itself, where its
     * lcm with 16 is over 64 vectors: 65, 1000, 5000): the top lanes of the vector that ends where the period ends
     * ({@link Lanes#lastOffset}).
     */
    private static void rest(float[] x, int xb, float[] y, int yb, int period, AffineParams p, boolean relu) {
        int last = Lanes.lastOffset(period); // period - LANES: such a period is longer than four vectors
        VectorMask<Float> m = FLOATS.indexInRange(0, LANES - period % LANES).not();
        FloatVector t = FloatVector.fromArray(FLOATS, x, xb + last)
                .sub(FloatVector.fromArray(FLOATS, p.center(), last));
        if (p.lowPart()) {
            t = t.sub(FloatVector.fromArray(FLOATS, p.centerLow(), last));
        }
        t = t.fma(FloatVector.fromArray(FLOATS, p.scale(), last), FloatVector.fromArray(FLOATS, p.shift(), last));
        if (relu) {
            t = t.blend(0f, t.lt(0f));
        }
        t.intoArray(y, yb + last, m);
    }

    /**
     * {@code n} floats whose period is exactly four vectors, their parameters in registers, with the constant stride
     * 4L: C2 then drops the loop's range checks and unrolls it, which a variable stride prevents (docs/design-log.md).
     */
    private static void linear4(float[] x, int xo, float[] y, int yo, int n, AffineParams p, boolean relu) {
        float[] low = p.centerLow();
        FloatVector c0 = FloatVector.fromArray(FLOATS, p.center(), 0);
        FloatVector c1 = FloatVector.fromArray(FLOATS, p.center(), LANES);
        FloatVector c2 = FloatVector.fromArray(FLOATS, p.center(), 2 * LANES);
        FloatVector c3 = FloatVector.fromArray(FLOATS, p.center(), 3 * LANES);
        FloatVector l0 = FloatVector.fromArray(FLOATS, low, 0);
        FloatVector l1 = FloatVector.fromArray(FLOATS, low, LANES);
        FloatVector l2 = FloatVector.fromArray(FLOATS, low, 2 * LANES);
        FloatVector l3 = FloatVector.fromArray(FLOATS, low, 3 * LANES);
        FloatVector s0 = FloatVector.fromArray(FLOATS, p.scale(), 0);
        FloatVector s1 = FloatVector.fromArray(FLOATS, p.scale(), LANES);
        FloatVector s2 = FloatVector.fromArray(FLOATS, p.scale(), 2 * LANES);
        FloatVector s3 = FloatVector.fromArray(FLOATS, p.scale(), 3 * LANES);
        FloatVector b0 = FloatVector.fromArray(FLOATS, p.shift(), 0);
        FloatVector b1 = FloatVector.fromArray(FLOATS, p.shift(), LANES);
        FloatVector b2 = FloatVector.fromArray(FLOATS, p.shift(), 2 * LANES);
        FloatVector b3 = FloatVector.fromArray(FLOATS, p.shift(), 3 * LANES);
        for (int i = 0; i < n; i += 4 * LANES) {
            FloatVector v0 = FloatVector.fromArray(FLOATS, x, xo + i).sub(c0);
            FloatVector v1 = FloatVector.fromArray(FLOATS, x, xo + i + LANES).sub(c1);
            FloatVector v2 = FloatVector.fromArray(FLOATS, x, xo + i + 2 * LANES).sub(c2);
            FloatVector v3 = FloatVector.fromArray(FLOATS, x, xo + i + 3 * LANES).sub(c3);
            v0 = v0.sub(l0);
            v1 = v1.sub(l1);
            v2 = v2.sub(l2);
            v3 = v3.sub(l3);
            v0 = v0.fma(s0, b0);
            v1 = v1.fma(s1, b1);
            v2 = v2.fma(s2, b2);
            v3 = v3.fma(s3, b3);
            if (relu) {
                v0 = v0.blend(0f, v0.lt(0f));
                v1 = v1.blend(0f, v1.lt(0f));
                v2 = v2.blend(0f, v2.lt(0f));
                v3 = v3.blend(0f, v3.lt(0f));
            }
            v0.intoArray(y, yo + i);
            v1.intoArray(y, yo + i + LANES);
            v2.intoArray(y, yo + i + 2 * LANES);
            v3.intoArray(y, yo + i + 3 * LANES);
        }
    }

    /** As {@link #linear4} for a period of exactly three vectors, with the constant stride 3L. */
    private static void linear3(float[] x, int xo, float[] y, int yo, int n, AffineParams p, boolean relu) {
        float[] low = p.centerLow();
        FloatVector c0 = FloatVector.fromArray(FLOATS, p.center(), 0);
        FloatVector c1 = FloatVector.fromArray(FLOATS, p.center(), LANES);
        FloatVector c2 = FloatVector.fromArray(FLOATS, p.center(), 2 * LANES);
        FloatVector l0 = FloatVector.fromArray(FLOATS, low, 0);
        FloatVector l1 = FloatVector.fromArray(FLOATS, low, LANES);
        FloatVector l2 = FloatVector.fromArray(FLOATS, low, 2 * LANES);
        FloatVector s0 = FloatVector.fromArray(FLOATS, p.scale(), 0);
        FloatVector s1 = FloatVector.fromArray(FLOATS, p.scale(), LANES);
        FloatVector s2 = FloatVector.fromArray(FLOATS, p.scale(), 2 * LANES);
        FloatVector b0 = FloatVector.fromArray(FLOATS, p.shift(), 0);
        FloatVector b1 = FloatVector.fromArray(FLOATS, p.shift(), LANES);
        FloatVector b2 = FloatVector.fromArray(FLOATS, p.shift(), 2 * LANES);
        for (int i = 0; i < n; i += 3 * LANES) {
            FloatVector v0 = FloatVector.fromArray(FLOATS, x, xo + i).sub(c0);
            FloatVector v1 = FloatVector.fromArray(FLOATS, x, xo + i + LANES).sub(c1);
            FloatVector v2 = FloatVector.fromArray(FLOATS, x, xo + i + 2 * LANES).sub(c2);
            v0 = v0.sub(l0);
            v1 = v1.sub(l1);
            v2 = v2.sub(l2);
            v0 = v0.fma(s0, b0);
            v1 = v1.fma(s1, b1);
            v2 = v2.fma(s2, b2);
            if (relu) {
                v0 = v0.blend(0f, v0.lt(0f));
                v1 = v1.blend(0f, v1.lt(0f));
                v2 = v2.blend(0f, v2.lt(0f));
            }
            v0.intoArray(y, yo + i);
            v1.intoArray(y, yo + i + LANES);
            v2.intoArray(y, yo + i + 2 * LANES);
        }
    }

    /** Four vectors at offset {@code off} of every one of {@code periods} periods, their parameters in registers. */
    private static void group4(float[] x, int xo, float[] y, int yo, int period, int periods, int off,
                               AffineParams p, boolean relu) {
        float[] low = p.centerLow();
        FloatVector c0 = FloatVector.fromArray(FLOATS, p.center(), off);
        FloatVector c1 = FloatVector.fromArray(FLOATS, p.center(), off + LANES);
        FloatVector c2 = FloatVector.fromArray(FLOATS, p.center(), off + 2 * LANES);
        FloatVector c3 = FloatVector.fromArray(FLOATS, p.center(), off + 3 * LANES);
        FloatVector l0 = FloatVector.fromArray(FLOATS, low, off);
        FloatVector l1 = FloatVector.fromArray(FLOATS, low, off + LANES);
        FloatVector l2 = FloatVector.fromArray(FLOATS, low, off + 2 * LANES);
        FloatVector l3 = FloatVector.fromArray(FLOATS, low, off + 3 * LANES);
        FloatVector s0 = FloatVector.fromArray(FLOATS, p.scale(), off);
        FloatVector s1 = FloatVector.fromArray(FLOATS, p.scale(), off + LANES);
        FloatVector s2 = FloatVector.fromArray(FLOATS, p.scale(), off + 2 * LANES);
        FloatVector s3 = FloatVector.fromArray(FLOATS, p.scale(), off + 3 * LANES);
        FloatVector b0 = FloatVector.fromArray(FLOATS, p.shift(), off);
        FloatVector b1 = FloatVector.fromArray(FLOATS, p.shift(), off + LANES);
        FloatVector b2 = FloatVector.fromArray(FLOATS, p.shift(), off + 2 * LANES);
        FloatVector b3 = FloatVector.fromArray(FLOATS, p.shift(), off + 3 * LANES);
        for (int k = 0, i = off; k < periods; k++, i += period) {
            FloatVector v0 = FloatVector.fromArray(FLOATS, x, xo + i).sub(c0);
            FloatVector v1 = FloatVector.fromArray(FLOATS, x, xo + i + LANES).sub(c1);
            FloatVector v2 = FloatVector.fromArray(FLOATS, x, xo + i + 2 * LANES).sub(c2);
            FloatVector v3 = FloatVector.fromArray(FLOATS, x, xo + i + 3 * LANES).sub(c3);
            v0 = v0.sub(l0);
            v1 = v1.sub(l1);
            v2 = v2.sub(l2);
            v3 = v3.sub(l3);
            v0 = v0.fma(s0, b0);
            v1 = v1.fma(s1, b1);
            v2 = v2.fma(s2, b2);
            v3 = v3.fma(s3, b3);
            if (relu) {
                v0 = v0.blend(0f, v0.lt(0f));
                v1 = v1.blend(0f, v1.lt(0f));
                v2 = v2.blend(0f, v2.lt(0f));
                v3 = v3.blend(0f, v3.lt(0f));
            }
            v0.intoArray(y, yo + i);
            v1.intoArray(y, yo + i + LANES);
            v2.intoArray(y, yo + i + 2 * LANES);
            v3.intoArray(y, yo + i + 3 * LANES);
        }
    }

    /** One vector at offset {@code off} of every period. */
    private static void group1(float[] x, int xo, float[] y, int yo, int period, int periods, int off,
                               AffineParams p, boolean relu) {
        FloatVector c = FloatVector.fromArray(FLOATS, p.center(), off);
        FloatVector l = FloatVector.fromArray(FLOATS, p.centerLow(), off);
        FloatVector s = FloatVector.fromArray(FLOATS, p.scale(), off);
        FloatVector b = FloatVector.fromArray(FLOATS, p.shift(), off);
        for (int k = 0, i = off; k < periods; k++, i += period) {
            FloatVector v = FloatVector.fromArray(FLOATS, x, xo + i).sub(c);
            v = v.sub(l);
            v = v.fma(s, b);
            if (relu) {
                v = v.blend(0f, v.lt(0f));
            }
            v.intoArray(y, yo + i);
        }
    }

    /**
     * The last {@code lanes} floats of every period: the top lanes of the vector that ends where the period ends
     * ({@link Lanes#lastOffset}; a period not whole vectors is C itself, longer than four vectors).
     */
    private static void groupMasked(float[] x, int xo, float[] y, int yo, int period, int periods, int lanes,
                                    AffineParams p, boolean relu) {
        int last = Lanes.lastOffset(period); // period - LANES
        VectorMask<Float> m = FLOATS.indexInRange(0, LANES - lanes).not();
        FloatVector c = FloatVector.fromArray(FLOATS, p.center(), last);
        FloatVector l = FloatVector.fromArray(FLOATS, p.centerLow(), last);
        FloatVector s = FloatVector.fromArray(FLOATS, p.scale(), last);
        FloatVector b = FloatVector.fromArray(FLOATS, p.shift(), last);
        for (int k = 0, i = last; k < periods; k++, i += period) {
            FloatVector v = FloatVector.fromArray(FLOATS, x, xo + i).sub(c);
            v = v.sub(l);
            v = v.fma(s, b);
            if (relu) {
                v = v.blend(0f, v.lt(0f));
            }
            v.intoArray(y, yo + i, m);
        }
    }
}
