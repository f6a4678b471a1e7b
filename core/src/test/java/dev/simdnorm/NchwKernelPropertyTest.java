package dev.simdnorm;

import dev.simdnorm.internal.AffineParams;
import dev.simdnorm.internal.Kernel;
import dev.simdnorm.internal.ScalarKernel;
import dev.simdnorm.prop.Gen;
import dev.simdnorm.prop.PlaneCase;
import dev.simdnorm.prop.Property;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The vector kernel's NCHW operations against the scalar oracle, at whatever width this surefire execution forces.
 * Both sum each value into accumulator {@code j mod 64} of its plane, in the same order, and share the rest of the
 * algorithm ({@code PlaneStatistics}); normalize does the same operations per element. So they must agree bit for
 * bit.
 */
class NchwKernelPropertyTest {

    @Test
    void statisticsAgreeWithScalar() {
        statisticsAgree(false);
    }

    @Test
    void statisticsInDoubleAgreeWithScalar() {
        statisticsAgree(true);
    }

    /**
     * Both kernels over all channels, bit for bit, and the vector kernel over a channel range as a parallel slice
     * takes it: the range's channels as over all of them (a channel's result does not depend on the others,
     * {@link Kernel#momentsNchw}), nothing written outside it.
     */
    private static void statisticsAgree(boolean inDouble) {
        Kernel vector = VectorKernelPropertyTest.vector();
        String what = "vector NCHW statistics" + (inDouble ? " in double" : "")
                + " equal scalar bit for bit, also on a channel range";
        Property.check(what, RANGED, a -> {
            PlaneCase t = a.t();
            int c = t.channels();
            double[][] out = new double[6][];
            for (int i = 0; i < out.length; i++) {
                out[i] = new double[c];
                Arrays.fill(out[i], UNWRITTEN);
            }
            Kernel[] kernels = {ScalarKernel.INSTANCE, vector, vector};
            for (int k = 0; k < 3; k++) {
                int from = k < 2 ? 0 : a.from();
                int to = k < 2 ? c : a.to();
                if (inDouble) {
                    kernels[k].momentsNchwInDouble(t.x(), t.offset(), t.n(), c, t.spatial(), from, to, out[2 * k],
                            out[2 * k + 1]);
                } else {
                    kernels[k].momentsNchw(t.x(), t.offset(), t.n(), c, t.spatial(), from, to, out[2 * k],
                            out[2 * k + 1]);
                }
            }
            for (int i = 0; i < c; i++) {
                assertSameBits(out[0][i], out[2][i], "mean", i);
                assertSameBits(out[1][i], out[3][i], "M2", i);
                boolean in = i >= a.from() && i < a.to();
                assertSameBits(in ? out[0][i] : UNWRITTEN, out[4][i], "ranged mean", i);
                assertSameBits(in ? out[1][i] : UNWRITTEN, out[5][i], "ranged M2", i);
            }
        });
    }

    /** A value no statistic of the generated data takes: what a kernel must leave outside its range. */
    private static final double UNWRITTEN = -0x1.deadp-1000;

    /** A tensor and a channel range [from, to), as a parallel slice of the channels passes to the kernels. */
    record RangedCase(PlaneCase t, int from, int to) {
    }

    static final Gen<RangedCase> RANGED = ch -> {
        PlaneCase t = PlaneCase.gen(200_000).generate(ch);
        int c = t.channels();
        int from = ch.oneIn(3) ? 0 : ch.between(0, c - 1);
        int to = ch.oneIn(3) ? c : ch.between(from + 1, c);
        return new RangedCase(t, from, to);
    };

    private static void assertSameBits(double expected, double actual, String what, int channel) {
        assertEquals(Double.doubleToLongBits(expected), Double.doubleToLongBits(actual),
                what + " bits, channel " + channel + ": expected " + expected + ", got " + actual);
    }

    /** A tensor, raw per-channel parameters (with or without a low part of the center) and an output placement. */
    record ParamsCase(PlaneCase t, float[] center, float[] centerLow, float[] scale, float[] shift, boolean relu,
                      int yOffset, int yPad) {
    }

    static final Gen<ParamsCase> CASES = ch -> {
        PlaneCase t = PlaneCase.gen(100_000).generate(ch);
        int c = t.channels();
        SplittableRandom r = new SplittableRandom(ch.seed());
        float[] lo = ch.oneIn(2) ? NchwPropertyTest.gaussians(r, c, 0, 1e-5) : null;
        return new ParamsCase(t, NchwPropertyTest.gaussians(r, c, 0, 2), lo, NchwPropertyTest.gaussians(r, c, 1, 0.5),
                NchwPropertyTest.gaussians(r, c, 0, 1), ch.oneIn(2), ch.between(0, 20), ch.between(0, 3));
    };

    @Test
    void normalizeAgreesWithScalarBitForBit() {
        Kernel vector = VectorKernelPropertyTest.vector();
        Property.check("vector NCHW normalize equals scalar bit for bit (with and without lo, ReLU, in place)", CASES,
                a -> {
                    PlaneCase t = a.t();
                    int c = t.channels();
                    AffineParams sp = KernelMaps.affine(c, a.center(), a.centerLow(), a.scale(), a.shift());
                    AffineParams vp = sp;
                    int len = a.yOffset() + t.length() + a.yPad();
                    float[] ys = NormalizePropertyTest.poisoned(len);
                    float[] yv = NormalizePropertyTest.poisoned(len);
                    ScalarKernel.INSTANCE.normalizeNchw(t.x(), t.offset(), ys, a.yOffset(), t.n(), t.spatial(), sp,
                            a.relu());
                    vector.normalizeNchw(t.x(), t.offset(), yv, a.yOffset(), t.n(), t.spatial(), vp, a.relu());
                    NchwPropertyTest.assertSameBits(ys, yv, 0, "vector against scalar");
                    float[] inPlace = t.x().clone();
                    vector.normalizeNchw(inPlace, t.offset(), inPlace, t.offset(), t.n(), t.spatial(), vp, a.relu());
                    NchwPropertyTest.assertSameBits(java.util.Arrays.copyOfRange(ys, a.yOffset(),
                            a.yOffset() + t.length()), inPlace, t.offset(), "in place");
                });
    }
}
