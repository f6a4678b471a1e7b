package dev.simdnorm;

import dev.simdnorm.internal.Kernel;
import dev.simdnorm.internal.PlaneStatistics;
import dev.simdnorm.internal.RowMoments;
import dev.simdnorm.internal.RowParams;
import dev.simdnorm.internal.ScalarKernel;
import dev.simdnorm.prop.Gen;
import dev.simdnorm.prop.PlaneCase;
import dev.simdnorm.prop.Property;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * LayerNorm and RMSNorm: against double oracles with bounds from the error analysis, and the vector kernel's row
 * operations against the scalar kernel's, bit for bit (each element gets the same operations; each row's squares go
 * to the same accumulators in the same order). A case is an NCHW tensor read as n·C rows of H·W floats, so rows
 * have every length the NCHW tests stress (shorter than a vector, a vector ± 1, longer than a statistics block) and
 * every distribution, far from zero and huge included.
 */
class RowNormPropertyTest {

    /** Rows, γ and β (null for the defaults), ε and an output placement. */
    record RowCase(PlaneCase t, float[] gamma, float[] beta, float epsilon, int yOffset, int yPad) {
        int rows() {
            return t.n() * t.channels();
        }

        int size() {
            return t.spatial();
        }
    }

    static final Gen<RowCase> CASES = ch -> {
        PlaneCase t = PlaneCase.gen(100_000).generate(ch);
        SplittableRandom r = new SplittableRandom(ch.seed());
        if (ch.oneIn(6)) {
            spreadBeyondFloat(t, r);
        }
        int size = t.spatial();
        float[] gamma = ch.oneIn(3) ? null : NchwPropertyTest.gaussians(r, size, 1, 0.5);
        float[] beta = ch.oneIn(3) ? null : NchwPropertyTest.gaussians(r, size, 0, 1);
        float epsilon = ch.oneOf(1e-5f, 1e-3f, Math.ulp(1f), 0.5f);
        return new RowCase(t, gamma, beta, epsilon, ch.between(0, 20), ch.between(0, 3));
    };

    /**
     * Rewrites about half of the case's rows (each n·C run of H·W floats; the case's NHWC copy no longer matches) as
     * rows spread toward float's range: mean ±[1e36, 3.3e38], σ from the least whose expected M2 reaches 2²⁵⁴ (where a
     * deviation from the mean may overflow float; 2¹²⁷/√size) to 8 times it, clamped to float's range, so most but not
     * all such rows of more than a few values pass 2²⁵⁴; some with one value of the other sign at float's edge, whose
     * deviation overflows float. Rows of one value cannot spread and are left as they are.
     */
    static void spreadBeyondFloat(PlaneCase t, SplittableRandom r) {
        int size = t.spatial();
        if (size < 2) {
            return;
        }
        for (int row = 0; row < t.n() * t.channels(); row++) {
            if (r.nextBoolean()) {
                continue;
            }
            double mu = (r.nextBoolean() ? 1 : -1) * Math.exp(r.nextDouble(Math.log(1e36), Math.log(3.3e38)));
            double sigma = 0x1p127 / Math.sqrt(size) * r.nextDouble(1.01, 8);
            int base = t.offset() + row * size;
            for (int j = 0; j < size; j++) {
                t.x()[base + j] = (float) Math.clamp(mu + sigma * r.nextGaussian(), -Float.MAX_VALUE, Float.MAX_VALUE);
            }
            if (r.nextBoolean()) {
                t.x()[base + r.nextInt(size)] = (float) (-Math.signum(mu) * Float.MAX_VALUE * r.nextDouble(0.5, 1));
            }
        }
    }

    @Test
    void layerNormMatchesDoubleOracle() {
        Property.check("LayerNorm within the error bounds of a double two-pass oracle", CASES, a -> {
            PlaneCase t = a.t();
            int rows = a.rows();
            int size = a.size();
            LayerNormBuilder b = LayerNorm.builder(size).epsilon(a.epsilon());
            if (a.gamma() != null) {
                b.gamma(a.gamma());
            }
            if (a.beta() != null) {
                b.beta(a.beta());
            }
            float[] y = NormalizePropertyTest.poisoned(a.yOffset() + t.length() + a.yPad());
            float[] mean = new float[rows];
            float[] invStdDev = new float[rows];
            b.build().apply(t.x(), t.offset(), y, a.yOffset(), rows, mean, invStdDev);
            NormalizePropertyTest.assertUntouchedOutside(y, a.yOffset(), t.length());
            Oracle.Stats s = Oracle.planeMoments(t.x(), t.offset(), 1, rows, size);
            for (int r = 0; r < rows; r++) {
                if (s.nonFinite()[r]) {
                    assertNonFiniteWhereXIs(t.x(), t.offset() + r * size, y, a.yOffset() + r * size, size, r);
                    continue;
                }
                double mu = s.mean()[r];
                double variance = s.variance(r);
                double scale = 1 / Math.sqrt(variance + a.epsilon());
                // The scale's error: half the variance's relative error through the root, the double steps (m2/size,
                // + ε, the root and the quotient, each 2⁻⁵³: DOUBLE_SLACK), and the one float rounding (to a subnormal
                // float, an absolute 2⁻¹⁵⁰, for rows of enormous spread).
                double scaleRel = 0.5 * s.varianceTolerance(r) / (variance + a.epsilon()) + Oracle.U
                        + Oracle.DOUBLE_SLACK + Float.MIN_VALUE / scale;
                // The row's mean, in double, rounded once to float: meanTolerance counts that rounding (u·|μ|).
                MomentsPropertyTest.assertWithin(mu, mean[r], s.meanTolerance(r), "row mean", r);
                MomentsPropertyTest.assertWithin(scale, invStdDev[r], scale * scaleRel, "row invStdDev", r);
                for (int j = 0; j < size; j++) {
                    double x = t.x()[t.offset() + r * size + j];
                    double g = a.gamma() != null ? a.gamma()[j] : 1;
                    double beta = a.beta() != null ? a.beta()[j] : 0;
                    double u = (x - mu) * scale;
                    double exact = u * g + beta;
                    // u = fma(fl(x − μ_hi) − μ_lo, s, 0), centered at the mean as a hi/lo pair (within the center's
                    // tolerance, no float rounding of μ); where x − μ_hi overflows float, the same in double rounded
                    // once. Then y = fma(u, γ, β) rounds once more.
                    double uTolerance = Oracle.affineTolerance(x, mu, scale, u, s.centerTolerance(r), scaleRel);
                    double tolerance = Math.abs(g) * uTolerance + Oracle.U * Math.abs(exact) + Float.MIN_VALUE;
                    MomentsPropertyTest.assertWithin(exact, y[a.yOffset() + r * size + j], tolerance,
                            "y at position " + j + " of row", r);
                }
            }
        });
    }

    @Test
    void rmsNormMatchesDoubleOracle() {
        Property.check("RMSNorm within the error bounds of a double oracle", CASES, a -> {
            PlaneCase t = a.t();
            int rows = a.rows();
            int size = a.size();
            RmsNormBuilder b = RmsNorm.builder(size).epsilon(a.epsilon());
            if (a.gamma() != null) {
                b.gamma(a.gamma());
            }
            float[] y = NormalizePropertyTest.poisoned(a.yOffset() + t.length() + a.yPad());
            b.build().apply(t.x(), t.offset(), y, a.yOffset(), rows);
            NormalizePropertyTest.assertUntouchedOutside(y, a.yOffset(), t.length());
            for (int r = 0; r < rows; r++) {
                int base = t.offset() + r * size;
                double sum = 0;
                boolean finite = true;
                for (int j = 0; j < size; j++) {
                    double x = t.x()[base + j];
                    sum += x * x;
                    finite &= Double.isFinite(x);
                }
                if (!finite) {
                    assertNonFiniteWhereXIs(t.x(), base, y, a.yOffset() + r * size, size, r);
                    continue;
                }
                double scale = 1 / Math.sqrt(sum / size + a.epsilon());
                // The sums in double err far below 2⁻⁴⁰ relative; the scale rounds to float once (to a subnormal
                // for rows of RMS above 2¹²⁶), x·s once, and y = u·γ once.
                double scaleRel = Oracle.DOUBLE_SLACK + Oracle.U + Float.MIN_VALUE / scale;
                for (int j = 0; j < size; j++) {
                    double x = t.x()[base + j];
                    double g = a.gamma() != null ? a.gamma()[j] : 1;
                    double u = x * scale;
                    double exact = u * g;
                    double tolerance = Math.abs(g) * (Math.abs(u) * (scaleRel + Oracle.U) + Float.MIN_VALUE)
                            + Oracle.U * Math.abs(exact) + Float.MIN_VALUE;
                    MomentsPropertyTest.assertWithin(exact, y[a.yOffset() + r * size + j], tolerance,
                            "y at position " + j + " of row", r);
                }
            }
        });
    }

    @Test
    void residualFormEqualsNormOfTheSum() {
        Property.check("fused residual: y = norm(fl(x + r)) and h = fl(x + r), bit for bit, for every aliasing", CASES,
                a -> {
                    PlaneCase t = a.t();
                    int rows = a.rows();
                    int length = t.length();
                    float[] x = Arrays.copyOfRange(t.x(), t.offset(), t.offset() + length);
                    SplittableRandom random = new SplittableRandom(length);
                    float[] residual = NchwPropertyTest.gaussians(random, length, 0, 3);
                    float[] sum = new float[length];
                    for (int i = 0; i < length; i++) {
                        sum[i] = x[i] + residual[i];
                    }
                    LayerNorm ln = LayerNorm.builder(a.size()).epsilon(a.epsilon()).build();
                    RmsNorm rms = RmsNorm.builder(a.size()).epsilon(a.epsilon()).build();
                    float[] lnExpected = new float[length];
                    float[] rmsExpected = new float[length];
                    ln.apply(sum, 0, lnExpected, 0, rows);
                    rms.apply(sum, 0, rmsExpected, 0, rows);
                    // y apart, y on x, y on the residual; h apart, on x, on the residual, or not asked for.
                    for (int yAt = 0; yAt < 3; yAt++) {
                        for (int hAt = 0; hAt < 4; hAt++) {
                            for (boolean layer : new boolean[] {true, false}) {
                                float[] xs = x.clone();
                                float[] rs = residual.clone();
                                float[] y = yAt == 0 ? new float[length] : yAt == 1 ? xs : rs;
                                float[] h = hAt == 0 ? new float[length] : hAt == 1 ? xs : hAt == 2 ? rs : null;
                                if (h == y) {
                                    continue;
                                }
                                if (h == null) {
                                    if (layer) {
                                        ln.apply(xs, 0, rs, 0, y, 0, rows);
                                    } else {
                                        rms.apply(xs, 0, rs, 0, y, 0, rows);
                                    }
                                } else if (layer) {
                                    ln.apply(xs, 0, rs, 0, y, 0, h, 0, rows);
                                } else {
                                    rms.apply(xs, 0, rs, 0, y, 0, h, 0, rows);
                                }
                                String what = (layer ? "LayerNorm" : "RMSNorm") + ", y at " + yAt + ", h at " + hAt;
                                NchwPropertyTest.assertSameBits(layer ? lnExpected : rmsExpected, y, 0, what);
                                if (h != null) {
                                    NchwPropertyTest.assertSameBits(sum, h, 0, what + ": h");
                                }
                            }
                        }
                    }
                    // x, the residual, y and h at four offsets: the kernels' add at different indices.
                    for (boolean layer : new boolean[] {true, false}) {
                        float[] xs = new float[length + 1];
                        float[] rs = new float[length + 2];
                        float[] y = new float[length + 3];
                        float[] h = new float[length + 4];
                        System.arraycopy(x, 0, xs, 1, length);
                        System.arraycopy(residual, 0, rs, 2, length);
                        if (layer) {
                            ln.apply(xs, 1, rs, 2, y, 3, h, 4, rows);
                        } else {
                            rms.apply(xs, 1, rs, 2, y, 3, h, 4, rows);
                        }
                        String what = (layer ? "LayerNorm" : "RMSNorm") + " at four offsets";
                        NchwPropertyTest.assertSameBits(layer ? lnExpected : rmsExpected, y, 3, what);
                        NchwPropertyTest.assertSameBits(sum, h, 4, what + ": h");
                    }
                });
    }

    private static void assertNonFiniteWhereXIs(float[] x, int xBase, float[] y, int yBase, int size, int r) {
        for (int j = 0; j < size; j++) {
            if (!Float.isFinite(x[xBase + j])) {
                assertFalse(Float.isFinite(y[yBase + j]), "row " + r + ", position " + j + ": x " + x[xBase + j]
                        + " gave the finite " + y[yBase + j]);
            }
        }
    }

    @Test
    void inPlaceEqualsOutOfPlace() {
        Property.check("LayerNorm and RMSNorm in place give the bits they give out of place", CASES, a -> {
            PlaneCase t = a.t();
            int rows = a.rows();
            LayerNorm ln = LayerNorm.builder(a.size()).epsilon(a.epsilon()).build();
            RmsNorm rms = RmsNorm.builder(a.size()).epsilon(a.epsilon()).build();
            float[] y = new float[t.length()];
            float[] inPlace = t.x().clone();
            ln.apply(t.x(), t.offset(), y, 0, rows);
            ln.apply(inPlace, t.offset(), inPlace, t.offset(), rows);
            NchwPropertyTest.assertSameBits(y, inPlace, t.offset(), "LayerNorm in place");
            inPlace = t.x().clone();
            rms.apply(t.x(), t.offset(), y, 0, rows);
            rms.apply(inPlace, t.offset(), inPlace, t.offset(), rows);
            NchwPropertyTest.assertSameBits(y, inPlace, t.offset(), "RMSNorm in place");
        });
    }

    /** Rows, per-row parameters as the engine fills them, and γ, β. */
    record KernelCase(PlaneCase t, float[] center, float[] centerLow, float[] scale, float[] offset, float[] gamma,
                      float[] beta, int yOffset) {
    }

    static final Gen<KernelCase> KERNEL_CASES = ch -> {
        PlaneCase t = PlaneCase.gen(100_000).generate(ch);
        SplittableRandom r = new SplittableRandom(ch.seed());
        int rows = Math.min(RowParams.CHUNK_ROWS, t.n() * t.channels());
        return new KernelCase(t, NchwPropertyTest.gaussians(r, rows, 0, 2), NchwPropertyTest.gaussians(r, rows, 0, 1e-5),
                NchwPropertyTest.gaussians(r, rows, 1, 0.5), ch.oneIn(2) ? new float[rows]
                : NchwPropertyTest.gaussians(r, rows, 0, 1), NchwPropertyTest.gaussians(r, t.spatial(), 1, 0.5),
                NchwPropertyTest.gaussians(r, t.spatial(), 0, 1), ch.between(0, 20));
    };

    @Test
    void vectorRowsEqualScalarBitForBit() {
        Kernel vector = VectorKernelPropertyTest.vector();
        String what = "vector row normalize, scaling, moments and sums of squares equal scalar bit for bit";
        Property.check(what, KERNEL_CASES, a -> {
            PlaneCase t = a.t();
            int rows = a.center().length;
            int size = t.spatial();
            RowParams p = new RowParams().positions(a.gamma(), a.beta());
            System.arraycopy(a.center(), 0, p.center(), 0, rows);
            System.arraycopy(a.centerLow(), 0, p.centerLow(), 0, rows);
            System.arraycopy(a.scale(), 0, p.scale(), 0, rows);
            System.arraycopy(a.offset(), 0, p.offset(), 0, rows);
            float[] ys = NormalizePropertyTest.poisoned(a.yOffset() + rows * size + 2);
            float[] yv = NormalizePropertyTest.poisoned(a.yOffset() + rows * size + 2);
            ScalarKernel.INSTANCE.normalizeRows(t.x(), t.offset(), ys, a.yOffset(), rows, size, p);
            vector.normalizeRows(t.x(), t.offset(), yv, a.yOffset(), rows, size, p);
            NchwPropertyTest.assertSameBits(ys, yv, 0, "normalizeRows, vector against scalar");
            float[] inPlace = t.x().clone();
            vector.normalizeRows(inPlace, t.offset(), inPlace, t.offset(), rows, size, p);
            NchwPropertyTest.assertSameBits(Arrays.copyOfRange(ys, a.yOffset(), a.yOffset() + rows * size), inPlace,
                    t.offset(), "normalizeRows in place");
            float[] scalarInPlace = t.x().clone(); // x and y at one index: the scalar loop C2 vectorizes
            ScalarKernel.INSTANCE.normalizeRows(scalarInPlace, t.offset(), scalarInPlace, t.offset(), rows, size, p);
            NchwPropertyTest.assertSameBits(Arrays.copyOfRange(ys, a.yOffset(), a.yOffset() + rows * size),
                    scalarInPlace, t.offset(), "scalar normalizeRows in place");
            float[] zs = NormalizePropertyTest.poisoned(a.yOffset() + rows * size + 2);
            float[] zv = NormalizePropertyTest.poisoned(a.yOffset() + rows * size + 2);
            ScalarKernel.INSTANCE.scaleRows(t.x(), t.offset(), zs, a.yOffset(), rows, size, p);
            vector.scaleRows(t.x(), t.offset(), zv, a.yOffset(), rows, size, p);
            NchwPropertyTest.assertSameBits(zs, zv, 0, "scaleRows, vector against scalar");
            float[] scaledInPlace = t.x().clone();
            vector.scaleRows(scaledInPlace, t.offset(), scaledInPlace, t.offset(), rows, size, p);
            NchwPropertyTest.assertSameBits(Arrays.copyOfRange(zs, a.yOffset(), a.yOffset() + rows * size),
                    scaledInPlace, t.offset(), "scaleRows in place");
            float[] scalarScaled = t.x().clone();
            ScalarKernel.INSTANCE.scaleRows(scalarScaled, t.offset(), scalarScaled, t.offset(), rows, size, p);
            NchwPropertyTest.assertSameBits(Arrays.copyOfRange(zs, a.yOffset(), a.yOffset() + rows * size),
                    scalarScaled, t.offset(), "scalar scaleRows in place");
            if (rows >= 2) { // two rows at once, at this size and at a whole number of 32 floats (the fast path)
                fusedEqualsTwoCalls(vector, t.x(), t.offset(), size, p, a.yOffset());
                if (size > 64) { // and at a whole number of 64 floats (the float blocks' fast path)
                    fusedEqualsTwoCalls(vector, t.x(), t.offset(), size - size % 64, p, a.yOffset());
                }
                if (size > 32) {
                    fusedEqualsTwoCalls(vector, t.x(), t.offset(), size - size % 32, p, a.yOffset());
                }
            }
            double[] ss = new double[rows];
            double[] sv = new double[rows];
            ScalarKernel.INSTANCE.sumSquares(t.x(), t.offset(), rows, size, ss);
            vector.sumSquares(t.x(), t.offset(), rows, size, sv);
            for (int r = 0; r < rows; r++) {
                assertEquals(Double.doubleToLongBits(ss[r]), Double.doubleToLongBits(sv[r]),
                        "sum of squares bits, row " + r + ": scalar " + ss[r] + ", vector " + sv[r]);
            }
            double[] ms = new double[rows];
            double[] qs = new double[rows];
            double[] mv = new double[rows];
            double[] qv = new double[rows];
            ScalarKernel.INSTANCE.rowMoments(t.x(), t.offset(), rows, size, ms, qs);
            vector.rowMoments(t.x(), t.offset(), rows, size, mv, qv);
            for (int r = 0; r < rows; r++) {
                assertEquals(Double.doubleToLongBits(ms[r]), Double.doubleToLongBits(mv[r]),
                        "row mean bits, row " + r + ": scalar " + ms[r] + ", vector " + mv[r]);
                assertEquals(Double.doubleToLongBits(qs[r]), Double.doubleToLongBits(qv[r]),
                        "row M2 bits, row " + r + ": scalar " + qs[r] + ", vector " + qv[r]);
            }
        });
    }

    /**
     * The scalar maps with x and y at one index read γ and β widened by {@link RowParams}: after a second
     * {@code positions} with new γ and β of the same size they must read the new ones, and parameters set by
     * {@code positionsOf} their source's. Against the maps at two indices, which read γ and β as floats.
     */
    @Test
    void widenedPositionsFollowEachPositionsCall() {
        Kernel scalar = ScalarKernel.INSTANCE;
        int rows = 3;
        int size = 37;
        SplittableRandom random = new SplittableRandom(7);
        float[] x = new float[rows * size + 1];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        RowParams own = new RowParams();
        RowParams shared = new RowParams();
        for (int round = 0; round < 3; round++) {
            float[] gamma = new float[size];
            float[] beta = new float[size];
            for (int j = 0; j < size; j++) {
                gamma[j] = (float) (1 + random.nextGaussian());
                beta[j] = (float) random.nextGaussian();
            }
            own.positions(gamma, round == 2 ? null : beta); // RMSNorm's positions have no β
            shared.positionsOf(own);
            for (RowParams q : new RowParams[] {own, shared}) {
                for (int r = 0; r < rows; r++) {
                    q.center()[r] = (float) random.nextGaussian();
                    q.scale()[r] = (float) (1 + random.nextDouble());
                }
                String what = (q == own ? "own" : "shared") + " positions, round " + round;
                float[] expected = new float[x.length];
                float[] inPlace = x.clone();
                if (round < 2) {
                    scalar.normalizeRows(x, 0, expected, 1, rows, size, q);
                    scalar.normalizeRows(inPlace, 0, inPlace, 0, rows, size, q);
                    NchwPropertyTest.assertSameBits(Arrays.copyOfRange(expected, 1, 1 + rows * size), inPlace, 0,
                            "normalizeRows in place, " + what);
                }
                scalar.scaleRows(x, 0, expected, 1, rows, size, q);
                inPlace = x.clone();
                scalar.scaleRows(inPlace, 0, inPlace, 0, rows, size, q);
                NchwPropertyTest.assertSameBits(Arrays.copyOfRange(expected, 1, 1 + rows * size), inPlace, 0,
                        "scaleRows in place, " + what);
            }
        }
    }

    /**
     * The kernels' two-row hooks ({@code scaleRowAndSumNext} with row 1's scale, {@code normalizeRowAndSumNext}) on
     * rows 0 and 1 of {@code size} floats: vector equal to scalar, and both equal to the two single-pass calls, into
     * y and, for RMSNorm's, in place (x and y at one index: the scalar loop C2 vectorizes).
     */
    private static void fusedEqualsTwoCalls(Kernel vector, float[] x, int offset, int size, RowParams p,
                                            int yOffset) {
        Kernel scalar = ScalarKernel.INSTANCE;
        int next = offset + size;
        float[] expected = NormalizePropertyTest.poisoned(yOffset + size + 2);
        RowParams second = new RowParams().positions(p.gamma(), p.beta()); // row 1's scale: the hooks take any row
        second.scale()[0] = p.scale()[1];
        scalar.scaleRows(x, offset, expected, yOffset, 1, size, second);
        double[] squares = new double[2];
        scalar.sumSquares(x, offset, 2, size, squares);
        double[] mean = new double[2];
        double[] m2 = new double[2];
        scalar.rowMoments(x, offset, 2, size, mean, m2);
        for (Kernel k : new Kernel[] {scalar, vector}) {
            String what = k.name() + ", size " + size;
            float[] y = NormalizePropertyTest.poisoned(yOffset + size + 2);
            double q = k.scaleRowAndSumNext(x, offset, y, yOffset, size, p, 1, next);
            NchwPropertyTest.assertSameBits(expected, y, 0, "scaleRowAndSumNext against scaleRows, " + what);
            assertEquals(Double.doubleToLongBits(squares[1]), Double.doubleToLongBits(q),
                    "scaleRowAndSumNext's sum against sumSquares, " + what);
            float[] inPlace = x.clone();
            q = k.scaleRowAndSumNext(inPlace, offset, inPlace, offset, size, p, 1, next);
            NchwPropertyTest.assertSameBits(Arrays.copyOfRange(expected, yOffset, yOffset + size), inPlace, offset,
                    "scaleRowAndSumNext in place against scaleRows, " + what);
            assertEquals(Double.doubleToLongBits(squares[1]), Double.doubleToLongBits(q),
                    "scaleRowAndSumNext's sum in place against sumSquares, " + what);
        }
        scalar.normalizeRows(x, offset, expected, yOffset, 1, size, p);
        for (Kernel k : new Kernel[] {scalar, vector}) {
            String what = k.name() + ", size " + size;
            float[] y = NormalizePropertyTest.poisoned(yOffset + size + 2);
            double[] sums = new double[2];
            k.normalizeRowAndSumNext(x, offset, y, yOffset, size, p, 0, next, sums);
            NchwPropertyTest.assertSameBits(expected, y, 0, "normalizeRowAndSumNext against normalizeRows, " + what);
            double[] mu = new double[1];
            double[] folded = new double[1];
            RowMoments.fold(x, next, size, sums[0], sums[1], mu, folded, 0); // as rowMoments folds its sums
            assertEquals(Double.doubleToLongBits(mean[1]), Double.doubleToLongBits(mu[0]),
                    "normalizeRowAndSumNext's mean against rowMoments, " + what);
            assertEquals(Double.doubleToLongBits(m2[1]), Double.doubleToLongBits(folded[0]),
                    "normalizeRowAndSumNext's M2 against rowMoments, " + what);
        }
        // The same with the float blocks of momentsNchw (LayerNorm's long rows): center, fused sums, fold.
        if (size > PlaneStatistics.MAX_BLOCK_LENGTH) {
            return; // several blocks a row: LayerNorm keeps the two passes
        }
        double[] blockMean = new double[2];
        double[] blockM2 = new double[2];
        scalar.momentsNchw(x, offset, 1, 2, size, 0, 2, blockMean, blockM2);
        for (Kernel k : new Kernel[] {scalar, vector}) {
            String what = k.name() + ", size " + size;
            float[] y = NormalizePropertyTest.poisoned(yOffset + size + 2);
            float center = PlaneStatistics.runCenter(k.planeDeviations(), x, next, size);
            float[] sums = new float[2];
            k.normalizeRowAndSumNextBlock(x, offset, y, yOffset, size, p, 0, next, center, sums);
            NchwPropertyTest.assertSameBits(expected, y, 0, "normalizeRowAndSumNextBlock against normalizeRows, "
                    + what);
            double[] mu = new double[1];
            double[] folded = new double[1];
            PlaneStatistics.foldRun(k.planeDeviations(), x, next, size, center, sums[0], sums[1], mu, folded, 0);
            assertEquals(Double.doubleToLongBits(blockMean[1]), Double.doubleToLongBits(mu[0]),
                    "normalizeRowAndSumNextBlock's mean against momentsNchw, " + what);
            assertEquals(Double.doubleToLongBits(blockM2[1]), Double.doubleToLongBits(folded[0]),
                    "normalizeRowAndSumNextBlock's M2 against momentsNchw, " + what);
        }
    }
}
