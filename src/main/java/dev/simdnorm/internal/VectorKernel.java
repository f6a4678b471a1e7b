package dev.simdnorm.internal;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API kernel; the only class that imports {@code jdk.incubator.vector}. Loaded by name, and only after
 * {@link KernelProvider} has checked that the module is readable.
 *
 * <p><b>Layout.</b> The tensor is walked as a flat array of floats in periods of whole vectors in which each lane
 * always holds the same channel ({@link #period}): C floats when C is a multiple of the lane count L (one lane per
 * channel, a row per period); lcm(C, L) floats when that is at most 64 vectors (C = 3: 48 floats, 16 rows, each lane
 * one channel of one row in three); otherwise C floats with the row's last vector masked. The per-channel parameters
 * are laid out over one period once ({@link #prepare}), and vectors are processed in groups of four whose parameters
 * or accumulators stay in registers while the group walks the periods of a cache-sized chunk.
 *
 * <p><b>Statistics</b> follow {@link Kernel#moments}: per block of {@link Blocks#ROWS} rows, one pass for the centre
 * and one, from cache, for the deviations. With one lane per channel and at least four vectors per row the per-lane
 * order is the scalar kernel's, so the two agree bit for bit. Fewer vectors per row would leave the adds waiting on
 * each other, so the period is repeated (2 or 4 times) to give four independent accumulators; then, as in the lcm
 * layout, a channel's sum is spread over several lanes and summed in lane order at the end of each block.
 */
public final class VectorKernel implements Kernel, KernelProvider.VectorWidth {

    /** The float species, chosen once so that C2 sees a constant. */
    static final VectorSpecies<Float> S = species(Integer.getInteger(KernelProvider.BITS_PROPERTY));
    private static final int L = S.length();
    /** Most vectors in an lcm period; beyond it a row's last vector is masked instead. */
    private static final int MAX_LCM_VECTORS = 64;
    /** Floats per normalize chunk: one chunk stays in L1 while every group of vectors walks it. */
    private static final int CHUNK_FLOATS = 4096;

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

    private static VectorSpecies<Float> species(Integer bits) {
        if (bits == null) {
            return FloatVector.SPECIES_PREFERRED;
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

    /** Floats per period in which each lane keeps one channel (see the class comment). */
    static int period(int channels) {
        if (channels % L == 0) {
            return channels;
        }
        int lcm = channels / gcd(channels, L) * L;
        return lcm / L <= MAX_LCM_VECTORS ? lcm : channels;
    }

    /** The statistics period: {@link #period}, repeated until it holds at least four vectors. */
    static int statisticsPeriod(int channels) {
        int p = period(channels);
        int vectors = (p + L - 1) / L;
        return vectors >= 4 ? p : p * (vectors == 3 ? 2 : 4 / vectors);
    }

    /**
     * Whether the statistics of this many channels keep one lane per channel with the scalar kernel's order, and so
     * agree with it bit for bit.
     *
     * @param channels C
     * @return true where vector and scalar statistics are identical
     */
    public static boolean statisticsMatchScalar(int channels) {
        return statisticsPeriod(channels) == channels;
    }

    private static int gcd(int a, int b) {
        while (b != 0) {
            int t = a % b;
            a = b;
            b = t;
        }
        return a;
    }

    /** Repeats {@code perChannel} over a period of {@code period} floats, padded with zeros to whole vectors. */
    private static float[] layOut(float[] perChannel, int channels, int period) {
        float[] out = new float[(period + L - 1) / L * L];
        for (int i = 0; i < period; i++) {
            out[i] = perChannel[i % channels];
        }
        return out;
    }

    // ---------------------------------------------------------------------------------------------- normalize

    @Override
    public AffineParams prepare(int channels, float[] center, float[] centerLo, float[] scale, float[] shift) {
        int p = period(channels);
        // Without a low part the kernel subtracts +0, which changes no bit: one code path.
        float[] lo = centerLo != null ? layOut(centerLo, channels, p) : new float[(p + L - 1) / L * L];
        return new AffineParams(channels, layOut(center, channels, p), lo, layOut(scale, channels, p),
                layOut(shift, channels, p));
    }

    @Override
    public void normalize(float[] x, int xOffset, float[] y, int yOffset, int rows, AffineParams p, boolean relu) {
        int channels = p.channels();
        int n = rows * channels;
        int period = period(channels);
        int full = period / L;
        // max(t, −Inf) is t, NaN included: ReLU off costs one max, not a second loop.
        FloatVector floor = FloatVector.broadcast(S, relu ? 0f : Float.NEGATIVE_INFINITY);
        int periods = n / period;
        int chunk = Math.max(1, CHUNK_FLOATS / period);
        for (int k0 = 0; k0 < periods; k0 += chunk) {
            int k1 = Math.min(periods, k0 + chunk);
            int v = 0;
            for (; v + 4 <= full; v += 4) {
                normalize4(x, xOffset, y, yOffset, period, k0, k1, v * L, p, floor);
            }
            for (; v < full; v++) {
                normalize1(x, xOffset, y, yOffset, period, k0, k1, v * L, p, floor, S.maskAll(true));
            }
            if (period % L != 0) {
                normalize1(x, xOffset, y, yOffset, period, k0, k1, full * L, p, floor,
                        S.indexInRange(0, period % L));
            }
        }
        // The last, partial period: one masked vector per position, as far as the data go.
        for (int i = periods * period, off = 0; i + off < n; off += L) {
            normalizeMasked(x, xOffset + i + off, y, yOffset + i + off, off, p, floor, S.indexInRange(i + off, n));
        }
    }

    private static void normalize4(float[] x, int xo, float[] y, int yo, int period, int k0, int k1, int off,
                                   AffineParams p, FloatVector floor) {
        FloatVector c0 = FloatVector.fromArray(S, p.center(), off);
        FloatVector c1 = FloatVector.fromArray(S, p.center(), off + L);
        FloatVector c2 = FloatVector.fromArray(S, p.center(), off + 2 * L);
        FloatVector c3 = FloatVector.fromArray(S, p.center(), off + 3 * L);
        FloatVector l0 = FloatVector.fromArray(S, p.centerLo(), off);
        FloatVector l1 = FloatVector.fromArray(S, p.centerLo(), off + L);
        FloatVector l2 = FloatVector.fromArray(S, p.centerLo(), off + 2 * L);
        FloatVector l3 = FloatVector.fromArray(S, p.centerLo(), off + 3 * L);
        FloatVector s0 = FloatVector.fromArray(S, p.scale(), off);
        FloatVector s1 = FloatVector.fromArray(S, p.scale(), off + L);
        FloatVector s2 = FloatVector.fromArray(S, p.scale(), off + 2 * L);
        FloatVector s3 = FloatVector.fromArray(S, p.scale(), off + 3 * L);
        FloatVector b0 = FloatVector.fromArray(S, p.shift(), off);
        FloatVector b1 = FloatVector.fromArray(S, p.shift(), off + L);
        FloatVector b2 = FloatVector.fromArray(S, p.shift(), off + 2 * L);
        FloatVector b3 = FloatVector.fromArray(S, p.shift(), off + 3 * L);
        for (int k = k0, i = k0 * period + off; k < k1; k++, i += period) {
            FloatVector.fromArray(S, x, xo + i).sub(c0).sub(l0).fma(s0, b0).max(floor).intoArray(y, yo + i);
            FloatVector.fromArray(S, x, xo + i + L).sub(c1).sub(l1).fma(s1, b1).max(floor).intoArray(y, yo + i + L);
            FloatVector.fromArray(S, x, xo + i + 2 * L).sub(c2).sub(l2).fma(s2, b2).max(floor)
                    .intoArray(y, yo + i + 2 * L);
            FloatVector.fromArray(S, x, xo + i + 3 * L).sub(c3).sub(l3).fma(s3, b3).max(floor)
                    .intoArray(y, yo + i + 3 * L);
        }
    }

    private static void normalize1(float[] x, int xo, float[] y, int yo, int period, int k0, int k1, int off,
                                   AffineParams p, FloatVector floor, VectorMask<Float> m) {
        FloatVector c = FloatVector.fromArray(S, p.center(), off);
        FloatVector l = FloatVector.fromArray(S, p.centerLo(), off);
        FloatVector s = FloatVector.fromArray(S, p.scale(), off);
        FloatVector b = FloatVector.fromArray(S, p.shift(), off);
        boolean all = m.allTrue();
        for (int k = k0, i = k0 * period + off; k < k1; k++, i += period) {
            if (all) {
                FloatVector.fromArray(S, x, xo + i).sub(c).sub(l).fma(s, b).max(floor).intoArray(y, yo + i);
            } else {
                FloatVector.fromArray(S, x, xo + i, m).sub(c).sub(l).fma(s, b).max(floor).intoArray(y, yo + i, m);
            }
        }
    }

    private static void normalizeMasked(float[] x, int xi, float[] y, int yi, int off, AffineParams p,
                                        FloatVector floor, VectorMask<Float> m) {
        FloatVector.fromArray(S, x, xi, m)
                .sub(FloatVector.fromArray(S, p.center(), off))
                .sub(FloatVector.fromArray(S, p.centerLo(), off))
                .fma(FloatVector.fromArray(S, p.scale(), off), FloatVector.fromArray(S, p.shift(), off))
                .max(floor)
                .intoArray(y, yi, m);
    }

    // --------------------------------------------------------------------------------------------- statistics

    @Override
    public void moments(float[] x, int offset, int rows, int channels, double[] mean, double[] m2) {
        int period = statisticsPeriod(channels);
        int rowsPerPeriod = period / channels;
        int padded = (period + L - 1) / L * L;
        float[] first = new float[channels];
        float[] centre = new float[channels];
        float[] sum1 = new float[channels];
        float[] sumR = new float[channels];
        float[] sumQ = new float[channels];
        float[] laidOut = new float[padded];
        float[] laneA = new float[padded];
        float[] laneB = new float[padded];
        long done = 0;
        for (int r0 = 0; r0 < rows; r0 += Blocks.ROWS) {
            int nb = Math.min(Blocks.ROWS, rows - r0);
            int base = offset + r0 * channels;
            int periods = nb / rowsPerPeriod;
            int tail = (nb % rowsPerPeriod) * channels;
            // Pass 1: Σ(x − x₀) per lane, x₀ the block's first row.
            System.arraycopy(x, base, first, 0, channels);
            fill(laidOut, first, channels, period);
            sumShifted(x, base, period, periods, tail, laidOut, laneA);
            reduce(laneA, period, channels, sum1);
            for (int c = 0; c < channels; c++) {
                centre[c] = Blocks.center(first[c], sum1[c], nb);
            }
            // Pass 2, from cache: Σ(x − m) and Σ(x − m)² per lane.
            fill(laidOut, centre, channels, period);
            sumDeviations(x, base, period, periods, tail, laidOut, laneA, laneB);
            reduce(laneA, period, channels, sumR);
            reduce(laneB, period, channels, sumQ);
            for (int c = 0; c < channels; c++) {
                Chan.mergeBlock(done, mean, m2, c, nb, centre[c], sumR[c], sumQ[c]);
            }
            done += nb;
        }
    }

    private static void fill(float[] laidOut, float[] perChannel, int channels, int period) {
        for (int i = 0; i < period; i++) {
            laidOut[i] = perChannel[i % channels];
        }
    }

    /** Sums each channel's lanes in lane order; with one lane per channel this is the lane itself. */
    private static void reduce(float[] lanes, int period, int channels, float[] out) {
        if (period == channels) {
            System.arraycopy(lanes, 0, out, 0, channels);
            return;
        }
        java.util.Arrays.fill(out, 0f);
        for (int i = 0; i < period; i++) {
            out[i % channels] += lanes[i];
        }
    }

    /** Per lane of the period: Σ(x − k) over {@code periods} periods and a tail of {@code tail} floats. */
    private static void sumShifted(float[] x, int base, int period, int periods, int tail, float[] k, float[] out) {
        int full = period / L;
        int v = 0;
        for (; v + 4 <= full; v += 4) {
            int off = v * L;
            FloatVector k0 = FloatVector.fromArray(S, k, off);
            FloatVector k1 = FloatVector.fromArray(S, k, off + L);
            FloatVector k2 = FloatVector.fromArray(S, k, off + 2 * L);
            FloatVector k3 = FloatVector.fromArray(S, k, off + 3 * L);
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = FloatVector.zero(S);
            FloatVector a2 = FloatVector.zero(S);
            FloatVector a3 = FloatVector.zero(S);
            for (int j = 0, i = base + off; j < periods; j++, i += period) {
                a0 = a0.add(FloatVector.fromArray(S, x, i).sub(k0));
                a1 = a1.add(FloatVector.fromArray(S, x, i + L).sub(k1));
                a2 = a2.add(FloatVector.fromArray(S, x, i + 2 * L).sub(k2));
                a3 = a3.add(FloatVector.fromArray(S, x, i + 3 * L).sub(k3));
            }
            a0.intoArray(out, off);
            a1.intoArray(out, off + L);
            a2.intoArray(out, off + 2 * L);
            a3.intoArray(out, off + 3 * L);
        }
        for (; v * L < period; v++) {
            int off = v * L;
            VectorMask<Float> m = S.indexInRange(off, period);
            FloatVector kv = FloatVector.fromArray(S, k, off);
            FloatVector a = FloatVector.zero(S);
            for (int j = 0, i = base + off; j < periods; j++, i += period) {
                // Masked lanes load 0 and k is 0 there (padding): they add 0.
                a = a.add(FloatVector.fromArray(S, x, i, m).sub(kv));
            }
            a.intoArray(out, off);
        }
        int t = base + periods * period;
        for (int off = 0; off < tail; off += L) {
            VectorMask<Float> m = S.indexInRange(off, tail);
            FloatVector xv = FloatVector.fromArray(S, x, t + off, m);
            FloatVector.fromArray(S, out, off).add(xv.sub(FloatVector.fromArray(S, k, off), m)).intoArray(out, off);
        }
    }

    /** Per lane of the period: Σ(x − m) into {@code outR} and Σ(x − m)² (by FMA) into {@code outQ}. */
    private static void sumDeviations(float[] x, int base, int period, int periods, int tail, float[] centre,
                                      float[] outR, float[] outQ) {
        int full = period / L;
        int v = 0;
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
        for (; v * L < period; v++) {
            int off = v * L;
            VectorMask<Float> m = S.indexInRange(off, period);
            FloatVector mv = FloatVector.fromArray(S, centre, off);
            FloatVector r = FloatVector.zero(S);
            FloatVector q = FloatVector.zero(S);
            for (int j = 0, i = base + off; j < periods; j++, i += period) {
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
}
