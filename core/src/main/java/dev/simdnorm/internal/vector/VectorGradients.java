package dev.simdnorm.internal.vector;

import dev.simdnorm.internal.AffineParams;
import dev.simdnorm.internal.GradientParams;
import dev.simdnorm.internal.GradientSums;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The two backward passes in vectors, lane for lane what {@code ScalarKernel} does: the block sums of
 * {@link GradientSums} ({@code Σg} and {@code Σv·g}) and the input gradient. The ReLU mask
 * {@code g = fma(v, s, b) ≤ 0 ? 0 : dy} (a NaN passes dy on) and the gradient formula are written out in every loop:
 * a vector passed to a method that C2 does not inline is boxed, which allocated megabytes per call.
 */
final class VectorGradients implements GradientSums.BlockSums {

    static final VectorGradients INSTANCE = new VectorGradients();

    private static final VectorSpecies<Float> FLOATS = Lanes.FLOATS;
    private static final int LANES = Lanes.FLOAT_LANES;
    /** Periods of x walked by every group of vectors in turn, so that x and dy stay in L1 between the groups. */
    private static final int CHUNK_FLOATS = 8192;

    private VectorGradients() {
    }

    /** Σg and Σv·g (by FMA) per lane, in groups of four vectors, then one vector at a time, then the tail. */
    @Override
    public void sum(float[] x, int xBase, float[] dy, int dyBase, int period, int periods, int tail, AffineParams f,
                    boolean relu, float[] sumG, float[] sumVG) {
        int full = period / LANES;
        int v = 0;
        for (; v + 4 <= full; v += 4) {
            sum4(x, xBase, dy, dyBase, period, periods, v * LANES, f, relu, sumG, sumVG);
        }
        for (; v * LANES < period; v++) {
            sum1(x, xBase, dy, dyBase, period, periods, Lanes.vectorAt(v * LANES, period), f, relu, sumG, sumVG);
        }
        int xt = xBase + periods * period;
        int dt = dyBase + periods * period;
        if (tail != 0 && tail < LANES && (Lanes.pastEnd(x, xt) || Lanes.pastEnd(dy, dt))) {
            // The tail's vector from its start would reach past x's or dy's end: the same vector on copies.
            float[][] runs = Lanes.shortRuns();
            System.arraycopy(x, xt, runs[0], 0, tail);
            System.arraycopy(dy, dt, runs[1], 0, tail);
            sumTail(runs[0], 0, runs[1], 0, tail, f, relu, sumG, sumVG);
        } else if (tail != 0) {
            sumTail(x, xt, dy, dt, tail, f, relu, sumG, sumVG);
        }
    }

    /** Adds the first {@code tail} positions of one more period to the accumulators. */
    private static void sumTail(float[] x, int xt, float[] dy, int dt, int tail, AffineParams f, boolean relu,
                                float[] sumG, float[] sumVG) {
        for (int off = 0; off < tail; off += LANES) {
            int at = Lanes.vectorAt(off, tail);
            // Positions off to the tail's end (Lanes.lastOffset: masks from offsets of 0).
            VectorMask<Float> m = FLOATS.indexInRange(0, tail - at).and(FLOATS.indexInRange(0, off - at).not());
            // Masked lanes: x and dy load 0 and the masked subtractions keep 0, so v = g = 0 there; the masked add and
            // blend leave those positions' sums as they are. Masked arithmetic as lanewise, not sub(v, m) or add(v, m):
            // see VectorStatistics.sumTail.
            FloatVector d = FloatVector.fromArray(FLOATS, x, xt + at, m)
                    .lanewise(VectorOperators.SUB, FloatVector.fromArray(FLOATS, f.center(), at), m);
            d = d.lanewise(VectorOperators.SUB, FloatVector.fromArray(FLOATS, f.centerLow(), at), m);
            FloatVector g = FloatVector.fromArray(FLOATS, dy, dt + at, m);
            if (relu) {
                g = g.blend(0f, d.fma(FloatVector.fromArray(FLOATS, f.scale(), at),
                        FloatVector.fromArray(FLOATS, f.shift(), at)).compare(VectorOperators.LE, 0f));
            }
            FloatVector.fromArray(FLOATS, sumG, at).lanewise(VectorOperators.ADD, g, m).intoArray(sumG, at);
            FloatVector w = FloatVector.fromArray(FLOATS, sumVG, at);
            w.blend(d.fma(g, w), m).intoArray(sumVG, at);
        }
    }

    private static void sum4(float[] x, int xBase, float[] dy, int dyBase, int period, int periods, int off,
                             AffineParams f, boolean relu, float[] sumG, float[] sumVG) {
        float[] low = f.centerLow();
        FloatVector c0 = FloatVector.fromArray(FLOATS, f.center(), off);
        FloatVector c1 = FloatVector.fromArray(FLOATS, f.center(), off + LANES);
        FloatVector c2 = FloatVector.fromArray(FLOATS, f.center(), off + 2 * LANES);
        FloatVector c3 = FloatVector.fromArray(FLOATS, f.center(), off + 3 * LANES);
        FloatVector l0 = FloatVector.fromArray(FLOATS, low, off);
        FloatVector l1 = FloatVector.fromArray(FLOATS, low, off + LANES);
        FloatVector l2 = FloatVector.fromArray(FLOATS, low, off + 2 * LANES);
        FloatVector l3 = FloatVector.fromArray(FLOATS, low, off + 3 * LANES);
        float[] scale = f.scale();
        float[] shift = f.shift();
        FloatVector g0 = FloatVector.zero(FLOATS);
        FloatVector g1 = FloatVector.zero(FLOATS);
        FloatVector g2 = FloatVector.zero(FLOATS);
        FloatVector g3 = FloatVector.zero(FLOATS);
        FloatVector w0 = FloatVector.zero(FLOATS);
        FloatVector w1 = FloatVector.zero(FLOATS);
        FloatVector w2 = FloatVector.zero(FLOATS);
        FloatVector w3 = FloatVector.zero(FLOATS);
        for (int j = 0, i = xBase + off, k = dyBase + off; j < periods; j++, i += period, k += period) {
            FloatVector v0 = FloatVector.fromArray(FLOATS, x, i).sub(c0);
            FloatVector v1 = FloatVector.fromArray(FLOATS, x, i + LANES).sub(c1);
            FloatVector v2 = FloatVector.fromArray(FLOATS, x, i + 2 * LANES).sub(c2);
            FloatVector v3 = FloatVector.fromArray(FLOATS, x, i + 3 * LANES).sub(c3);
            v0 = v0.sub(l0);
            v1 = v1.sub(l1);
            v2 = v2.sub(l2);
            v3 = v3.sub(l3);
            FloatVector d0 = FloatVector.fromArray(FLOATS, dy, k);
            FloatVector d1 = FloatVector.fromArray(FLOATS, dy, k + LANES);
            FloatVector d2 = FloatVector.fromArray(FLOATS, dy, k + 2 * LANES);
            FloatVector d3 = FloatVector.fromArray(FLOATS, dy, k + 3 * LANES);
            if (relu) {
                // The map's scale and shift loaded here, not held in registers across the loop: the loop without
                // ReLU then has registers to spare whatever C2's profile of this branch (see corrected4).
                d0 = d0.blend(0f, v0.fma(FloatVector.fromArray(FLOATS, scale, off),
                        FloatVector.fromArray(FLOATS, shift, off)).compare(VectorOperators.LE, 0f));
                d1 = d1.blend(0f, v1.fma(FloatVector.fromArray(FLOATS, scale, off + LANES),
                        FloatVector.fromArray(FLOATS, shift, off + LANES)).compare(VectorOperators.LE, 0f));
                d2 = d2.blend(0f, v2.fma(FloatVector.fromArray(FLOATS, scale, off + 2 * LANES),
                        FloatVector.fromArray(FLOATS, shift, off + 2 * LANES)).compare(VectorOperators.LE, 0f));
                d3 = d3.blend(0f, v3.fma(FloatVector.fromArray(FLOATS, scale, off + 3 * LANES),
                        FloatVector.fromArray(FLOATS, shift, off + 3 * LANES)).compare(VectorOperators.LE, 0f));
            }
            g0 = g0.add(d0);
            g1 = g1.add(d1);
            g2 = g2.add(d2);
            g3 = g3.add(d3);
            w0 = v0.fma(d0, w0);
            w1 = v1.fma(d1, w1);
            w2 = v2.fma(d2, w2);
            w3 = v3.fma(d3, w3);
        }
        g0.intoArray(sumG, off);
        g1.intoArray(sumG, off + LANES);
        g2.intoArray(sumG, off + 2 * LANES);
        g3.intoArray(sumG, off + 3 * LANES);
        w0.intoArray(sumVG, off);
        w1.intoArray(sumVG, off + LANES);
        w2.intoArray(sumVG, off + 2 * LANES);
        w3.intoArray(sumVG, off + 3 * LANES);
    }

    /**
     * Like {@link #sum4} for one vector at {@code off}: a whole vector's position or, for the period's last positions
     * when it is not whole vectors, {@link Lanes#lastOffset}'s (a period is at least a vector). The lanes below those
     * positions sum again the values of the vectors before, the same operations in the same order, and store the sums
     * those stored: no mask.
     */
    private static void sum1(float[] x, int xBase, float[] dy, int dyBase, int period, int periods, int off,
                             AffineParams f, boolean relu, float[] sumG, float[] sumVG) {
        FloatVector c = FloatVector.fromArray(FLOATS, f.center(), off);
        FloatVector l = FloatVector.fromArray(FLOATS, f.centerLow(), off);
        FloatVector s = FloatVector.fromArray(FLOATS, f.scale(), off);
        FloatVector b = FloatVector.fromArray(FLOATS, f.shift(), off);
        FloatVector g = FloatVector.zero(FLOATS);
        FloatVector w = FloatVector.zero(FLOATS);
        for (int j = 0, i = xBase + off, k = dyBase + off; j < periods; j++, i += period, k += period) {
            FloatVector v = FloatVector.fromArray(FLOATS, x, i).sub(c);
            v = v.sub(l);
            FloatVector d = FloatVector.fromArray(FLOATS, dy, k);
            if (relu) {
                d = d.blend(0f, v.fma(s, b).compare(VectorOperators.LE, 0f));
            }
            g = g.add(d);
            w = v.fma(d, w);
        }
        g.intoArray(sumG, off);
        w.intoArray(sumVG, off);
    }

    /**
     * {@code dx = fma(g, s, fma(v, e, o))} in a training step, {@code g·s} for frozen statistics; in chunks of x that
     * stay in L1 while each group of four vectors walks them. Each case has loops of its own: a vector that one path
     * computes and another takes from elsewhere (x read or not, corrected or not) meets the other at a merge that C2
     * may box, which allocated a vector per row.
     */
    static void inputGradient(float[] x, int xOffset, float[] dy, int dyOffset, float[] dx, int dxOffset, int rows,
                              AffineParams f, GradientParams correction, boolean relu) {
        int n = rows * f.channels();
        int period = f.period();
        int full = period / LANES;
        int periods = n / period;
        int chunk = Math.max(1, CHUNK_FLOATS / period);
        for (int k0 = 0; k0 < periods; k0 += chunk) {
            int k1 = Math.min(periods, k0 + chunk);
            int v = 0;
            for (; v + 4 <= full; v += 4) {
                if (correction != null) {
                    corrected4(x, xOffset, dy, dyOffset, dx, dxOffset, period, k0, k1, v * LANES, f, correction, relu);
                } else if (relu) {
                    masked4(x, xOffset, dy, dyOffset, dx, dxOffset, period, k0, k1, v * LANES, f);
                } else {
                    scaled4(dy, dyOffset, dx, dxOffset, period, k0, k1, v * LANES, f);
                }
            }
            for (; v * LANES < period; v++) {
                inputLanes(x, xOffset, dy, dyOffset, dx, dxOffset, period, k0, k1, Lanes.vectorAt(v * LANES, period),
                        v * LANES, period, f, correction, relu);
            }
        }
        // The last, partial period: one vector per position, as far as the data go.
        int i = periods * period;
        boolean readsX = correction != null || relu;
        boolean pastEnd = (readsX && Lanes.pastEnd(x, xOffset + i)) || Lanes.pastEnd(dy, dyOffset + i)
                || Lanes.pastEnd(dx, dxOffset + i);
        if (n - i > 0 && n - i < LANES && pastEnd) {
            // Its vector from its start would reach past an array's end: the same vector on copies (Lanes.pastEnd),
            // dx written over x's copy, each lane after its reads.
            float[][] runs = Lanes.shortRuns();
            if (readsX) {
                System.arraycopy(x, xOffset + i, runs[0], 0, n - i);
            }
            System.arraycopy(dy, dyOffset + i, runs[1], 0, n - i);
            inputLanes(runs[0], 0, runs[1], 0, runs[0], 0, period, 0, 1, 0, 0, n - i, f, correction, relu);
            System.arraycopy(runs[0], 0, dx, dxOffset + i, n - i);
            return;
        }
        for (int off = 0; off < n - i; off += LANES) {
            inputLanes(x, xOffset + i, dy, dyOffset + i, dx, dxOffset + i, period, 0, 1, Lanes.vectorAt(off, n - i),
                    off, n - i, f, correction, relu);
        }
    }

    /**
     * The positions from {@code first} to the next vector's end or {@code end}, in the vector at {@code off}
     * ({@code first}, or {@link Lanes#lastOffset} for the last positions), for each case.
     */
    private static void inputLanes(float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo, int period, int k0,
                                   int k1, int off, int first, int end, AffineParams f, GradientParams k,
                                   boolean relu) {
        if (k != null) {
            correctedMasked(x, xo, dy, dyo, dx, dxo, period, k0, k1, off, first, end, f, k, relu);
        } else if (relu) {
            maskedMasked(x, xo, dy, dyo, dx, dxo, period, k0, k1, off, first, end, f);
        } else {
            scaledMasked(dy, dyo, dx, dxo, period, k0, k1, off, first, end, f);
        }
    }

    /** A training step: {@code dx = fma(g, s, fma(v, e, o))}, g masked by ReLU if fused. */
    private static void corrected4(float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo, int period, int k0,
                                   int k1, int off, AffineParams f, GradientParams k, boolean relu) {
        float[] low = f.centerLow();
        FloatVector c0 = FloatVector.fromArray(FLOATS, f.center(), off);
        FloatVector c1 = FloatVector.fromArray(FLOATS, f.center(), off + LANES);
        FloatVector c2 = FloatVector.fromArray(FLOATS, f.center(), off + 2 * LANES);
        FloatVector c3 = FloatVector.fromArray(FLOATS, f.center(), off + 3 * LANES);
        FloatVector l0 = FloatVector.fromArray(FLOATS, low, off);
        FloatVector l1 = FloatVector.fromArray(FLOATS, low, off + LANES);
        FloatVector l2 = FloatVector.fromArray(FLOATS, low, off + 2 * LANES);
        FloatVector l3 = FloatVector.fromArray(FLOATS, low, off + 3 * LANES);
        FloatVector s0 = FloatVector.fromArray(FLOATS, f.scale(), off);
        FloatVector s1 = FloatVector.fromArray(FLOATS, f.scale(), off + LANES);
        FloatVector s2 = FloatVector.fromArray(FLOATS, f.scale(), off + 2 * LANES);
        FloatVector s3 = FloatVector.fromArray(FLOATS, f.scale(), off + 3 * LANES);
        float[] shift = f.shift();
        FloatVector e0 = FloatVector.fromArray(FLOATS, k.deviationScale(), off);
        FloatVector e1 = FloatVector.fromArray(FLOATS, k.deviationScale(), off + LANES);
        FloatVector e2 = FloatVector.fromArray(FLOATS, k.deviationScale(), off + 2 * LANES);
        FloatVector e3 = FloatVector.fromArray(FLOATS, k.deviationScale(), off + 3 * LANES);
        FloatVector o0 = FloatVector.fromArray(FLOATS, k.offset(), off);
        FloatVector o1 = FloatVector.fromArray(FLOATS, k.offset(), off + LANES);
        FloatVector o2 = FloatVector.fromArray(FLOATS, k.offset(), off + 2 * LANES);
        FloatVector o3 = FloatVector.fromArray(FLOATS, k.offset(), off + 3 * LANES);
        for (int j = k0, i = k0 * period + off; j < k1; j++, i += period) {
            FloatVector v0 = FloatVector.fromArray(FLOATS, x, xo + i).sub(c0);
            FloatVector v1 = FloatVector.fromArray(FLOATS, x, xo + i + LANES).sub(c1);
            FloatVector v2 = FloatVector.fromArray(FLOATS, x, xo + i + 2 * LANES).sub(c2);
            FloatVector v3 = FloatVector.fromArray(FLOATS, x, xo + i + 3 * LANES).sub(c3);
            v0 = v0.sub(l0);
            v1 = v1.sub(l1);
            v2 = v2.sub(l2);
            v3 = v3.sub(l3);
            FloatVector g0 = FloatVector.fromArray(FLOATS, dy, dyo + i);
            FloatVector g1 = FloatVector.fromArray(FLOATS, dy, dyo + i + LANES);
            FloatVector g2 = FloatVector.fromArray(FLOATS, dy, dyo + i + 2 * LANES);
            FloatVector g3 = FloatVector.fromArray(FLOATS, dy, dyo + i + 3 * LANES);
            if (relu) {
                // The shift loaded here, not held in registers across the loop: 24 parameter vectors and 8 of the
                // step's fill AVX-512's 32 registers, and where the workout had made this branch warm (half its calls)
                // C2 kept all four shifts live in the loop without ReLU too, which spilled (by the timings): a step
                // on 1x14x14x256 took 1.25x as long in about half the JVMs (design log, 2026-12-06).
                g0 = g0.blend(0f, v0.fma(s0, FloatVector.fromArray(FLOATS, shift, off))
                        .compare(VectorOperators.LE, 0f));
                g1 = g1.blend(0f, v1.fma(s1, FloatVector.fromArray(FLOATS, shift, off + LANES))
                        .compare(VectorOperators.LE, 0f));
                g2 = g2.blend(0f, v2.fma(s2, FloatVector.fromArray(FLOATS, shift, off + 2 * LANES))
                        .compare(VectorOperators.LE, 0f));
                g3 = g3.blend(0f, v3.fma(s3, FloatVector.fromArray(FLOATS, shift, off + 3 * LANES))
                        .compare(VectorOperators.LE, 0f));
            }
            g0.fma(s0, v0.fma(e0, o0)).intoArray(dx, dxo + i);
            g1.fma(s1, v1.fma(e1, o1)).intoArray(dx, dxo + i + LANES);
            g2.fma(s2, v2.fma(e2, o2)).intoArray(dx, dxo + i + 2 * LANES);
            g3.fma(s3, v3.fma(e3, o3)).intoArray(dx, dxo + i + 3 * LANES);
        }
    }

    /** Frozen statistics with a fused ReLU: {@code dx = g·s}, g masked where the forward output was ≤ 0. */
    private static void masked4(float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo, int period, int k0,
                                int k1, int off, AffineParams f) {
        float[] low = f.centerLow();
        FloatVector c0 = FloatVector.fromArray(FLOATS, f.center(), off);
        FloatVector c1 = FloatVector.fromArray(FLOATS, f.center(), off + LANES);
        FloatVector c2 = FloatVector.fromArray(FLOATS, f.center(), off + 2 * LANES);
        FloatVector c3 = FloatVector.fromArray(FLOATS, f.center(), off + 3 * LANES);
        FloatVector l0 = FloatVector.fromArray(FLOATS, low, off);
        FloatVector l1 = FloatVector.fromArray(FLOATS, low, off + LANES);
        FloatVector l2 = FloatVector.fromArray(FLOATS, low, off + 2 * LANES);
        FloatVector l3 = FloatVector.fromArray(FLOATS, low, off + 3 * LANES);
        FloatVector s0 = FloatVector.fromArray(FLOATS, f.scale(), off);
        FloatVector s1 = FloatVector.fromArray(FLOATS, f.scale(), off + LANES);
        FloatVector s2 = FloatVector.fromArray(FLOATS, f.scale(), off + 2 * LANES);
        FloatVector s3 = FloatVector.fromArray(FLOATS, f.scale(), off + 3 * LANES);
        FloatVector b0 = FloatVector.fromArray(FLOATS, f.shift(), off);
        FloatVector b1 = FloatVector.fromArray(FLOATS, f.shift(), off + LANES);
        FloatVector b2 = FloatVector.fromArray(FLOATS, f.shift(), off + 2 * LANES);
        FloatVector b3 = FloatVector.fromArray(FLOATS, f.shift(), off + 3 * LANES);
        for (int j = k0, i = k0 * period + off; j < k1; j++, i += period) {
            FloatVector v0 = FloatVector.fromArray(FLOATS, x, xo + i).sub(c0);
            FloatVector v1 = FloatVector.fromArray(FLOATS, x, xo + i + LANES).sub(c1);
            FloatVector v2 = FloatVector.fromArray(FLOATS, x, xo + i + 2 * LANES).sub(c2);
            FloatVector v3 = FloatVector.fromArray(FLOATS, x, xo + i + 3 * LANES).sub(c3);
            v0 = v0.sub(l0);
            v1 = v1.sub(l1);
            v2 = v2.sub(l2);
            v3 = v3.sub(l3);
            FloatVector.fromArray(FLOATS, dy, dyo + i).blend(0f, v0.fma(s0, b0).compare(VectorOperators.LE, 0f))
                    .mul(s0).intoArray(dx, dxo + i);
            FloatVector.fromArray(FLOATS, dy, dyo + i + LANES)
                    .blend(0f, v1.fma(s1, b1).compare(VectorOperators.LE, 0f)).mul(s1).intoArray(dx, dxo + i + LANES);
            FloatVector.fromArray(FLOATS, dy, dyo + i + 2 * LANES)
                    .blend(0f, v2.fma(s2, b2).compare(VectorOperators.LE, 0f)).mul(s2)
                    .intoArray(dx, dxo + i + 2 * LANES);
            FloatVector.fromArray(FLOATS, dy, dyo + i + 3 * LANES)
                    .blend(0f, v3.fma(s3, b3).compare(VectorOperators.LE, 0f)).mul(s3)
                    .intoArray(dx, dxo + i + 3 * LANES);
        }
    }

    /** Frozen statistics without ReLU: {@code dx = dy·s}; x is not read. */
    private static void scaled4(float[] dy, int dyo, float[] dx, int dxo, int period, int k0, int k1, int off,
                                AffineParams f) {
        FloatVector s0 = FloatVector.fromArray(FLOATS, f.scale(), off);
        FloatVector s1 = FloatVector.fromArray(FLOATS, f.scale(), off + LANES);
        FloatVector s2 = FloatVector.fromArray(FLOATS, f.scale(), off + 2 * LANES);
        FloatVector s3 = FloatVector.fromArray(FLOATS, f.scale(), off + 3 * LANES);
        for (int j = k0, i = k0 * period + off; j < k1; j++, i += period) {
            FloatVector.fromArray(FLOATS, dy, dyo + i).mul(s0).intoArray(dx, dxo + i);
            FloatVector.fromArray(FLOATS, dy, dyo + i + LANES).mul(s1).intoArray(dx, dxo + i + LANES);
            FloatVector.fromArray(FLOATS, dy, dyo + i + 2 * LANES).mul(s2).intoArray(dx, dxo + i + 2 * LANES);
            FloatVector.fromArray(FLOATS, dy, dyo + i + 3 * LANES).mul(s3).intoArray(dx, dxo + i + 3 * LANES);
        }
    }

    /** Like {@link #corrected4} for the positions from {@code first} to the next vector's end or {@code end}. */
    private static void correctedMasked(float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo, int period,
                                        int k0, int k1, int off, int first, int end, AffineParams f, GradientParams k,
                                        boolean relu) {
        VectorMask<Float> m = FLOATS.indexInRange(0, end - off).and(FLOATS.indexInRange(0, first - off).not());
        FloatVector c = FloatVector.fromArray(FLOATS, f.center(), off);
        FloatVector l = FloatVector.fromArray(FLOATS, f.centerLow(), off);
        FloatVector s = FloatVector.fromArray(FLOATS, f.scale(), off);
        FloatVector b = FloatVector.fromArray(FLOATS, f.shift(), off);
        FloatVector e = FloatVector.fromArray(FLOATS, k.deviationScale(), off);
        FloatVector o = FloatVector.fromArray(FLOATS, k.offset(), off);
        for (int j = k0, i = k0 * period + off; j < k1; j++, i += period) {
            FloatVector v = FloatVector.fromArray(FLOATS, x, xo + i, m).sub(c);
            v = v.sub(l);
            FloatVector g = FloatVector.fromArray(FLOATS, dy, dyo + i, m);
            if (relu) {
                g = g.blend(0f, v.fma(s, b).compare(VectorOperators.LE, 0f));
            }
            g.fma(s, v.fma(e, o)).intoArray(dx, dxo + i, m);
        }
    }

    /** Like {@link #masked4} for the positions from {@code first} to the next vector's end or {@code end}. */
    private static void maskedMasked(float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo, int period, int k0,
                                     int k1, int off, int first, int end, AffineParams f) {
        VectorMask<Float> m = FLOATS.indexInRange(0, end - off).and(FLOATS.indexInRange(0, first - off).not());
        FloatVector c = FloatVector.fromArray(FLOATS, f.center(), off);
        FloatVector l = FloatVector.fromArray(FLOATS, f.centerLow(), off);
        FloatVector s = FloatVector.fromArray(FLOATS, f.scale(), off);
        FloatVector b = FloatVector.fromArray(FLOATS, f.shift(), off);
        for (int j = k0, i = k0 * period + off; j < k1; j++, i += period) {
            FloatVector v = FloatVector.fromArray(FLOATS, x, xo + i, m).sub(c);
            v = v.sub(l);
            FloatVector.fromArray(FLOATS, dy, dyo + i, m).blend(0f, v.fma(s, b).compare(VectorOperators.LE, 0f))
                    .mul(s).intoArray(dx, dxo + i, m);
        }
    }

    /** Like {@link #scaled4} for the positions from {@code first} to the next vector's end or {@code end}. */
    private static void scaledMasked(float[] dy, int dyo, float[] dx, int dxo, int period, int k0, int k1, int off,
                                     int first, int end, AffineParams f) {
        VectorMask<Float> m = FLOATS.indexInRange(0, end - off).and(FLOATS.indexInRange(0, first - off).not());
        FloatVector s = FloatVector.fromArray(FLOATS, f.scale(), off);
        for (int j = k0, i = k0 * period + off; j < k1; j++, i += period) {
            FloatVector.fromArray(FLOATS, dy, dyo + i, m).mul(s).intoArray(dx, dxo + i, m);
        }
    }
}
