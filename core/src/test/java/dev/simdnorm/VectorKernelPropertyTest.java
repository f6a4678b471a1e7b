package dev.simdnorm;

import dev.simdnorm.internal.AffineParams;
import dev.simdnorm.internal.GradientParams;
import dev.simdnorm.internal.Kernel;
import dev.simdnorm.internal.KernelProvider;
import dev.simdnorm.internal.LanePeriod;
import dev.simdnorm.internal.ScalarKernel;
import dev.simdnorm.prop.Distribution;
import dev.simdnorm.prop.Property;
import dev.simdnorm.prop.TensorCase;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The vector kernel against the scalar oracle, at whatever width this surefire execution forces
 * ({@code -Dsimdnorm.vector.bits}). Both walk the tensor in the same {@code Layout} and do the same operations per
 * position in the same order, so they must agree bit for bit, statistics, normalize and the two backward passes, for
 * every shape.
 */
class VectorKernelPropertyTest {

    static Kernel vector() {
        Kernel k = KernelProvider.kernel();
        assumeTrue(k.name().equals("vector"), "vector kernel not active: " + KernelProvider.selection().reason());
        return k;
    }

    /** Scalar and vector means and M2 equal bit for bit (NaNs as one), channel by channel. */
    static void assertSameMoments(double[] sm, double[] sq, double[] vm, double[] vq, int channels, String where) {
        for (int i = 0; i < channels; i++) {
            assertEquals(Double.doubleToLongBits(sm[i]), Double.doubleToLongBits(vm[i]),
                    "mean bits, " + where + "channel " + i + ": scalar " + sm[i] + ", vector " + vm[i]);
            assertEquals(Double.doubleToLongBits(sq[i]), Double.doubleToLongBits(vq[i]),
                    "M2 bits, " + where + "channel " + i + ": scalar " + sq[i] + ", vector " + vq[i]);
        }
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
                    assertSameMoments(sm, sq, vm, vq, c, "");
                });
    }

    @Test
    void statisticsAroundAGivenFirstCenterAgreeWithScalar() {
        // The slices of a tensor after the first take the first slice's center: the sampled one gives the bits of
        // the call without a center; a center from elsewhere in the tensor (the last row's, far from the first
        // block's mean on drifting data, so the block is summed again) agrees between the kernels.
        Kernel vector = vector();
        Property.check("statistics around a given first center: the sample's bits, vector equal to scalar",
                TensorCase.gen(200_000), t -> {
                    int c = t.channels();
                    float[] sampled = new float[c];
                    float[] vectorSampled = new float[c];
                    ScalarKernel.INSTANCE.firstCenter(t.x(), t.offset(), t.rows(), c, sampled);
                    vector.firstCenter(t.x(), t.offset(), t.rows(), c, vectorSampled);
                    for (int i = 0; i < c; i++) {
                        assertEquals(Float.floatToIntBits(sampled[i]), Float.floatToIntBits(vectorSampled[i]),
                                "sampled center bits (NaNs as one, as doubleToLongBits below), channel " + i);
                    }
                    double[] m = new double[c];
                    double[] q = new double[c];
                    ScalarKernel.INSTANCE.moments(t.x(), t.offset(), t.rows(), c, m, q);
                    float[] last = java.util.Arrays.copyOfRange(t.x(), t.offset() + (t.rows() - 1) * c,
                            t.offset() + t.rows() * c);
                    for (float[] center : new float[][] {sampled, last}) {
                        double[] sm = new double[c];
                        double[] sq = new double[c];
                        double[] vm = new double[c];
                        double[] vq = new double[c];
                        ScalarKernel.INSTANCE.moments(t.x(), t.offset(), t.rows(), c, center, sm, sq);
                        vector.moments(t.x(), t.offset(), t.rows(), c, center, vm, vq);
                        assertSameMoments(sm, sq, vm, vq, c, "");
                        if (center == sampled) { // "scalar" the call without a center, "vector" the one around it
                            assertSameMoments(m, q, sm, sq, c, "around the sampled center, ");
                        }
                    }
                });
    }

    @Test
    void statisticsOfTwelveVectorPeriodsAgreeWithScalar() {
        // C = 3, 6, 12, 24, 48 walk a period of 192 floats (twelve vectors of 16 lanes) whose blocks without a tail
        // are summed and reduced in registers: whole periods only (the sample pass of 128 rows, a block whose rows
        // fill its periods), then a row more or less, across block boundaries, for every distribution. Rare in the
        // generated cases (C = 6 to 48 and rows a multiple of the period's), so here each one.
        Kernel vector = vector();
        for (int c : new int[] {3, 6, 12, 24, 48}) {
            int perPeriod = 192 / c;
            int block = 256 * perPeriod;
            for (int rows : new int[] {perPeriod, 2 * perPeriod, 3 * perPeriod + 1, 64 * perPeriod - 1,
                    block, block + perPeriod, 2 * block + 1}) {
                for (Distribution d : Distribution.values()) {
                    TensorCase t = TensorCase.make(rows % 7, rows, c, 3, d, 31L * rows + c);
                    double[] sm = new double[c];
                    double[] sq = new double[c];
                    double[] vm = new double[c];
                    double[] vq = new double[c];
                    ScalarKernel.INSTANCE.moments(t.x(), t.offset(), rows, c, sm, sq);
                    vector.moments(t.x(), t.offset(), rows, c, vm, vq);
                    assertSameMoments(sm, sq, vm, vq, c, t + ", ");
                }
            }
        }
    }

    @Test
    void statisticsInDoubleAgreeWithScalar() {
        Kernel vector = vector();
        Property.check("vector statistics in double equal scalar bit for bit",
                TensorCase.gen(200_000), t -> {
                    int c = t.channels();
                    double[] sm = new double[c];
                    double[] sq = new double[c];
                    double[] vm = new double[c];
                    double[] vq = new double[c];
                    double[] origin = new double[c];
                    for (int i = 0; i < c; i++) {
                        origin[i] = t.x()[t.offset() + i]; // the first row, as the engine takes it
                    }
                    ScalarKernel.INSTANCE.momentsInDouble(t.x(), t.offset(), t.rows(), c, origin, sm, sq);
                    vector.momentsInDouble(t.x(), t.offset(), t.rows(), c, origin, vm, vq);
                    assertSameMoments(sm, sq, vm, vq, c, "");
                });
    }

    @Test
    void normalizeAgreesWithScalarBitForBit() {
        Kernel vector = vector();
        Property.check("vector normalize equals scalar bit for bit (with and without lo, ReLU, in place)",
                NormalizePropertyTest.CASES, a -> {
                    TensorCase t = a.t();
                    int c = t.channels();
                    AffineParams[] maps = maps(vector, a, new SplittableRandom(t.seed() ^ 0x5eed));
                    AffineParams sp = maps[0];
                    AffineParams vp = maps[1];
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
                    // y at x's own index: the scalar kernel's vectorized map (16 channels or more), ReLU fused as max.
                    float[] atIndex = NormalizePropertyTest.poisoned(t.offset() + t.length());
                    ScalarKernel.INSTANCE.normalize(t.x(), t.offset(), atIndex, t.offset(), t.rows(), sp, a.relu());
                    for (int i = 0; i < t.length(); i++) {
                        assertEquals(Float.floatToIntBits(yv[a.yOffset() + i]),
                                Float.floatToIntBits(atIndex[t.offset() + i]), "scalar, y at x's index, element " + i);
                    }
                    float[] inPlace = t.x().clone();
                    vector.normalize(inPlace, t.offset(), inPlace, t.offset(), t.rows(), vp, a.relu());
                    for (int i = 0; i < t.length(); i++) {
                        assertEquals(Float.floatToIntBits(ys[a.yOffset() + i]),
                                Float.floatToIntBits(inPlace[t.offset() + i]), "in place, element " + i);
                    }
                });
    }

    @Test
    void scalarMapInRunsMatchesItsFormulaBitForBit() {
        // The scalar map at one index walks runs of several periods, then the periods left, then the rows left, each
        // reading the parameters laid out over a run: every element must still get its own channel's parameters. 331
        // periods (a prime) leave periods over for runs of 2, 3 and 8 periods, and a period's rows but one are left.
        SplittableRandom random = new SplittableRandom(11);
        for (int c : new int[] {1, 3, 16, 17, 64, 100, 300}) {
            float[] center = new float[c];
            float[] low = new float[c];
            float[] scale = new float[c];
            float[] shift = new float[c];
            for (int i = 0; i < c; i++) {
                center[i] = (float) random.nextGaussian();
                low[i] = (float) (random.nextGaussian() * 1e-8);
                scale[i] = (float) (0.5 + random.nextDouble());
                shift[i] = (float) random.nextGaussian(); // |β| ≥ 2^−100: the max is the ReLU, fused in the runs
            }
            AffineParams p = KernelMaps.affine(c, center, low, scale, shift);
            int rowsPerPeriod = p.period() / c;
            int rows = 331 * rowsPerPeriod + rowsPerPeriod - 1;
            int offset = 5;
            float[] x = new float[offset + rows * c];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (random.nextGaussian() * 2);
            }
            for (boolean relu : new boolean[] {false, true}) {
                float[] y = new float[x.length];
                float[] inPlace = x.clone();
                ScalarKernel.INSTANCE.normalize(x, offset, y, offset, rows, p, relu);
                ScalarKernel.INSTANCE.normalize(inPlace, offset, inPlace, offset, rows, p, relu);
                for (int i = 0; i < rows * c; i++) {
                    int ch = i % c;
                    float t = Math.fma((x[offset + i] - center[ch]) - low[ch], scale[ch], shift[ch]);
                    float expected = relu ? ScalarKernel.relu(t) : t;
                    String where = "C = " + c + ", relu " + relu + ", element " + i;
                    assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(y[offset + i]), where);
                    assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(inPlace[offset + i]),
                            "in place, " + where);
                }
            }
        }
    }

    @Test
    void normalizeWithoutLowPartKeepsEveryBit() {
        // The vector walks of long periods skip subtracting a low part of +0 (AffineParams.lowPart() false); the
        // scalar kernel always subtracts it. They must still agree on every bit, signed zeros included: x = c gives
        // +0, x = −0 with c = +0 gives −0, and a −0 low part must not be skipped (−0 − (−0) = +0).
        Kernel vector = vector();
        SplittableRandom random = new SplittableRandom(7);
        for (int c : new int[] {17, 100, 256, 1100}) {
            for (int rows : new int[] {3, 9000 / c + 5, 40_000 / c + 3}) { // groups in L1, and the memory-order walk
                float[] x = new float[rows * c];
                float[] center = new float[c];
                float[] scale = new float[c];
                float[] shift = new float[c];
                for (int i = 0; i < c; i++) {
                    center[i] = i % 3 == 0 ? 0f : (float) random.nextGaussian();
                    scale[i] = (float) (0.5 + random.nextDouble());
                    shift[i] = i % 5 == 0 ? 0f : i % 5 == 1 ? -0f : (float) random.nextGaussian();
                }
                // Where a sign of zero shows: center +0 and shift −0 make y = fma(x − c − low, s, −0) keep the
                // sign of a zero x − c − low, in the channels that get the −0 low part below: one in the middle and
                // the last (a masked tail where C is not a multiple of the lanes). Each row takes the next case, so
                // every channel meets each of them whatever C is modulo 4.
                int[] probes = {c / 2, c - 1};
                for (int k : probes) {
                    center[k] = 0f;
                    shift[k] = -0f;
                }
                for (int i = 0; i < x.length; i++) {
                    int ch = i % c;
                    x[i] = switch ((i / c + ch) % 4) {
                        case 0 -> center[ch]; // x − c = +0
                        case 1 -> -0f;        // −0 − (+0) = −0 where the center is +0
                        default -> (float) random.nextGaussian();
                    };
                }
                float[] zeros = new float[c];
                float[] negativeZero = new float[c];
                for (int k : probes) {
                    negativeZero[k] = -0f;
                }
                for (float[] low : new float[][] {zeros, negativeZero}) {
                    AffineParams p = KernelMaps.affine(c, center, low, scale, shift);
                    assertEquals(low == negativeZero, p.lowPart(), "lowPart with a low part of " + low[c / 2]);
                    for (boolean relu : new boolean[] {false, true}) {
                        float[] ys = new float[x.length];
                        float[] yv = new float[x.length];
                        ScalarKernel.INSTANCE.normalize(x, 0, ys, 0, rows, p, relu);
                        vector.normalize(x, 0, yv, 0, rows, p, relu);
                        if (low == zeros && !relu) { // the probe is reached: −0 − (+0) − (+0), times s, plus −0
                            int negativeZeros = 0;
                            for (int i = 0; i < x.length; i++) {
                                boolean probe = i % c == c / 2 || i % c == c - 1;
                                negativeZeros += probe && Float.floatToRawIntBits(ys[i]) == 0x8000_0000 ? 1 : 0;
                            }
                            assertTrue(negativeZeros > 0, "no −0 output at the probed channels, C = " + c);
                        }
                        // In place too: a last partial vector taken as the top lanes of the vector ending with
                        // it reads floats already written, and must store only its own lanes.
                        float[] inPlace = x.clone();
                        vector.normalize(inPlace, 0, inPlace, 0, rows, p, relu);
                        for (int i = 0; i < x.length; i++) {
                            if (Float.floatToRawIntBits(ys[i]) != Float.floatToRawIntBits(yv[i])
                                    || Float.floatToRawIntBits(ys[i]) != Float.floatToRawIntBits(inPlace[i])) {
                                throw new AssertionError("C = " + c + ", rows " + rows + ", relu " + relu
                                        + ", low " + low[c / 2] + ": y[" + i + "] scalar " + ys[i] + ", vector "
                                        + yv[i] + ", vector in place " + inPlace[i]);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void onlyAMapLaidOutWithALowPartOfPlusZeroHasNone() {
        AffineParams p = KernelMaps.affine(3, new float[] {1, 2, 3}, null, new float[] {1, 1, 1}, new float[3]);
        assertEquals(false, p.lowPart(), "laid out with a low part of +0");
        p.lowPartWritten();
        assertEquals(true, p.lowPart(), "after a write of the low part");
        assertEquals(true, new AffineParams(3).lowPart(), "a fresh map, before it is laid out");
        Moments batch = Moments.ofSums(4, new double[] {0.5, 1.0 / 3, 2}, new double[] {1, 1, 1});
        AffineParams training = ChannelAffine.normalizing(batch, new float[] {1, 1, 1}, new float[3], 1e-3f).params();
        assertEquals(true, training.lowPart(), "a training map, its low part written array by array");
    }

    @Test
    void gradientAgreesWithScalarBitForBit() {
        Kernel vector = vector();
        Property.check("vector backward passes equal scalar bit for bit (lo or not, correction or not, ReLU, in place)",
                NormalizePropertyTest.CASES, a -> {
                    TensorCase t = a.t();
                    int c = t.channels();
                    SplittableRandom r = new SplittableRandom(t.seed() ^ 0xbac4);
                    AffineParams[] maps = maps(vector, a, r);
                    AffineParams sp = maps[0];
                    AffineParams vp = maps[1];
                    // dy: any distribution, specials included, at the output's offset in an array padded with NaN.
                    int len = a.yOffset() + t.length() + a.yPad();
                    float[] dy = new float[len];
                    java.util.Arrays.fill(dy, Float.NaN);
                    Distribution.values()[r.nextInt(Distribution.values().length)].fill(dy, a.yOffset(), t.rows(), c,
                            r.nextLong());

                    double[] sg = new double[c];
                    double[] svg = new double[c];
                    double[] vg = new double[c];
                    double[] vvg = new double[c];
                    ScalarKernel.INSTANCE.gradientSums(t.x(), t.offset(), dy, a.yOffset(), t.rows(), sp, a.relu(), sg,
                            svg);
                    vector.gradientSums(t.x(), t.offset(), dy, a.yOffset(), t.rows(), vp, a.relu(), vg, vvg);
                    for (int i = 0; i < c; i++) {
                        assertEquals(Double.doubleToLongBits(sg[i]), Double.doubleToLongBits(vg[i]),
                                "Σg bits, channel " + i + ": scalar " + sg[i] + ", vector " + vg[i]);
                        assertEquals(Double.doubleToLongBits(svg[i]), Double.doubleToLongBits(vvg[i]),
                                "Σv·g bits, channel " + i + ": scalar " + svg[i] + ", vector " + vvg[i]);
                    }

                    boolean corrected = r.nextInt(3) != 0;
                    float[] e = gaussian(r, c, 1);
                    float[] o = gaussian(r, c, 1);
                    GradientParams sk = corrected ? KernelMaps.gradient(c, e, o) : null;
                    GradientParams vk = sk;
                    float[] ds = NormalizePropertyTest.poisoned(len);
                    float[] dv = NormalizePropertyTest.poisoned(len);
                    ScalarKernel.INSTANCE.inputGradient(t.x(), t.offset(), dy, a.yOffset(), ds, a.yOffset(), t.rows(),
                            sp, sk, a.relu());
                    vector.inputGradient(t.x(), t.offset(), dy, a.yOffset(), dv, a.yOffset(), t.rows(), vp, vk,
                            a.relu());
                    for (int i = 0; i < len; i++) {
                        if (Float.floatToIntBits(ds[i]) != Float.floatToIntBits(dv[i])) {
                            throw new AssertionError("dx[" + i + "]: scalar " + ds[i] + ", vector " + dv[i]
                                    + " (element " + (i - a.yOffset()) + ", channel "
                                    + Math.floorMod(i - a.yOffset(), c) + ")");
                        }
                    }
                    float[] overDy = dy.clone();
                    vector.inputGradient(t.x(), t.offset(), overDy, a.yOffset(), overDy, a.yOffset(), t.rows(), vp, vk,
                            a.relu());
                    float[] overX = t.x().clone();
                    vector.inputGradient(overX, t.offset(), dy, a.yOffset(), overX, t.offset(), t.rows(), vp, vk,
                            a.relu());
                    for (int i = 0; i < t.length(); i++) {
                        int expected = Float.floatToIntBits(ds[a.yOffset() + i]);
                        assertEquals(expected, Float.floatToIntBits(overDy[a.yOffset() + i]), "dx = dy, element " + i);
                        assertEquals(expected, Float.floatToIntBits(overX[t.offset() + i]), "dx = x, element " + i);
                    }
                });
    }

    /**
     * The vector layouts against {@link LanePeriod#repeat}'s copies, float for float, one array and three at a time:
     * both kernels read a training map laid out by one of them ({@link KernelProvider#layingOut}), so vector against
     * scalar results would not see a wrong layout. Every C to 64 over its walked period; the padding past the period
     * stays as it was.
     */
    @Test
    void layoutsEqualTheCopies() {
        Kernel vector = vector();
        SplittableRandom r = new SplittableRandom(23);
        for (int c = 1; c <= 64; c++) {
            int period = LanePeriod.walked(c);
            float[][] arrays = new float[3][];
            float[][] expected = new float[3][];
            for (int k = 0; k < 3; k++) {
                arrays[k] = LanePeriod.padded(period);
                for (int i = 0; i < arrays[k].length; i++) {
                    arrays[k][i] = i < c ? (float) r.nextGaussian() : Float.NaN; // NaN: what the layout must overwrite
                }
                for (int i = period; i < arrays[k].length; i++) {
                    arrays[k][i] = 7f; // padding, to be left alone
                }
                expected[k] = LanePeriod.repeat(arrays[k].clone(), c, period);
            }
            float[] one = arrays[0].clone();
            vector.repeat(one, c, period);
            assertSameFloats(expected[0], one, "repeat, C = " + c);
            vector.repeat(arrays[0], arrays[1], arrays[2], c, period);
            for (int k = 0; k < 3; k++) {
                assertSameFloats(expected[k], arrays[k], "repeat of three, array " + k + ", C = " + c);
            }
        }
    }

    @Test
    void trainingValuesAgreeWithScalar() {
        // A training map's scale and center, one double vector of channels at a time and one by one: conversions as
        // casts and a correctly rounded root and quotient, so the same floats. The vector kernel may say that no
        // channel needs the rare steps only where none does: a low part not finite, or n·σ² ≥ 2^254.
        Kernel vector = vector();
        Property.check("training map values: vector equal to scalar, and no rare channel missed",
                choices -> new TrainingValuesCase(choices.between(1, 80), choices.oneOf(1L, 7L, 1L << 40),
                        choices.oneIn(2), choices.oneIn(2), choices.seed()), t -> {
                    int c = t.channels();
                    SplittableRandom r = new SplittableRandom(t.seed());
                    double[] mean = new double[c];
                    double[] variance = new double[c];
                    float[] gamma = new float[c];
                    for (int i = 0; i < c; i++) {
                        // Each kind of rare channel alone in some cases, so that neither hides a miss of the other.
                        mean[i] = !t.rareMeans() ? r.nextGaussian() * 100 : oneOf(r, r.nextGaussian(),
                                r.nextGaussian() * 1e39, 3.4028235677973366e38, Double.NaN, Double.NEGATIVE_INFINITY,
                                0x1p-160, -0.0);
                        variance[i] = !t.wideVariances() ? r.nextDouble(2) : oneOf(r, r.nextDouble(2), r.nextDouble(2),
                                Math.scalb(r.nextDouble(1, 2), 200 + r.nextInt(100)), 0x1p254 / t.count(), Double.NaN,
                                Double.POSITIVE_INFINITY, 0.0, 0x1p-1060);
                        gamma[i] = (float) oneOf(r, r.nextGaussian(), 0.0, Double.NaN, 1e-40);
                    }
                    AffineParams expected = new AffineParams(c);
                    AffineParams actual = new AffineParams(c);
                    ScalarKernel.INSTANCE.trainingValues(expected, mean, variance, t.count(), gamma, 1e-3f);
                    boolean rare = vector.trainingValues(actual, mean, variance, t.count(), gamma, 1e-3f);
                    for (int i = 0; i < c; i++) {
                        String where = "channel " + i + " of " + c + " (mean " + mean[i] + ", variance " + variance[i]
                                + ", gamma " + gamma[i] + ")";
                        assertEquals(Float.floatToIntBits(expected.scale()[i]), Float.floatToIntBits(actual.scale()[i]),
                                "scale bits (NaNs as one), " + where);
                        assertEquals(Float.floatToIntBits(expected.center()[i]),
                                Float.floatToIntBits(actual.center()[i]), "center bits, " + where);
                        assertEquals(Float.floatToIntBits(expected.centerLow()[i]),
                                Float.floatToIntBits(actual.centerLow()[i]), "low part bits, " + where);
                        boolean needs = !Float.isFinite(expected.centerLow()[i])
                                || variance[i] * t.count() >= 0x1p254 && Double.isFinite(variance[i]);
                        assertTrue(rare || !needs, "a channel needing the rare steps was missed: " + where);
                    }
                    // Ordinary values (|μ| of a few hundred, σ² < 2, n ≤ 2^40): the vector kernel must say so, or
                    // every map walks the channels again.
                    if (!t.rareMeans() && !t.wideVariances()) {
                        assertFalse(rare, "ordinary values said to need the rare steps, C = " + c);
                    }
                });
    }

    /**
     * A training map's channels, the count its statistics were taken over, whether its means and its variances may be
     * of the rare kinds, and the seed of its values.
     */
    record TrainingValuesCase(int channels, long count, boolean rareMeans, boolean wideVariances, long seed) {
    }

    /** One of the values, equally likely. */
    private static double oneOf(SplittableRandom r, double... values) {
        return values[r.nextInt(values.length)];
    }

    private static void assertSameFloats(float[] expected, float[] actual, String where) {
        for (int i = 0; i < expected.length; i++) {
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]),
                    where + ", position " + i);
        }
    }

    /** The case's normalizing map with a random low part or none, as the scalar and the vector kernel lay it out. */
    private static AffineParams[] maps(Kernel vector, NormalizePropertyTest.AffineCase a, SplittableRandom r) {
        int c = a.t().channels();
        float[] lo = r.nextBoolean() ? gaussian(r, c, 1e-5) : null;
        float[] scale = new float[c];
        for (int i = 0; i < c; i++) {
            scale[i] = ChannelAffine.scale(a.gamma()[i], a.variance()[i], a.epsilon());
        }
        // One layout serves both kernels: the scalar kernel reads its first C entries.
        AffineParams p = KernelMaps.affine(c, a.mean(), lo, scale, a.beta());
        return new AffineParams[] {p, p};
    }

    private static float[] gaussian(SplittableRandom r, int n, double sd) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextGaussian() * sd);
        }
        return a;
    }
}
