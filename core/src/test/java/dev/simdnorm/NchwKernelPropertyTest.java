package dev.simdnorm;

import dev.simdnorm.internal.AffineParams;
import dev.simdnorm.internal.Kernel;
import dev.simdnorm.internal.ScalarKernel;
import dev.simdnorm.prop.Gen;
import dev.simdnorm.prop.PlaneCase;
import dev.simdnorm.prop.Property;
import org.junit.jupiter.api.Test;

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
        Kernel vector = VectorKernelPropertyTest.vector();
        Property.check("vector NCHW statistics equal scalar bit for bit", PlaneCase.gen(200_000), t -> {
            int c = t.channels();
            double[] sm = new double[c];
            double[] sq = new double[c];
            double[] vm = new double[c];
            double[] vq = new double[c];
            ScalarKernel.INSTANCE.momentsNchw(t.x(), t.offset(), t.n(), c, t.spatial(), 0, c, sm, sq);
            vector.momentsNchw(t.x(), t.offset(), t.n(), c, t.spatial(), 0, c, vm, vq);
            for (int i = 0; i < c; i++) {
                assertEquals(Double.doubleToLongBits(sm[i]), Double.doubleToLongBits(vm[i]),
                        "mean bits, channel " + i + ": scalar " + sm[i] + ", vector " + vm[i]);
                assertEquals(Double.doubleToLongBits(sq[i]), Double.doubleToLongBits(vq[i]),
                        "M2 bits, channel " + i + ": scalar " + sq[i] + ", vector " + vq[i]);
            }
        });
    }

    @Test
    void statisticsInDoubleAgreeWithScalar() {
        Kernel vector = VectorKernelPropertyTest.vector();
        Property.check("vector NCHW statistics in double equal scalar bit for bit", PlaneCase.gen(200_000), t -> {
            int c = t.channels();
            double[] sm = new double[c];
            double[] sq = new double[c];
            double[] vm = new double[c];
            double[] vq = new double[c];
            ScalarKernel.INSTANCE.momentsNchwInDouble(t.x(), t.offset(), t.n(), c, t.spatial(), 0, c, sm, sq);
            vector.momentsNchwInDouble(t.x(), t.offset(), t.n(), c, t.spatial(), 0, c, vm, vq);
            for (int i = 0; i < c; i++) {
                assertEquals(Double.doubleToLongBits(sm[i]), Double.doubleToLongBits(vm[i]),
                        "mean bits, channel " + i + ": scalar " + sm[i] + ", vector " + vm[i]);
                assertEquals(Double.doubleToLongBits(sq[i]), Double.doubleToLongBits(vq[i]),
                        "M2 bits, channel " + i + ": scalar " + sq[i] + ", vector " + vq[i]);
            }
        });
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
