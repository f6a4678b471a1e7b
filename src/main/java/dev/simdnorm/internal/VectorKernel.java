package dev.simdnorm.internal;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API kernel; the only class that imports {@code jdk.incubator.vector}. Loaded by name, and only after
 * {@link KernelProvider} has checked that the module is readable.
 *
 * <p>It walks the tensor in the periods of {@link Layout}, in which each lane always holds the same channel, so the
 * per-channel parameters (normalize) and the per-position accumulators (statistics) are plain vectors. How a loop
 * walks them is chosen by what C2 makes of it: in a loop whose stride is not a compile-time constant it keeps bounds
 * checks and spills counters to the stack (jmh/results/asm, from -XX:+PrintAssembly):
 * <ul>
 *   <li>normalize over a period of exactly three or four vectors (C = 1, 3, 16, 64, … at 16 lanes), and statistics
 *       over one of four, walk x linearly with the constant stride 3L or 4L, parameters or accumulators in
 *       registers; so do statistics over twelve vectors whose centres repeat every three (C = 3, 6, 12, 24, 48 at
 *       16 lanes: 24 accumulators and 3 centres in the 32 registers of AVX-512);</li>
 *   <li>longer periods go in groups of four vectors whose parameters or accumulators stay in registers while the
 *       group walks every period of the block (statistics, whose second pass re-reads the block from cache) or of
 *       x when x fits in L1 (normalize);</li>
 *   <li>normalize over more of x walks it in memory order, a period at a time, its parameters reloaded from L1.</li>
 * </ul>
 * Every lane does what {@link ScalarKernel} does for that position, in the same order: the two agree bit for bit.
 *
 * <p>Vectors and masks are not passed between the loop methods (that would box them); flags are, and the loops branch
 * on them, which C2 hoists out of the loop. The helpers that take vectors ({@code relu}, {@code gradient},
 * {@code inputGradient}) are a few bytes of bytecode that C2 always inlines; JMH's {@code -prof gc} shows 0 B/op for
 * inference.
 */
public final class VectorKernel implements Kernel, KernelProvider.VectorWidth {

    /** The float species, chosen once so that C2 sees a constant. */
    static final VectorSpecies<Float> S = species(bits(System.getProperty(KernelProvider.BITS_PROPERTY)));
    private static final int L = S.length();
    /** Doubles of the same width, for the per-channel steps of statistics, and the floats that widen into them. */
    private static final VectorSpecies<Double> D = VectorSpecies.of(double.class, S.vectorShape());
    private static final VectorSpecies<Float> HALF =
            VectorSpecies.of(float.class, VectorShape.forBitSize(S.vectorBitSize() / 2));
    private static final int DL = D.length();
    /**
     * Floats of x that stay in L1 while every group of vectors walks them: normalize walks up to this many in groups
     * that keep their parameters in registers (beyond it, x in memory order), and the backward pass walks its chunks
     * of this size that way.
     */
    private static final int CHUNK_FLOATS = 8192;

    private static final VectorKernel INSTANCE = new VectorKernel();

    private VectorKernel() {
    }

    /**
     * The kernel, for {@link KernelProvider}.
     *
     * @param bits the forced width, or null for the preferred species; must match how {@link #S} was chosen
     * @return the kernel
     */
    public static VectorKernel create(Integer bits) {
        if (bits != null && bits != S.vectorBitSize()) {
            throw new IllegalStateException("species already fixed at " + S.vectorBitSize() + " bits");
        }
        return INSTANCE;
    }

    private static Integer bits(String property) {
        try {
            return property == null ? null : Integer.valueOf(property.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "-D" + KernelProvider.BITS_PROPERTY + " must be 128, 256 or 512, got " + property);
        }
    }

    private static VectorSpecies<Float> species(Integer bits) {
        if (bits == null) {
            // Layout assumes at most 16 lanes; wider hardware (SVE) runs 512-bit vectors.
            return FloatVector.SPECIES_PREFERRED.length() <= Layout.WIDTH
                    ? FloatVector.SPECIES_PREFERRED : FloatVector.SPECIES_512;
        }
        return switch (bits) {
            case 128 -> FloatVector.SPECIES_128;
            case 256 -> FloatVector.SPECIES_256;
            case 512 -> FloatVector.SPECIES_512;
            default -> throw new IllegalArgumentException(
                    "-D" + KernelProvider.BITS_PROPERTY + " must be 128, 256 or 512, got " + bits);
        };
    }

    @Override
    public String name() {
        return "vector";
    }

    @Override
    public int vectorBits() {
        return S.vectorBitSize();
    }

    /** Repeats {@code perChannel} over a period, padded with zeros to whole vectors. */
    private static float[] layOut(float[] perChannel, int channels, int period) {
        return Layout.layOut(perChannel, channels, period, Layout.padded(period));
    }

    // ---------------------------------------------------------------------------------------------- normalize

    @Override
    public AffineParams prepare(int channels, float[] center, float[] centerLo, float[] scale, float[] shift) {
        int p = Layout.statisticsPeriod(channels);
        return new AffineParams(channels, layOut(center, channels, p),
                centerLo != null ? layOut(centerLo, channels, p) : null, layOut(scale, channels, p),
                layOut(shift, channels, p));
    }

    @Override
    public void normalize(float[] x, int xOffset, float[] y, int yOffset, int rows, AffineParams p, boolean relu) {
        int channels = p.channels();
        int n = rows * channels;
        if (Layout.period(channels) == 3 * L) {
            // Three distinct vectors (C = 3, 6, 12, 24, 48 at 16 lanes): all in registers, one pass, no chunks.
            int period = 3 * L;
            int periods = n / period;
            normalize3(x, xOffset, y, yOffset, periods * period, p, relu);
            for (int i = periods * period, off = 0; off < n - i; off += L) {
                normalizeMasked(x, xOffset + i, y, yOffset + i, period, 0, 1, off, Math.min(L, n - i - off), p,
                        relu);
            }
            return;
        }
        int period = Layout.statisticsPeriod(channels);
        int periods = n / period;
        if (period == 4 * L) {
            // One group of four vectors: a single linear walk whose stride C2 sees as a constant.
            normalizeLinear4(x, xOffset, y, yOffset, periods * period, p, relu);
            for (int i = periods * period, off = 0; off < n - i; off += L) {
                normalizeMasked(x, xOffset + i, y, yOffset + i, period, 0, 1, off, Math.min(L, n - i - off), p,
                        relu);
            }
            return;
        }
        if (n > CHUNK_FLOATS) {
            // Data that stream from L2 or memory: walk them in order, the parameters reloaded from L1.
            normalizeRows(x, xOffset, y, yOffset, periods, period, p, relu);
        } else {
            // Data in L1: groups of four vectors, their parameters in registers, walk the periods.
            normalizeGroups(x, xOffset, y, yOffset, periods, period, p, relu);
        }
        // The last, partial period: one masked vector per position, as far as the data go.
        for (int i = periods * period, off = 0; off < n - i; off += L) {
            normalizeMasked(x, xOffset + i, y, yOffset + i, period, 0, 1, off, Math.min(L, n - i - off), p, relu);
        }
    }

    /** Whole periods in L1: each group of four vectors keeps its parameters in registers while it walks them. */
    private static void normalizeGroups(float[] x, int xOffset, float[] y, int yOffset, int periods, int period,
                                        AffineParams p, boolean relu) {
        int full = period / L;
        int v = 0;
        for (; v + 4 <= full; v += 4) {
            normalize4(x, xOffset, y, yOffset, period, 0, periods, v * L, p, relu);
        }
        for (; v < full; v++) {
            normalize1(x, xOffset, y, yOffset, period, 0, periods, v * L, p, relu);
        }
        if (period % L != 0) {
            normalizeMasked(x, xOffset, y, yOffset, period, 0, periods, full * L, period % L, p, relu);
        }
    }

    /**
     * Whole periods longer than four vectors, one period at a time, in memory order, the parameters read from L1 for
     * every vector; the inner loop's constant stride L lets C2 drop its range checks and unroll it.
     */
    private static void normalizeRows(float[] x, int xo, float[] y, int yo, int periods, int period, AffineParams p,
                                      boolean relu) {
        boolean hasLo = p.centerLo() != null;
        float[] center = p.center();
        float[] lo = hasLo ? p.centerLo() : center;
        float[] scale = p.scale();
        float[] shift = p.shift();
        int whole = period / L * L;
        int rest = period - whole;
        VectorMask<Float> m = S.indexInRange(0, rest);
        for (int k = 0, base = 0; k < periods; k++, base += period) {
            int xb = xo + base;
            int yb = yo + base;
            for (int v = 0; v < whole; v += L) {
                FloatVector t = FloatVector.fromArray(S, x, xb + v).sub(FloatVector.fromArray(S, center, v));
                if (hasLo) {
                    t = t.sub(FloatVector.fromArray(S, lo, v));
                }
                relu(t.fma(FloatVector.fromArray(S, scale, v), FloatVector.fromArray(S, shift, v)), relu)
                        .intoArray(y, yb + v);
            }
            if (rest != 0) {
                FloatVector t = FloatVector.fromArray(S, x, xb + whole, m).sub(FloatVector.fromArray(S, center, whole));
                if (hasLo) {
                    t = t.sub(FloatVector.fromArray(S, lo, whole));
                }
                relu(t.fma(FloatVector.fromArray(S, scale, whole), FloatVector.fromArray(S, shift, whole)), relu)
                        .intoArray(y, yb + whole, m);
            }
        }
    }

    /**
     * ReLU as TensorFlow's {@code std::max(t, 0)}: {@code t < 0 ? 0 : t}, so NaN stays NaN and −0 stays −0 (the
     * scalar kernel does the same).
     */
    private static FloatVector relu(FloatVector t, boolean relu) {
        return relu ? t.blend(0f, t.lt(0f)) : t;
    }

    /**
     * Normalize over {@code n} floats whose period is exactly four vectors, their parameters in registers, with the
     * constant stride 4L: C2 then drops the loop's range checks and unrolls it, which a variable stride prevents
     * (measured 1.5× faster from L2, C = 64).
     */
    private static void normalizeLinear4(float[] x, int xo, float[] y, int yo, int n, AffineParams p, boolean relu) {
        boolean hasLo = p.centerLo() != null;
        float[] lo = hasLo ? p.centerLo() : p.center();
        FloatVector c0 = FloatVector.fromArray(S, p.center(), 0);
        FloatVector c1 = FloatVector.fromArray(S, p.center(), L);
        FloatVector c2 = FloatVector.fromArray(S, p.center(), 2 * L);
        FloatVector c3 = FloatVector.fromArray(S, p.center(), 3 * L);
        FloatVector l0 = FloatVector.fromArray(S, lo, 0);
        FloatVector l1 = FloatVector.fromArray(S, lo, L);
        FloatVector l2 = FloatVector.fromArray(S, lo, 2 * L);
        FloatVector l3 = FloatVector.fromArray(S, lo, 3 * L);
        FloatVector s0 = FloatVector.fromArray(S, p.scale(), 0);
        FloatVector s1 = FloatVector.fromArray(S, p.scale(), L);
        FloatVector s2 = FloatVector.fromArray(S, p.scale(), 2 * L);
        FloatVector s3 = FloatVector.fromArray(S, p.scale(), 3 * L);
        FloatVector b0 = FloatVector.fromArray(S, p.shift(), 0);
        FloatVector b1 = FloatVector.fromArray(S, p.shift(), L);
        FloatVector b2 = FloatVector.fromArray(S, p.shift(), 2 * L);
        FloatVector b3 = FloatVector.fromArray(S, p.shift(), 3 * L);
        for (int i = 0; i < n; i += 4 * L) {
            FloatVector v0 = FloatVector.fromArray(S, x, xo + i).sub(c0);
            FloatVector v1 = FloatVector.fromArray(S, x, xo + i + L).sub(c1);
            FloatVector v2 = FloatVector.fromArray(S, x, xo + i + 2 * L).sub(c2);
            FloatVector v3 = FloatVector.fromArray(S, x, xo + i + 3 * L).sub(c3);
            if (hasLo) {
                v0 = v0.sub(l0);
                v1 = v1.sub(l1);
                v2 = v2.sub(l2);
                v3 = v3.sub(l3);
            }
            relu(v0.fma(s0, b0), relu).intoArray(y, yo + i);
            relu(v1.fma(s1, b1), relu).intoArray(y, yo + i + L);
            relu(v2.fma(s2, b2), relu).intoArray(y, yo + i + 2 * L);
            relu(v3.fma(s3, b3), relu).intoArray(y, yo + i + 3 * L);
        }
    }

    private static void normalize4(float[] x, int xo, float[] y, int yo, int period, int k0, int k1, int off,
                                   AffineParams p, boolean relu) {
        boolean hasLo = p.centerLo() != null;
        float[] lo = hasLo ? p.centerLo() : p.center();
        FloatVector c0 = FloatVector.fromArray(S, p.center(), off);
        FloatVector c1 = FloatVector.fromArray(S, p.center(), off + L);
        FloatVector c2 = FloatVector.fromArray(S, p.center(), off + 2 * L);
        FloatVector c3 = FloatVector.fromArray(S, p.center(), off + 3 * L);
        FloatVector l0 = FloatVector.fromArray(S, lo, off);
        FloatVector l1 = FloatVector.fromArray(S, lo, off + L);
        FloatVector l2 = FloatVector.fromArray(S, lo, off + 2 * L);
        FloatVector l3 = FloatVector.fromArray(S, lo, off + 3 * L);
        FloatVector s0 = FloatVector.fromArray(S, p.scale(), off);
        FloatVector s1 = FloatVector.fromArray(S, p.scale(), off + L);
        FloatVector s2 = FloatVector.fromArray(S, p.scale(), off + 2 * L);
        FloatVector s3 = FloatVector.fromArray(S, p.scale(), off + 3 * L);
        FloatVector b0 = FloatVector.fromArray(S, p.shift(), off);
        FloatVector b1 = FloatVector.fromArray(S, p.shift(), off + L);
        FloatVector b2 = FloatVector.fromArray(S, p.shift(), off + 2 * L);
        FloatVector b3 = FloatVector.fromArray(S, p.shift(), off + 3 * L);
        for (int k = k0, i = k0 * period + off; k < k1; k++, i += period) {
            FloatVector v0 = FloatVector.fromArray(S, x, xo + i).sub(c0);
            FloatVector v1 = FloatVector.fromArray(S, x, xo + i + L).sub(c1);
            FloatVector v2 = FloatVector.fromArray(S, x, xo + i + 2 * L).sub(c2);
            FloatVector v3 = FloatVector.fromArray(S, x, xo + i + 3 * L).sub(c3);
            if (hasLo) {
                v0 = v0.sub(l0);
                v1 = v1.sub(l1);
                v2 = v2.sub(l2);
                v3 = v3.sub(l3);
            }
            relu(v0.fma(s0, b0), relu).intoArray(y, yo + i);
            relu(v1.fma(s1, b1), relu).intoArray(y, yo + i + L);
            relu(v2.fma(s2, b2), relu).intoArray(y, yo + i + 2 * L);
            relu(v3.fma(s3, b3), relu).intoArray(y, yo + i + 3 * L);
        }
    }

    private static void normalize3(float[] x, int xo, float[] y, int yo, int n, AffineParams p, boolean relu) {
        boolean hasLo = p.centerLo() != null;
        float[] lo = hasLo ? p.centerLo() : p.center();
        FloatVector c0 = FloatVector.fromArray(S, p.center(), 0);
        FloatVector c1 = FloatVector.fromArray(S, p.center(), L);
        FloatVector c2 = FloatVector.fromArray(S, p.center(), 2 * L);
        FloatVector l0 = FloatVector.fromArray(S, lo, 0);
        FloatVector l1 = FloatVector.fromArray(S, lo, L);
        FloatVector l2 = FloatVector.fromArray(S, lo, 2 * L);
        FloatVector s0 = FloatVector.fromArray(S, p.scale(), 0);
        FloatVector s1 = FloatVector.fromArray(S, p.scale(), L);
        FloatVector s2 = FloatVector.fromArray(S, p.scale(), 2 * L);
        FloatVector b0 = FloatVector.fromArray(S, p.shift(), 0);
        FloatVector b1 = FloatVector.fromArray(S, p.shift(), L);
        FloatVector b2 = FloatVector.fromArray(S, p.shift(), 2 * L);
        for (int i = 0; i < n; i += 3 * L) {
            FloatVector v0 = FloatVector.fromArray(S, x, xo + i).sub(c0);
            FloatVector v1 = FloatVector.fromArray(S, x, xo + i + L).sub(c1);
            FloatVector v2 = FloatVector.fromArray(S, x, xo + i + 2 * L).sub(c2);
            if (hasLo) {
                v0 = v0.sub(l0);
                v1 = v1.sub(l1);
                v2 = v2.sub(l2);
            }
            relu(v0.fma(s0, b0), relu).intoArray(y, yo + i);
            relu(v1.fma(s1, b1), relu).intoArray(y, yo + i + L);
            relu(v2.fma(s2, b2), relu).intoArray(y, yo + i + 2 * L);
        }
    }

    private static void normalize1(float[] x, int xo, float[] y, int yo, int period, int k0, int k1, int off,
                                   AffineParams p, boolean relu) {
        boolean hasLo = p.centerLo() != null;
        FloatVector c = FloatVector.fromArray(S, p.center(), off);
        FloatVector l = FloatVector.fromArray(S, hasLo ? p.centerLo() : p.center(), off);
        FloatVector s = FloatVector.fromArray(S, p.scale(), off);
        FloatVector b = FloatVector.fromArray(S, p.shift(), off);
        for (int k = k0, i = k0 * period + off; k < k1; k++, i += period) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i).sub(c);
            if (hasLo) {
                v = v.sub(l);
            }
            relu(v.fma(s, b), relu).intoArray(y, yo + i);
        }
    }

    /** Like {@link #normalize1} for the first {@code lanes} lanes only. */
    private static void normalizeMasked(float[] x, int xo, float[] y, int yo, int period, int k0, int k1, int off,
                                        int lanes, AffineParams p, boolean relu) {
        VectorMask<Float> m = S.indexInRange(0, lanes);
        boolean hasLo = p.centerLo() != null;
        FloatVector c = FloatVector.fromArray(S, p.center(), off);
        FloatVector l = FloatVector.fromArray(S, hasLo ? p.centerLo() : p.center(), off);
        FloatVector s = FloatVector.fromArray(S, p.scale(), off);
        FloatVector b = FloatVector.fromArray(S, p.shift(), off);
        for (int k = k0, i = k0 * period + off; k < k1; k++, i += period) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i, m).sub(c);
            if (hasLo) {
                v = v.sub(l);
            }
            relu(v.fma(s, b), relu).intoArray(y, yo + i, m);
        }
    }

    // --------------------------------------------------------------------------------------------- statistics

    @Override
    public void moments(float[] x, int offset, int rows, int channels, double[] mean, double[] m2) {
        Statistics.moments(STATISTICS, x, offset, rows, channels, mean, m2);
    }

    /**
     * The statistics steps: the deviation sums, and the per-channel check and fold in double vectors. Done one channel
     * at a time they were 59% of a call on few rows (JFR, C = 1000 at 16 KiB: 4 rows).
     */
    private static final Statistics.Deviations STATISTICS = new Statistics.Deviations() {
        @Override
        public void sum(float[] x, int base, int period, int periods, int tail, float[] centre, float[] r,
                        float[] q) {
            sumDeviations(x, base, period, periods, tail, centre, r, q);
        }

        @Override
        public void reduce(float[] accumulators, int period, int channels, float[] out) {
            VectorKernel.reduce(accumulators, period, channels, out);
        }

        @Override
        public boolean centred(float[] r, float[] q, int channels, int n) {
            return VectorKernel.centred(r, q, channels, n);
        }

        @Override
        public void mergeBlock(long nA, double[] mean, double[] m2, int channels, int nB, float[] center,
                               float[] r1, float[] q) {
            VectorKernel.mergeBlock(nA, mean, m2, channels, nB, center, r1, q);
        }
    };

    /**
     * {@link Layout#reduce}, each halving step L positions at a time: every position gets the same single add, so
     * the sums keep every bit. One position at a time, the steps were most of a call on 16 KiB for C = 3 (189 adds
     * for each of the three reductions).
     */
    private static void reduce(float[] a, int period, int channels, float[] out) {
        for (int n = period; n > channels; n /= 2) {
            int half = n / 2;
            for (int p = 0; p < half; p += L) {
                // Writes stay below half and reads of the upper half start there: in place is safe.
                VectorMask<Float> m = S.indexInRange(p, half);
                FloatVector.fromArray(S, a, p, m).add(FloatVector.fromArray(S, a, p + half, m)).intoArray(a, p, m);
            }
        }
        System.arraycopy(a, 0, out, 0, channels);
    }

    private static DoubleVector widen(float[] a, int i) {
        return (DoubleVector) FloatVector.fromArray(HALF, a, i).convertShape(VectorOperators.F2D, D, 0);
    }

    /** {@link Statistics#centred} with the same comparisons per lane; the last channels go through it. */
    private static boolean centred(float[] r, float[] q, int channels, int n) {
        int c = 0;
        for (int end = channels - channels % DL; c < end; c += DL) {
            DoubleVector rc = widen(r, c);
            DoubleVector qn = widen(q, c).mul(n);
            VectorMask<Double> off = rc.mul(8).mul(rc).compare(VectorOperators.GT, qn)
                    .and(rc.test(VectorOperators.IS_FINITE)).and(qn.test(VectorOperators.IS_FINITE));
            if (off.anyTrue()) {
                return false;
            }
        }
        return Statistics.centred(r, q, c, channels, n);
    }

    /** {@link Chan#mergeBlock} with the same double operations per lane, in the same order; the last channels go there. */
    private static void mergeBlock(long nA, double[] mean, double[] m2, int channels, int nB, float[] center,
                                   float[] r1, float[] q) {
        double inverse = 1.0 / nB;
        int c = 0;
        int end = channels - channels % DL;
        if (nA == 0) {
            for (; c < end; c += DL) {
                DoubleVector r = widen(r1, c);
                DoubleVector offset = r.mul(inverse);
                widen(center, c).add(offset).intoArray(mean, c);
                widen(q, c).sub(r.mul(offset)).max(0.0).intoArray(m2, c);
            }
        } else {
            double w = Chan.weight(nA, nB);
            double between = nA * w;
            for (; c < end; c += DL) {
                DoubleVector r = widen(r1, c);
                DoubleVector offset = r.mul(inverse);
                DoubleVector m = DoubleVector.fromArray(D, mean, c);
                DoubleVector delta = widen(center, c).add(offset).sub(m);
                m.add(delta.mul(w)).intoArray(mean, c);
                DoubleVector within = widen(q, c).sub(r.mul(offset)).max(0.0);
                DoubleVector.fromArray(D, m2, c).add(within.add(delta.mul(delta).mul(between))).intoArray(m2, c);
            }
        }
        Chan.mergeBlock(nA, mean, m2, c, channels, nB, center, r1, q);
    }

    /** {@link Statistics.Deviations}: Σ(x − m) into {@code outR} and Σ(x − m)² (by FMA) into {@code outQ}, per lane. */
    private static void sumDeviations(float[] x, int base, int period, int periods, int tail, float[] centre,
                                      float[] outR, float[] outQ) {
        int full = period / L;
        int v = 0;
        if (period == 4 * L) {
            sumLinear4(x, base, periods * period, centre, outR, outQ);
            v = 4;
        } else if (period == 12 * L && repeatsEvery3(centre)) {
            sumLinear12(x, base, periods * period, centre, outR, outQ);
            v = 12;
        }
        for (; v + 4 <= full; v += 4) {
            int off = v * L;
            FloatVector m0 = FloatVector.fromArray(S, centre, off);
            FloatVector m1 = FloatVector.fromArray(S, centre, off + L);
            FloatVector m2 = FloatVector.fromArray(S, centre, off + 2 * L);
            FloatVector m3 = FloatVector.fromArray(S, centre, off + 3 * L);
            FloatVector r0 = FloatVector.zero(S);
            FloatVector r1 = FloatVector.zero(S);
            FloatVector r2 = FloatVector.zero(S);
            FloatVector r3 = FloatVector.zero(S);
            FloatVector q0 = FloatVector.zero(S);
            FloatVector q1 = FloatVector.zero(S);
            FloatVector q2 = FloatVector.zero(S);
            FloatVector q3 = FloatVector.zero(S);
            for (int j = 0, i = base + off; j < periods; j++, i += period) {
                FloatVector d0 = FloatVector.fromArray(S, x, i).sub(m0);
                FloatVector d1 = FloatVector.fromArray(S, x, i + L).sub(m1);
                FloatVector d2 = FloatVector.fromArray(S, x, i + 2 * L).sub(m2);
                FloatVector d3 = FloatVector.fromArray(S, x, i + 3 * L).sub(m3);
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
            r1.intoArray(outR, off + L);
            r2.intoArray(outR, off + 2 * L);
            r3.intoArray(outR, off + 3 * L);
            q0.intoArray(outQ, off);
            q1.intoArray(outQ, off + L);
            q2.intoArray(outQ, off + 2 * L);
            q3.intoArray(outQ, off + 3 * L);
        }
        for (; v < full; v++) {
            int off = v * L;
            FloatVector mv = FloatVector.fromArray(S, centre, off);
            FloatVector r = FloatVector.zero(S);
            FloatVector q = FloatVector.zero(S);
            for (int j = 0, i = base + off; j < periods; j++, i += period) {
                FloatVector d = FloatVector.fromArray(S, x, i).sub(mv);
                r = r.add(d);
                q = d.fma(d, q);
            }
            r.intoArray(outR, off);
            q.intoArray(outQ, off);
        }
        if (period % L != 0) {
            int off = full * L;
            VectorMask<Float> m = S.indexInRange(0, period % L);
            FloatVector mv = FloatVector.fromArray(S, centre, off);
            FloatVector r = FloatVector.zero(S);
            FloatVector q = FloatVector.zero(S);
            for (int j = 0, i = base + off; j < periods; j++, i += period) {
                // Masked lanes load 0 and the centre is 0 there (padding): they add 0.
                FloatVector d = FloatVector.fromArray(S, x, i, m).sub(mv);
                r = r.add(d);
                q = d.fma(d, q);
            }
            r.intoArray(outR, off);
            q.intoArray(outQ, off);
        }
        int t = base + periods * period;
        for (int off = 0; off < tail; off += L) {
            VectorMask<Float> m = S.indexInRange(off, tail);
            FloatVector d = FloatVector.fromArray(S, x, t + off, m).sub(FloatVector.fromArray(S, centre, off), m);
            FloatVector.fromArray(S, outR, off).add(d).intoArray(outR, off);
            d.fma(d, FloatVector.fromArray(S, outQ, off)).intoArray(outQ, off);
        }
    }

    /**
     * The group of {@link #sumDeviations} for a period of exactly four vectors, over {@code n} floats with the
     * constant stride 4L, so that C2 drops the range checks and unrolls the loop.
     */
    private static void sumLinear4(float[] x, int base, int n, float[] centre, float[] outR, float[] outQ) {
        FloatVector m0 = FloatVector.fromArray(S, centre, 0);
        FloatVector m1 = FloatVector.fromArray(S, centre, L);
        FloatVector m2 = FloatVector.fromArray(S, centre, 2 * L);
        FloatVector m3 = FloatVector.fromArray(S, centre, 3 * L);
        FloatVector r0 = FloatVector.zero(S);
        FloatVector r1 = FloatVector.zero(S);
        FloatVector r2 = FloatVector.zero(S);
        FloatVector r3 = FloatVector.zero(S);
        FloatVector q0 = FloatVector.zero(S);
        FloatVector q1 = FloatVector.zero(S);
        FloatVector q2 = FloatVector.zero(S);
        FloatVector q3 = FloatVector.zero(S);
        for (int i = 0; i < n; i += 4 * L) {
            FloatVector d0 = FloatVector.fromArray(S, x, base + i).sub(m0);
            FloatVector d1 = FloatVector.fromArray(S, x, base + i + L).sub(m1);
            FloatVector d2 = FloatVector.fromArray(S, x, base + i + 2 * L).sub(m2);
            FloatVector d3 = FloatVector.fromArray(S, x, base + i + 3 * L).sub(m3);
            r0 = r0.add(d0);
            r1 = r1.add(d1);
            r2 = r2.add(d2);
            r3 = r3.add(d3);
            q0 = d0.fma(d0, q0);
            q1 = d1.fma(d1, q1);
            q2 = d2.fma(d2, q2);
            q3 = d3.fma(d3, q3);
        }
        r0.intoArray(outR, 0);
        r1.intoArray(outR, L);
        r2.intoArray(outR, 2 * L);
        r3.intoArray(outR, 3 * L);
        q0.intoArray(outQ, 0);
        q1.intoArray(outQ, L);
        q2.intoArray(outQ, 2 * L);
        q3.intoArray(outQ, 3 * L);
    }

    /**
     * Whether the centres of a twelve-vector period repeat every three vectors, bit for bit: an lcm period of three
     * vectors repeated four times (C = 3, 6, 12, 24, 48 at 16 lanes), not twelve vectors of distinct channels.
     */
    private static boolean repeatsEvery3(float[] centre) {
        for (int off = 3 * L; off < 12 * L; off += L) {
            if (!FloatVector.fromArray(S, centre, off).reinterpretAsInts()
                    .eq(FloatVector.fromArray(S, centre, off % (3 * L)).reinterpretAsInts()).allTrue()) {
                return false;
            }
        }
        return true;
    }

    /**
     * The groups of {@link #sumDeviations} for a period of twelve vectors whose centres repeat every three, over
     * {@code n} floats in one linear walk: 24 accumulators and 3 centres fit the 32 registers of AVX-512, where three
     * groups of four would each walk the block with a stride of twelve vectors.
     */
    private static void sumLinear12(float[] x, int base, int n, float[] centre, float[] outR, float[] outQ) {
        FloatVector m0 = FloatVector.fromArray(S, centre, 0);
        FloatVector m1 = FloatVector.fromArray(S, centre, L);
        FloatVector m2 = FloatVector.fromArray(S, centre, 2 * L);
        FloatVector r0 = FloatVector.zero(S), r1 = r0, r2 = r0, r3 = r0, r4 = r0, r5 = r0;
        FloatVector r6 = r0, r7 = r0, r8 = r0, r9 = r0, r10 = r0, r11 = r0;
        FloatVector q0 = r0, q1 = r0, q2 = r0, q3 = r0, q4 = r0, q5 = r0;
        FloatVector q6 = r0, q7 = r0, q8 = r0, q9 = r0, q10 = r0, q11 = r0;
        for (int i = 0; i < n; i += 12 * L) {
            int b = base + i;
            FloatVector d0 = FloatVector.fromArray(S, x, b).sub(m0);
            FloatVector d1 = FloatVector.fromArray(S, x, b + L).sub(m1);
            FloatVector d2 = FloatVector.fromArray(S, x, b + 2 * L).sub(m2);
            r0 = r0.add(d0);
            q0 = d0.fma(d0, q0);
            r1 = r1.add(d1);
            q1 = d1.fma(d1, q1);
            r2 = r2.add(d2);
            q2 = d2.fma(d2, q2);
            FloatVector d3 = FloatVector.fromArray(S, x, b + 3 * L).sub(m0);
            FloatVector d4 = FloatVector.fromArray(S, x, b + 4 * L).sub(m1);
            FloatVector d5 = FloatVector.fromArray(S, x, b + 5 * L).sub(m2);
            r3 = r3.add(d3);
            q3 = d3.fma(d3, q3);
            r4 = r4.add(d4);
            q4 = d4.fma(d4, q4);
            r5 = r5.add(d5);
            q5 = d5.fma(d5, q5);
            FloatVector d6 = FloatVector.fromArray(S, x, b + 6 * L).sub(m0);
            FloatVector d7 = FloatVector.fromArray(S, x, b + 7 * L).sub(m1);
            FloatVector d8 = FloatVector.fromArray(S, x, b + 8 * L).sub(m2);
            r6 = r6.add(d6);
            q6 = d6.fma(d6, q6);
            r7 = r7.add(d7);
            q7 = d7.fma(d7, q7);
            r8 = r8.add(d8);
            q8 = d8.fma(d8, q8);
            FloatVector d9 = FloatVector.fromArray(S, x, b + 9 * L).sub(m0);
            FloatVector d10 = FloatVector.fromArray(S, x, b + 10 * L).sub(m1);
            FloatVector d11 = FloatVector.fromArray(S, x, b + 11 * L).sub(m2);
            r9 = r9.add(d9);
            q9 = d9.fma(d9, q9);
            r10 = r10.add(d10);
            q10 = d10.fma(d10, q10);
            r11 = r11.add(d11);
            q11 = d11.fma(d11, q11);
        }
        r0.intoArray(outR, 0);
        r1.intoArray(outR, L);
        r2.intoArray(outR, 2 * L);
        r3.intoArray(outR, 3 * L);
        r4.intoArray(outR, 4 * L);
        r5.intoArray(outR, 5 * L);
        r6.intoArray(outR, 6 * L);
        r7.intoArray(outR, 7 * L);
        r8.intoArray(outR, 8 * L);
        r9.intoArray(outR, 9 * L);
        r10.intoArray(outR, 10 * L);
        r11.intoArray(outR, 11 * L);
        q0.intoArray(outQ, 0);
        q1.intoArray(outQ, L);
        q2.intoArray(outQ, 2 * L);
        q3.intoArray(outQ, 3 * L);
        q4.intoArray(outQ, 4 * L);
        q5.intoArray(outQ, 5 * L);
        q6.intoArray(outQ, 6 * L);
        q7.intoArray(outQ, 7 * L);
        q8.intoArray(outQ, 8 * L);
        q9.intoArray(outQ, 9 * L);
        q10.intoArray(outQ, 10 * L);
        q11.intoArray(outQ, 11 * L);
    }

    // ------------------------------------------------------------ NCHW: each channel is N contiguous planes

    @Override
    public void momentsNchw(float[] x, int offset, int n, int channels, int spatial, int fromChannel, int toChannel,
                            double[] mean, double[] m2) {
        PlaneStatistics.moments(VectorKernel::sumPlaneDeviations, x, offset, n, channels, spatial, fromChannel, toChannel, mean, m2);
    }

    /**
     * {@link PlaneStatistics.Deviations}: the 64 accumulators are 64/L vectors, taken four at a time; each group keeps
     * its accumulators in registers while it walks the whole periods of every run of the block, then the runs' masked
     * tails in a loop of their own (masked-off lanes add nothing), the order of {@link ScalarKernel}. Narrower species
     * walk the block, from cache, once per group.
     */
    private static void sumPlaneDeviations(float[] x, int base, int stride, int runs, int length, float centre,
                                           float[] outR, float[] outQ) {
        int full = length / PlaneStatistics.WIDTH;
        int tail = length % PlaneStatistics.WIDTH;
        int whole = full * PlaneStatistics.WIDTH;
        FloatVector c = FloatVector.broadcast(S, centre);
        for (int g = 0; g < PlaneStatistics.WIDTH; g += 4 * L) {
            FloatVector r0 = FloatVector.zero(S);
            FloatVector r1 = FloatVector.zero(S);
            FloatVector r2 = FloatVector.zero(S);
            FloatVector r3 = FloatVector.zero(S);
            FloatVector q0 = FloatVector.zero(S);
            FloatVector q1 = FloatVector.zero(S);
            FloatVector q2 = FloatVector.zero(S);
            FloatVector q3 = FloatVector.zero(S);
            for (int k = 0, b = base; k < runs; k++, b += stride) {
                for (int j = 0, i = b + g; j < full; j++, i += PlaneStatistics.WIDTH) {
                    FloatVector d0 = FloatVector.fromArray(S, x, i).sub(c);
                    FloatVector d1 = FloatVector.fromArray(S, x, i + L).sub(c);
                    FloatVector d2 = FloatVector.fromArray(S, x, i + 2 * L).sub(c);
                    FloatVector d3 = FloatVector.fromArray(S, x, i + 3 * L).sub(c);
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
            r1.intoArray(outR, g + L);
            r2.intoArray(outR, g + 2 * L);
            r3.intoArray(outR, g + 3 * L);
            q0.intoArray(outQ, g);
            q1.intoArray(outQ, g + L);
            q2.intoArray(outQ, g + 2 * L);
            q3.intoArray(outQ, g + 3 * L);
        }
        for (int off = 0; off < tail; off += L) {
            VectorMask<Float> m = S.indexInRange(off, tail);
            FloatVector r = FloatVector.fromArray(S, outR, off);
            FloatVector q = FloatVector.fromArray(S, outQ, off);
            for (int k = 0, i = base + whole + off; k < runs; k++, i += stride) {
                FloatVector d = FloatVector.fromArray(S, x, i, m).sub(c);
                r = r.add(d, m);
                q = q.blend(d.fma(d, q), m);
            }
            r.intoArray(outR, off);
            q.intoArray(outQ, off);
        }
    }

    @Override
    public void normalizeNchw(float[] x, int xOffset, float[] y, int yOffset, int n, int spatial, AffineParams p,
                              boolean relu) {
        int channels = p.channels();
        for (int k = 0, c = 0; k < n * channels; k++, c = c + 1 == channels ? 0 : c + 1) {
            normalizePlane(x, xOffset + k * spatial, y, yOffset + k * spatial, spatial, p, c, relu);
        }
    }

    /**
     * One plane of channel {@code c}: its parameters broadcast, then whole vectors and one masked. The loop carries
     * no dependency, so C2 unrolls it; unlike NHWC there are no per-lane parameters to keep in registers.
     */
    private static void normalizePlane(float[] x, int xo, float[] y, int yo, int spatial, AffineParams p, int c,
                                       boolean relu) {
        boolean hasLo = p.centerLo() != null;
        FloatVector ce = FloatVector.broadcast(S, p.center()[c]);
        FloatVector lo = FloatVector.broadcast(S, hasLo ? p.centerLo()[c] : 0f);
        FloatVector s = FloatVector.broadcast(S, p.scale()[c]);
        FloatVector b = FloatVector.broadcast(S, p.shift()[c]);
        int j = 0;
        for (; j + L <= spatial; j += L) {
            FloatVector v = FloatVector.fromArray(S, x, xo + j).sub(ce);
            if (hasLo) {
                v = v.sub(lo);
            }
            relu(v.fma(s, b), relu).intoArray(y, yo + j);
        }
        if (j < spatial) {
            VectorMask<Float> m = S.indexInRange(j, spatial);
            FloatVector v = FloatVector.fromArray(S, x, xo + j, m).sub(ce);
            if (hasLo) {
                v = v.sub(lo);
            }
            relu(v.fma(s, b), relu).intoArray(y, yo + j, m);
        }
    }


    // ----------------------------------------------------------------------------------------------- backward

    @Override
    public void gradientSums(float[] x, int xOffset, float[] dy, int dyOffset, int rows, AffineParams forward,
                             boolean relu, double[] sumDy, double[] sumDeviationDy) {
        GradientSums.sums(VectorKernel::gradientBlock, x, xOffset, dy, dyOffset, rows, forward, relu, sumDy,
                sumDeviationDy);
    }

    /**
     * The gradient that reaches the affine map: {@code dy}, or with ReLU 0 where {@code fma(v, s, b) ≤ 0} (a NaN
     * output passes dy on), as the scalar kernel.
     */
    private static FloatVector gradient(FloatVector dy, FloatVector v, FloatVector s, FloatVector b, boolean relu) {
        return relu ? dy.blend(0f, v.fma(s, b).compare(VectorOperators.LE, 0f)) : dy;
    }

    /** {@link GradientSums.BlockSums}: Σg and Σv·g (by FMA) per lane, in groups of four vectors, then the tail. */
    private static void gradientBlock(float[] x, int xBase, float[] dy, int dyBase, int period, int periods, int tail,
                                      AffineParams f, boolean relu, float[] sumG, float[] sumVG) {
        int full = period / L;
        int v = 0;
        for (; v + 4 <= full; v += 4) {
            gradientBlock4(x, xBase, dy, dyBase, period, periods, v * L, f, relu, sumG, sumVG);
        }
        for (; v * L < period; v++) {
            gradientBlockMasked(x, xBase, dy, dyBase, period, periods, v * L, Math.min(L, period - v * L), f, relu,
                    sumG, sumVG);
        }
        boolean hasLo = f.centerLo() != null;
        int xt = xBase + periods * period;
        int dt = dyBase + periods * period;
        for (int off = 0; off < tail; off += L) {
            VectorMask<Float> m = S.indexInRange(off, tail);
            // Masked lanes: x and dy load 0 and the masked subtractions keep 0, so v = g = 0 there; the masked add and
            // blend leave those positions' sums as they are.
            FloatVector d = FloatVector.fromArray(S, x, xt + off, m).sub(FloatVector.fromArray(S, f.center(), off), m);
            if (hasLo) {
                d = d.sub(FloatVector.fromArray(S, f.centerLo(), off), m);
            }
            FloatVector g = gradient(FloatVector.fromArray(S, dy, dt + off, m), d,
                    FloatVector.fromArray(S, f.scale(), off), FloatVector.fromArray(S, f.shift(), off), relu);
            FloatVector.fromArray(S, sumG, off).add(g, m).intoArray(sumG, off);
            FloatVector w = FloatVector.fromArray(S, sumVG, off);
            w.blend(d.fma(g, w), m).intoArray(sumVG, off);
        }
    }

    private static void gradientBlock4(float[] x, int xBase, float[] dy, int dyBase, int period, int periods, int off,
                                       AffineParams f, boolean relu, float[] sumG, float[] sumVG) {
        boolean hasLo = f.centerLo() != null;
        float[] lo = hasLo ? f.centerLo() : f.center();
        FloatVector c0 = FloatVector.fromArray(S, f.center(), off);
        FloatVector c1 = FloatVector.fromArray(S, f.center(), off + L);
        FloatVector c2 = FloatVector.fromArray(S, f.center(), off + 2 * L);
        FloatVector c3 = FloatVector.fromArray(S, f.center(), off + 3 * L);
        FloatVector l0 = FloatVector.fromArray(S, lo, off);
        FloatVector l1 = FloatVector.fromArray(S, lo, off + L);
        FloatVector l2 = FloatVector.fromArray(S, lo, off + 2 * L);
        FloatVector l3 = FloatVector.fromArray(S, lo, off + 3 * L);
        FloatVector s0 = FloatVector.fromArray(S, f.scale(), off);
        FloatVector s1 = FloatVector.fromArray(S, f.scale(), off + L);
        FloatVector s2 = FloatVector.fromArray(S, f.scale(), off + 2 * L);
        FloatVector s3 = FloatVector.fromArray(S, f.scale(), off + 3 * L);
        FloatVector b0 = FloatVector.fromArray(S, f.shift(), off);
        FloatVector b1 = FloatVector.fromArray(S, f.shift(), off + L);
        FloatVector b2 = FloatVector.fromArray(S, f.shift(), off + 2 * L);
        FloatVector b3 = FloatVector.fromArray(S, f.shift(), off + 3 * L);
        FloatVector g0 = FloatVector.zero(S);
        FloatVector g1 = FloatVector.zero(S);
        FloatVector g2 = FloatVector.zero(S);
        FloatVector g3 = FloatVector.zero(S);
        FloatVector w0 = FloatVector.zero(S);
        FloatVector w1 = FloatVector.zero(S);
        FloatVector w2 = FloatVector.zero(S);
        FloatVector w3 = FloatVector.zero(S);
        for (int j = 0, i = xBase + off, k = dyBase + off; j < periods; j++, i += period, k += period) {
            FloatVector v0 = FloatVector.fromArray(S, x, i).sub(c0);
            FloatVector v1 = FloatVector.fromArray(S, x, i + L).sub(c1);
            FloatVector v2 = FloatVector.fromArray(S, x, i + 2 * L).sub(c2);
            FloatVector v3 = FloatVector.fromArray(S, x, i + 3 * L).sub(c3);
            if (hasLo) {
                v0 = v0.sub(l0);
                v1 = v1.sub(l1);
                v2 = v2.sub(l2);
                v3 = v3.sub(l3);
            }
            FloatVector d0 = gradient(FloatVector.fromArray(S, dy, k), v0, s0, b0, relu);
            FloatVector d1 = gradient(FloatVector.fromArray(S, dy, k + L), v1, s1, b1, relu);
            FloatVector d2 = gradient(FloatVector.fromArray(S, dy, k + 2 * L), v2, s2, b2, relu);
            FloatVector d3 = gradient(FloatVector.fromArray(S, dy, k + 3 * L), v3, s3, b3, relu);
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
        g1.intoArray(sumG, off + L);
        g2.intoArray(sumG, off + 2 * L);
        g3.intoArray(sumG, off + 3 * L);
        w0.intoArray(sumVG, off);
        w1.intoArray(sumVG, off + L);
        w2.intoArray(sumVG, off + 2 * L);
        w3.intoArray(sumVG, off + 3 * L);
    }

    /**
     * Like {@link #gradientBlock4} for one vector whose first {@code lanes} lanes hold positions of the period; the
     * others are padding, where x, dy and the parameters are 0, so they sum 0.
     */
    private static void gradientBlockMasked(float[] x, int xBase, float[] dy, int dyBase, int period, int periods,
                                            int off, int lanes, AffineParams f, boolean relu, float[] sumG,
                                            float[] sumVG) {
        VectorMask<Float> m = S.indexInRange(0, lanes);
        boolean hasLo = f.centerLo() != null;
        FloatVector c = FloatVector.fromArray(S, f.center(), off);
        FloatVector l = FloatVector.fromArray(S, hasLo ? f.centerLo() : f.center(), off);
        FloatVector s = FloatVector.fromArray(S, f.scale(), off);
        FloatVector b = FloatVector.fromArray(S, f.shift(), off);
        FloatVector g = FloatVector.zero(S);
        FloatVector w = FloatVector.zero(S);
        for (int j = 0, i = xBase + off, k = dyBase + off; j < periods; j++, i += period, k += period) {
            FloatVector v = FloatVector.fromArray(S, x, i, m).sub(c);
            if (hasLo) {
                v = v.sub(l);
            }
            FloatVector d = gradient(FloatVector.fromArray(S, dy, k, m), v, s, b, relu);
            g = g.add(d);
            w = v.fma(d, w);
        }
        g.intoArray(sumG, off);
        w.intoArray(sumVG, off);
    }

    @Override
    public GradientParams prepareGradient(int channels, float[] deviationScale, float[] offset) {
        int p = Layout.statisticsPeriod(channels);
        return new GradientParams(channels, layOut(deviationScale, channels, p), layOut(offset, channels, p));
    }

    @Override
    public void inputGradient(float[] x, int xOffset, float[] dy, int dyOffset, float[] dx, int dxOffset, int rows,
                              AffineParams f, GradientParams correction, boolean relu) {
        int channels = f.channels();
        int n = rows * channels;
        int period = Layout.statisticsPeriod(channels);
        int full = period / L;
        int periods = n / period;
        int chunk = Math.max(1, CHUNK_FLOATS / period);
        for (int k0 = 0; k0 < periods; k0 += chunk) {
            int k1 = Math.min(periods, k0 + chunk);
            int v = 0;
            for (; v + 4 <= full; v += 4) {
                inputGradient4(x, xOffset, dy, dyOffset, dx, dxOffset, period, k0, k1, v * L, f, correction, relu);
            }
            for (; v * L < period; v++) {
                inputGradientMasked(x, xOffset, dy, dyOffset, dx, dxOffset, period, k0, k1, v * L,
                        Math.min(L, period - v * L), f, correction, relu);
            }
        }
        // The last, partial period: one masked vector per position, as far as the data go.
        for (int i = periods * period, off = 0; off < n - i; off += L) {
            inputGradientMasked(x, xOffset + i, dy, dyOffset + i, dx, dxOffset + i, period, 0, 1, off,
                    Math.min(L, n - i - off), f, correction, relu);
        }
    }

    /** {@code fma(g, s, fma(v, e, o))}, or {@code g·s} without the correction of a training step. */
    private static FloatVector inputGradient(FloatVector g, FloatVector v, FloatVector s, FloatVector e,
                                             FloatVector o, boolean corrected) {
        return corrected ? g.fma(s, v.fma(e, o)) : g.mul(s);
    }

    private static void inputGradient4(float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo, int period, int k0,
                                       int k1, int off, AffineParams f, GradientParams k, boolean relu) {
        boolean corrected = k != null;
        boolean readX = relu || corrected;
        boolean hasLo = f.centerLo() != null;
        float[] lo = hasLo ? f.centerLo() : f.center();
        // Without the correction its loads read the scale and shift instead, and are not used.
        float[] e = corrected ? k.deviationScale() : f.scale();
        float[] o = corrected ? k.offset() : f.shift();
        FloatVector c0 = FloatVector.fromArray(S, f.center(), off);
        FloatVector c1 = FloatVector.fromArray(S, f.center(), off + L);
        FloatVector c2 = FloatVector.fromArray(S, f.center(), off + 2 * L);
        FloatVector c3 = FloatVector.fromArray(S, f.center(), off + 3 * L);
        FloatVector l0 = FloatVector.fromArray(S, lo, off);
        FloatVector l1 = FloatVector.fromArray(S, lo, off + L);
        FloatVector l2 = FloatVector.fromArray(S, lo, off + 2 * L);
        FloatVector l3 = FloatVector.fromArray(S, lo, off + 3 * L);
        FloatVector s0 = FloatVector.fromArray(S, f.scale(), off);
        FloatVector s1 = FloatVector.fromArray(S, f.scale(), off + L);
        FloatVector s2 = FloatVector.fromArray(S, f.scale(), off + 2 * L);
        FloatVector s3 = FloatVector.fromArray(S, f.scale(), off + 3 * L);
        FloatVector b0 = FloatVector.fromArray(S, f.shift(), off);
        FloatVector b1 = FloatVector.fromArray(S, f.shift(), off + L);
        FloatVector b2 = FloatVector.fromArray(S, f.shift(), off + 2 * L);
        FloatVector b3 = FloatVector.fromArray(S, f.shift(), off + 3 * L);
        FloatVector e0 = FloatVector.fromArray(S, e, off);
        FloatVector e1 = FloatVector.fromArray(S, e, off + L);
        FloatVector e2 = FloatVector.fromArray(S, e, off + 2 * L);
        FloatVector e3 = FloatVector.fromArray(S, e, off + 3 * L);
        FloatVector o0 = FloatVector.fromArray(S, o, off);
        FloatVector o1 = FloatVector.fromArray(S, o, off + L);
        FloatVector o2 = FloatVector.fromArray(S, o, off + 2 * L);
        FloatVector o3 = FloatVector.fromArray(S, o, off + 3 * L);
        for (int j = k0, i = k0 * period + off; j < k1; j++, i += period) {
            FloatVector v0 = c0;
            FloatVector v1 = c1;
            FloatVector v2 = c2;
            FloatVector v3 = c3;
            if (readX) {
                v0 = FloatVector.fromArray(S, x, xo + i).sub(c0);
                v1 = FloatVector.fromArray(S, x, xo + i + L).sub(c1);
                v2 = FloatVector.fromArray(S, x, xo + i + 2 * L).sub(c2);
                v3 = FloatVector.fromArray(S, x, xo + i + 3 * L).sub(c3);
                if (hasLo) {
                    v0 = v0.sub(l0);
                    v1 = v1.sub(l1);
                    v2 = v2.sub(l2);
                    v3 = v3.sub(l3);
                }
            }
            FloatVector g0 = gradient(FloatVector.fromArray(S, dy, dyo + i), v0, s0, b0, relu);
            FloatVector g1 = gradient(FloatVector.fromArray(S, dy, dyo + i + L), v1, s1, b1, relu);
            FloatVector g2 = gradient(FloatVector.fromArray(S, dy, dyo + i + 2 * L), v2, s2, b2, relu);
            FloatVector g3 = gradient(FloatVector.fromArray(S, dy, dyo + i + 3 * L), v3, s3, b3, relu);
            inputGradient(g0, v0, s0, e0, o0, corrected).intoArray(dx, dxo + i);
            inputGradient(g1, v1, s1, e1, o1, corrected).intoArray(dx, dxo + i + L);
            inputGradient(g2, v2, s2, e2, o2, corrected).intoArray(dx, dxo + i + 2 * L);
            inputGradient(g3, v3, s3, e3, o3, corrected).intoArray(dx, dxo + i + 3 * L);
        }
    }

    /** Like {@link #inputGradient4} for the first {@code lanes} lanes of one vector. */
    private static void inputGradientMasked(float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo, int period,
                                            int k0, int k1, int off, int lanes, AffineParams f, GradientParams k,
                                            boolean relu) {
        VectorMask<Float> m = S.indexInRange(0, lanes);
        boolean corrected = k != null;
        boolean readX = relu || corrected;
        boolean hasLo = f.centerLo() != null;
        FloatVector c = FloatVector.fromArray(S, f.center(), off);
        FloatVector l = FloatVector.fromArray(S, hasLo ? f.centerLo() : f.center(), off);
        FloatVector s = FloatVector.fromArray(S, f.scale(), off);
        FloatVector b = FloatVector.fromArray(S, f.shift(), off);
        FloatVector e = FloatVector.fromArray(S, corrected ? k.deviationScale() : f.scale(), off);
        FloatVector o = FloatVector.fromArray(S, corrected ? k.offset() : f.shift(), off);
        for (int j = k0, i = k0 * period + off; j < k1; j++, i += period) {
            FloatVector v = c;
            if (readX) {
                v = FloatVector.fromArray(S, x, xo + i, m).sub(c);
                if (hasLo) {
                    v = v.sub(l);
                }
            }
            FloatVector g = gradient(FloatVector.fromArray(S, dy, dyo + i, m), v, s, b, relu);
            inputGradient(g, v, s, e, o, corrected).intoArray(dx, dxo + i, m);
        }
    }
}
