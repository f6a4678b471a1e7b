package dev.simdnorm;

import dev.simdnorm.internal.AffineParams;
import dev.simdnorm.internal.Kernel;
import dev.simdnorm.internal.KernelProvider;
import dev.simdnorm.internal.ScalarKernel;
import dev.simdnorm.prop.Property;
import dev.simdnorm.prop.TensorCase;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The vector kernel against the scalar oracle, at whatever width this surefire execution forces
 * ({@code -Dsimdnorm.vector.bits}). Both walk the tensor in the same {@code Layout} and do the same operations per
 * position in the same order, so they must agree bit for bit, statistics and normalize, for every shape.
 */
class VectorKernelPropertyTest {

    static Kernel vector() {
        Kernel k = KernelProvider.kernel();
        assumeTrue(k.name().equals("vector"), "vector kernel not active: " + KernelProvider.selection().reason());
        return k;
    }

    @Test
    void statisticsAgreeWithScalar() {
        Kernel vector = vector();
        Property.check("vector statistics equal scalar bit for bit",
                TensorCase.gen(200_000), t -> {
                    int c = t.channels();
                    double[] sm = new double[c];
                    double[] sq = new double[c];
                    double[] vm = new double[c];
                    double[] vq = new double[c];
                    ScalarKernel.INSTANCE.moments(t.x(), t.offset(), t.rows(), c, sm, sq);
                    vector.moments(t.x(), t.offset(), t.rows(), c, vm, vq);
                    for (int i = 0; i < c; i++) {
                        assertEquals(Double.doubleToLongBits(sm[i]), Double.doubleToLongBits(vm[i]),
                                "mean bits, channel " + i + ": scalar " + sm[i] + ", vector " + vm[i]);
                        assertEquals(Double.doubleToLongBits(sq[i]), Double.doubleToLongBits(vq[i]),
                                "M2 bits, channel " + i + ": scalar " + sq[i] + ", vector " + vq[i]);
                    }
                });
    }

    @Test
    void normalizeAgreesWithScalarBitForBit() {
        Kernel vector = vector();
        Property.check("vector normalize equals scalar bit for bit (with and without lo, ReLU, in place)",
                NormalizePropertyTest.CASES, a -> {
                    TensorCase t = a.t();
                    int c = t.channels();
                    SplittableRandom r = new SplittableRandom(t.seed() ^ 0x5eed);
                    float[] lo = null;
                    if (r.nextBoolean()) {
                        lo = new float[c];
                        for (int i = 0; i < c; i++) {
                            lo[i] = (float) (r.nextGaussian() * 1e-5);
                        }
                    }
                    float[] scale = new float[c];
                    for (int i = 0; i < c; i++) {
                        scale[i] = ChannelAffine.scale(a.gamma()[i], a.variance()[i], a.epsilon());
                    }
                    AffineParams sp = ScalarKernel.INSTANCE.prepare(c, a.mean(), lo, scale, a.beta());
                    AffineParams vp = vector.prepare(c, a.mean(), lo, scale, a.beta());
                    int len = a.yOffset() + t.length() + a.yPad();
                    float[] ys = NormalizePropertyTest.poisoned(len);
                    float[] yv = NormalizePropertyTest.poisoned(len);
                    ScalarKernel.INSTANCE.normalize(t.x(), t.offset(), ys, a.yOffset(), t.rows(), sp, a.relu());
                    vector.normalize(t.x(), t.offset(), yv, a.yOffset(), t.rows(), vp, a.relu());
                    for (int i = 0; i < len; i++) {
                        if (Float.floatToIntBits(ys[i]) != Float.floatToIntBits(yv[i])) {
                            throw new AssertionError("y[" + i + "]: scalar " + ys[i] + ", vector " + yv[i]
                                    + " (element " + (i - a.yOffset()) + ", channel "
                                    + Math.floorMod(i - a.yOffset(), c) + ")");
                        }
                    }
                    float[] inPlace = t.x().clone();
                    vector.normalize(inPlace, t.offset(), inPlace, t.offset(), t.rows(), vp, a.relu());
                    for (int i = 0; i < t.length(); i++) {
                        assertEquals(Float.floatToIntBits(ys[a.yOffset() + i]),
                                Float.floatToIntBits(inPlace[t.offset() + i]), "in place, element " + i);
                    }
                });
    }
}
