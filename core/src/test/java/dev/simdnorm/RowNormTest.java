package dev.simdnorm;

import dev.simdnorm.internal.RowMoments;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * LayerNorm and RMSNorm: exact dyadic cases, the accuracy bars on rows far from zero and on long rows, and bad
 * input rejected with nothing written.
 */
class RowNormTest {

    @Test
    void layerNormOfDyadicRowsIsExact() {
        // Rows {−1, 1} and {2, 6}: means 0 and 4, variances 1 and 4; with ε = 3 and ε = 12 the roots are 2 and 4,
        // so every step is exact: y = (x − μ)/√(σ² + ε)·γ + β.
        LayerNorm ln = LayerNorm.builder(2).epsilon(3f).gamma(new float[] {2f, 4f}).beta(new float[] {1f, -1f})
                .build();
        float[] y = new float[2];
        float[] mean = new float[1];
        float[] inv = new float[1];
        ln.apply(new float[] {-1f, 1f}, 0, y, 0, 1, mean, inv);
        assertArrayEquals(new float[] {0f, 1f}, y); // (−1/2)·2 + 1, (1/2)·4 − 1
        assertEquals(0f, mean[0]);
        assertEquals(0.5f, inv[0]);
        LayerNorm wide = LayerNorm.builder(2).epsilon(12f).build();
        wide.apply(new float[] {2f, 6f}, 0, y, 0, 1);
        assertArrayEquals(new float[] {-0.5f, 0.5f}, y);
    }

    @Test
    void rmsNormOfDyadicRowsIsExact() {
        // mean(x²) = 1, ε = 3: y = x/2·γ.
        RmsNorm rms = RmsNorm.builder(4).epsilon(3f).gamma(new float[] {1f, 2f, 4f, 8f}).build();
        float[] y = new float[4];
        rms.apply(new float[] {1f, -1f, 1f, -1f}, 0, y, 0, 1);
        assertArrayEquals(new float[] {0.5f, -1f, 2f, -4f}, y);
    }

    @Test
    void constantRowGivesBeta() {
        // σ² = 0: every deviation is exactly 0, so y = β whatever ε.
        float[] beta = {0.25f, -3f, 7f};
        LayerNorm ln = LayerNorm.builder(3).beta(beta).build();
        float[] y = new float[6];
        ln.apply(new float[] {1e4f, 1e4f, 1e4f, -5f, -5f, -5f}, 0, y, 0, 2);
        assertArrayEquals(new float[] {0.25f, -3f, 7f, 0.25f, -3f, 7f}, y);
    }

    @Test
    void layerNormFarFromZeroMeetsTheBars() {
        // The bar: rows of 4096 floats of mean 1e4 and sd 1; variance within 1e-6 relative (here through
        // 1/√(σ² + ε), whose relative error is half the variance's plus one rounding), y within 1e-5. Also rows
        // short enough for the double sums of RowMoments (up to 2048 floats), and the longest of them.
        for (int size : new int[] {4096, 64, 768, RowMoments.LONGEST, RowMoments.LONGEST + 1}) {
            farFromZero(size);
        }
    }

    private static void farFromZero(int size) {
        int rows = 8;
        SplittableRandom r = new SplittableRandom(42);
        float[] x = new float[rows * size];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (1e4 + r.nextGaussian());
        }
        float[] y = new float[x.length];
        float[] mean = new float[rows];
        float[] inv = new float[rows];
        float epsilon = 1e-5f;
        LayerNorm.builder(size).build().apply(x, 0, y, 0, rows, mean, inv);
        Oracle.Stats s = Oracle.planeMoments(x, 0, 1, rows, size);
        for (int row = 0; row < rows; row++) {
            double exactInv = 1 / Math.sqrt(s.variance(row) + epsilon);
            double rel = Math.abs(inv[row] - exactInv) / exactInv;
            assertTrue(rel <= 0.5e-6 + Oracle.U, "size " + size + ", row " + row + ": 1/√(σ² + ε) off by " + rel
                    + " relative");
            for (int j = 0; j < size; j++) {
                double exact = (x[row * size + j] - s.mean()[row]) * exactInv;
                assertEquals(exact, y[row * size + j], 1e-5, "size " + size + ", row " + row + ", position " + j);
            }
        }
    }

    @Test
    void rmsNormOfLongRowsIsWithinFourRoundings() {
        // The bar: y within 4 float roundings (relative) on a row of 2²⁰ floats. The scale rounds once, x·s
        // once and the product with γ once: 3 units of 2⁻²⁴ plus the double sums' far smaller error.
        int size = 1 << 20;
        SplittableRandom r = new SplittableRandom(7);
        float[] x = new float[size];
        float[] gamma = new float[size];
        for (int i = 0; i < size; i++) {
            x[i] = (float) (3 * r.nextGaussian() + 1);
            gamma[i] = (float) (1 + 0.5 * r.nextGaussian());
        }
        float[] y = new float[size];
        RmsNorm.builder(size).gamma(gamma).build().apply(x, 0, y, 0, 1);
        double sum = 0;
        for (float v : x) {
            sum += (double) v * v;
        }
        double scale = 1 / Math.sqrt(sum / size + 1e-5f);
        for (int j = 0; j < size; j++) {
            double exact = x[j] * scale * gamma[j];
            assertTrue(Math.abs(y[j] - exact) <= 4 * Oracle.U * Math.abs(exact) + Float.MIN_VALUE,
                    "position " + j + ": " + y[j] + ", expected " + exact);
        }
    }

    @Test
    void badArgumentsAreRejectedWithNothingWritten() {
        LayerNorm ln = LayerNorm.builder(4).build();
        RmsNorm rms = RmsNorm.builder(4).build();
        float[] x = new float[8];
        float[] y = NormalizePropertyTest.poisoned(8);
        float[] before = y.clone();
        float[] mean = new float[2];
        float[] inv = new float[2];
        assertThrows(NullPointerException.class, () -> ln.apply(null, 0, y, 0, 2));
        assertThrows(NullPointerException.class, () -> rms.apply(x, 0, null, 0, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> ln.apply(x, -1, y, 0, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> ln.apply(x, 1, y, 0, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> rms.apply(x, 0, y, 5, 1));
        assertThrows(IllegalArgumentException.class, () -> ln.apply(x, 0, y, 0, -1));
        assertThrows(IllegalArgumentException.class, () -> rms.apply(y, 0, y, 1, 1)); // partial overlap
        assertThrows(IllegalArgumentException.class, () -> ln.apply(x, 0, y, 0, 2, new float[1], inv));
        assertThrows(IllegalArgumentException.class, () -> ln.apply(x, 0, y, 0, 2, mean, mean));
        assertThrows(IllegalArgumentException.class, () -> ln.apply(x, 0, y, 0, 2, x, inv));
        assertThrows(NullPointerException.class, () -> ln.apply(x, 0, y, 0, 2, mean, null));
        float[] r = new float[8];
        assertThrows(IllegalArgumentException.class, () -> ln.apply(x, 0, r, 0, y, 0, y, 2, 1)); // h overlaps y
        assertThrows(IllegalArgumentException.class, () -> rms.apply(x, 0, r, 0, y, 0, y, 0, 2)); // h is y
        assertThrows(IllegalArgumentException.class, () -> ln.apply(x, 0, r, 1, r, 0, 1)); // y partly on residual
        assertThrows(NullPointerException.class, () -> rms.apply(x, 0, null, 0, y, 0, 2));
        assertThrows(NullPointerException.class, () -> ln.apply(x, 0, r, 0, y, 0, null, 0, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> rms.apply(x, 0, r, 0, y, 0, new float[4], 0, 2));
        assertArrayEquals(new float[8], r, "a call that threw wrote the residual");
        assertArrayEquals(before, y, "a call that threw wrote y");
        assertArrayEquals(new float[2], mean, "a call that threw wrote mean");
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                () -> ln.apply(x, 0, new float[7], 0, 2));
        assertTrue(e.getMessage().contains("size 4"), e.getMessage());
    }

    @Test
    void badParametersAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> LayerNorm.builder(0));
        assertThrows(IllegalArgumentException.class, () -> RmsNorm.builder(-3));
        assertThrows(IllegalArgumentException.class, () -> LayerNorm.builder(2).epsilon(0f));
        assertThrows(IllegalArgumentException.class, () -> RmsNorm.builder(2).epsilon(Float.NaN));
        assertThrows(IllegalArgumentException.class, () -> LayerNorm.builder(2).gamma(new float[3]));
        assertThrows(IllegalArgumentException.class, () -> LayerNorm.builder(2).beta(new float[] {0f, Float.NaN}));
        assertThrows(IllegalArgumentException.class,
                () -> RmsNorm.builder(2).gamma(new float[] {Float.POSITIVE_INFINITY, 1f}));
        assertThrows(NullPointerException.class, () -> RmsNorm.builder(2).gamma(null));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LayerNorm.builder(2).gamma(new float[3]));
        assertTrue(e.getMessage().contains("gamma") && e.getMessage().contains("size"), e.getMessage());
    }

    @Test
    void layersCopyTheirParameters() {
        float[] gamma = {1f, 2f};
        LayerNorm ln = LayerNorm.builder(2).gamma(gamma).build();
        gamma[0] = 99f;
        ln.gamma()[1] = 99f;
        assertArrayEquals(new float[] {1f, 2f}, ln.gamma());
        assertEquals("LayerNorm[size=2, epsilon=1.0E-5]", ln.toString());
        assertEquals(1e-5f, RmsNorm.builder(3).build().epsilon());
        assertTrue(RmsNorm.builder(3).build().toString().startsWith("RmsNorm[size=3"));
        assertEquals("LayerNormBuilder[size=2, epsilon=0.001]", LayerNorm.builder(2).epsilon(1e-3f).toString());
        assertEquals("RmsNormBuilder[size=3, epsilon=1.0E-5]", RmsNorm.builder(3).toString());
    }

    @Test
    void zeroRowsWriteNothing() {
        float[] y = NormalizePropertyTest.poisoned(4);
        LayerNorm.builder(4).build().apply(new float[0], 0, y, 0, 0);
        RmsNorm.builder(4).build().apply(new float[0], 0, y, 0, 0);
        assertTrue(Arrays.equals(NormalizePropertyTest.poisoned(4), y));
    }

    @Test
    void everyParallelismGivesTheSequentialBits() {
        // 2.3 M floats, past the 1 M-float threshold from which a Parallelism spreads; rows of 768 (runs of 341 rows).
        int size = 768;
        int rows = 3000;
        SplittableRandom random = new SplittableRandom(7);
        float[] x = NchwPropertyTest.gaussians(random, rows * size, 1e3, 2);
        float[] residual = NchwPropertyTest.gaussians(random, rows * size, 0, 1);
        float[] gamma = NchwPropertyTest.gaussians(random, size, 1, 0.2);
        LayerNorm ln = LayerNorm.builder(size).gamma(gamma).beta(NchwPropertyTest.gaussians(random, size, 0, 1))
                .build();
        RmsNorm rms = RmsNorm.builder(size).gamma(gamma).build();
        float[] lnY = new float[x.length];
        float[] mean = new float[rows];
        float[] inv = new float[rows];
        float[] rmsY = new float[x.length];
        float[] lnResidualY = new float[x.length];
        float[] rmsResidualY = new float[x.length];
        float[] h = new float[x.length];
        ln.apply(x, 0, lnY, 0, rows, mean, inv);
        rms.apply(x, 0, rmsY, 0, rows);
        ln.apply(x, 0, residual, 0, lnResidualY, 0, h, 0, rows);
        rms.apply(x, 0, residual, 0, rmsResidualY, 0, h, 0, rows);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(3);
        try {
            for (int threads = 1; threads <= 4; threads++) {
                Parallelism p = Parallelism.of(pool, threads);
                float[] y = new float[x.length];
                float[] m = new float[rows];
                float[] v = new float[rows];
                ln.apply(x, 0, y, 0, rows, m, v, p);
                assertArrayEquals(lnY, y, "LayerNorm on " + threads + " threads");
                assertArrayEquals(mean, m, "LayerNorm's mean on " + threads + " threads");
                assertArrayEquals(inv, v, "LayerNorm's invStdDev on " + threads + " threads");
                ln.apply(x, 0, y, 0, rows, p);
                assertArrayEquals(lnY, y, "LayerNorm without outputs on " + threads + " threads");
                rms.apply(x, 0, y, 0, rows, p);
                assertArrayEquals(rmsY, y, "RMSNorm on " + threads + " threads");
                float[] hs = new float[x.length];
                ln.apply(x, 0, residual, 0, y, 0, hs, 0, rows, p);
                assertArrayEquals(lnResidualY, y, "LayerNorm residual on " + threads + " threads");
                assertArrayEquals(h, hs, "h on " + threads + " threads");
                rms.apply(x, 0, residual, 0, y, 0, hs, 0, rows, p);
                assertArrayEquals(rmsResidualY, y, "RMSNorm residual on " + threads + " threads");
                // without h the sum is formed in y, rounded to float as h is: the same bits
                float[] noH = new float[x.length];
                ln.apply(x, 0, residual, 0, noH, 0, rows, p);
                assertArrayEquals(lnResidualY, noH, "LayerNorm residual without h on " + threads + " threads");
                rms.apply(x, 0, residual, 0, noH, 0, rows, p);
                assertArrayEquals(rmsResidualY, noH, "RMSNorm residual without h on " + threads + " threads");
            }
        } finally {
            pool.shutdown();
        }
        assertThrows(NullPointerException.class, () -> ln.apply(x, 0, lnY, 0, rows, null));
        assertThrows(NullPointerException.class, () -> rms.apply(x, 0, residual, 0, rmsY, 0, h, 0, rows, null));
        assertThrows(NullPointerException.class, () -> ln.apply(x, 0, residual, 0, lnY, 0, rows, null));
        assertThrows(NullPointerException.class, () -> rms.apply(x, 0, residual, 0, rmsY, 0, rows, null));
    }

    /**
     * Calls of at least 2¹⁸ floats in rows of ≥ 256, or 2²¹ in rows of 64 to 255 (2¹⁴ floats in more than two rows of
     * ≥ 512) write each row while they sum the row two ahead, and form the residual sums 64 rows at a time ahead of
     * that (three rows at a time in rows of 64); one row at a time, a call takes two plain passes. Each row takes
     * the same operations either way, so the bits must agree, with and without the residual.
     */
    @Test
    void pipelinedCallsEqualRowByRow() {
        SplittableRandom random = new SplittableRandom(31);
        for (int size : new int[] {64, 100, 512, 768, 2048, 4096}) {
            int least = Math.ceilDiv(size < 256 ? 1 << 21 : 1 << 18, size);
            int leastLong = Math.ceilDiv(1 << 14, size); // rows of ≥ 512 from 2¹⁴ floats, more than two rows
            for (int rows : new int[] {1, 2, 3, leastLong, leastLong + 1, least, least + 1, least + 2, least + 63,
                    least + 65, least + 130}) {
                float[] x = new float[rows * size];
                float[] residual = new float[x.length];
                float[] gamma = new float[size];
                float[] beta = new float[size];
                // Every fifth row spread beyond float's range (M2 about 2.25·2²⁵⁴), with a value whose deviation
                // overflows float: written element by element, the row two after it summed in a pass of its own.
                double wide = 1.5 * 0x1p127 / Math.sqrt(size);
                for (int i = 0; i < x.length; i++) {
                    x[i] = i / size % 5 == 3
                            ? (i % size == 5 ? -3e38f : (float) Math.clamp(2e38 + wide * random.nextGaussian(),
                                    -Float.MAX_VALUE, Float.MAX_VALUE))
                            : (float) (random.nextGaussian() * 3 + (i / size % 3 == 0 ? 1e4 : 1));
                    residual[i] = (float) random.nextGaussian();
                }
                for (int j = 0; j < size; j++) {
                    gamma[j] = (float) (1 + 0.2 * random.nextGaussian());
                    beta[j] = (float) random.nextGaussian();
                }
                LayerNorm ln = LayerNorm.builder(size).gamma(gamma).beta(beta).build();
                RmsNorm rms = RmsNorm.builder(size).gamma(gamma).build();
                String what = rows + " rows of " + size;
                float[] whole = new float[x.length];
                float[] single = new float[x.length];
                float[] mean = new float[rows];
                float[] inv = new float[rows];
                float[] mean1 = new float[1];
                float[] inv1 = new float[1];
                ln.apply(x, 0, whole, 0, rows, mean, inv);
                for (int r = 0; r < rows; r++) {
                    ln.apply(x, r * size, single, r * size, 1, mean1, inv1);
                    assertEquals(mean1[0], mean[r], "LayerNorm mean, row " + r + " of " + what);
                    assertEquals(inv1[0], inv[r], "LayerNorm 1/σ, row " + r + " of " + what);
                }
                assertArrayEquals(single, whole, "LayerNorm, " + what);
                rms.apply(x, 0, whole, 0, rows);
                for (int r = 0; r < rows; r++) {
                    rms.apply(x, r * size, single, r * size, 1);
                }
                assertArrayEquals(single, whole, "RMSNorm, " + what);
                float[] h = new float[x.length];
                float[] hSingle = new float[x.length];
                ln.apply(x, 0, residual, 0, whole, 0, h, 0, rows);
                for (int r = 0; r < rows; r++) {
                    ln.apply(x, r * size, residual, r * size, single, r * size, hSingle, r * size, 1);
                }
                assertArrayEquals(single, whole, "LayerNorm residual, " + what);
                assertArrayEquals(hSingle, h, "LayerNorm residual's h, " + what);
                float[] inPlace = x.clone();
                rms.apply(inPlace, 0, residual, 0, inPlace, 0, rows); // the sum formed in y = x, normalized there
                for (int r = 0; r < rows; r++) {
                    rms.apply(x, r * size, residual, r * size, single, r * size, 1);
                }
                assertArrayEquals(single, inPlace, "RMSNorm residual in place, " + what);
                // y over the residual and h over x: each row's sum is formed (reading x and the residual) before
                // its row of h or of y is written, also where the pipeline forms the sums rows ahead.
                float[] onX = x.clone();
                float[] onResidual = residual.clone();
                ln.apply(onX, 0, onResidual, 0, onResidual, 0, onX, 0, rows);
                ln.apply(x, 0, residual, 0, whole, 0, h, 0, rows);
                assertArrayEquals(whole, onResidual, "LayerNorm residual, y on the residual, " + what);
                assertArrayEquals(h, onX, "LayerNorm residual, h on x, " + what);
                onX = x.clone();
                onResidual = residual.clone();
                rms.apply(onX, 0, onResidual, 0, onResidual, 0, onX, 0, rows);
                rms.apply(x, 0, residual, 0, whole, 0, h, 0, rows);
                assertArrayEquals(whole, onResidual, "RMSNorm residual, y on the residual, " + what);
                assertArrayEquals(h, onX, "RMSNorm residual, h on x, " + what);
            }
        }
    }
    /**
     * Rows whose values spread beyond float's range (M2 ≥ 2²⁵⁴), far from zero, stay centered. Each row repeats
     * c, c, c, c − 3D with c = 1.5·2¹²⁷ and D = 2ᵏ, k = 127 − ⌊log₂(size)/2⌋: all floats, the mean c − 3D/4 and
     * every deviation (3D/4, −9D/4) exact floats, and so is every sum of deviations from the row's first value (a
     * multiple of 3D); σ² = 27D²/16 (M2 = 27/16·2²⁵⁴ or more), so y = 1/√3 or −√3, ε being 2⁻²¹⁰ of σ² or less. Only
     * the scale's rounding and u = (x − μ)·s's round (y = fma(u, 1, 0) is u): 2u relative. Folded as
     * {@code x·s − μ·s} (the form before), the roundings of s and μ·s, with |μ|·s = 36 to 1,182, put y up to 2u·|μ|·s
     * off. Row lengths on every path: RowMoments' double sums (1024), float blocks (4096) and several blocks a row
     * (2²¹); few rows (two passes) and 2¹⁸ floats or more (rows written while later rows are summed), in place too,
     * an ordinary row (the same pattern with D = 1, c = 1) between wide ones.
     */
    @Test
    void rowsSpreadBeyondFloatStayCentered() {
        float epsilon = 1e-5f;
        for (int size : new int[] {1024, 4096, 1 << 21}) {
            int k = 127 - Integer.numberOfTrailingZeros(size) / 2;
            for (int rows : new int[] {1, 3, Math.max(3, (1 << 18) / size + 2)}) {
                float[] x = new float[rows * size];
                for (int r = 0; r < rows; r++) {
                    float c = r == 1 ? 1f : 0x1.8p127f;
                    float d = r == 1 ? 1f : Math.scalb(1f, k);
                    for (int j = 0; j < size; j++) {
                        x[r * size + j] = j % 4 == 3 ? c - 3 * d : c;
                    }
                }
                float[] y = new float[x.length];
                float[] mean = new float[rows];
                float[] inv = new float[rows];
                LayerNorm ln = LayerNorm.builder(size).epsilon(epsilon).build();
                ln.apply(x, 0, y, 0, rows, mean, inv);
                float[] inPlace = x.clone();
                ln.apply(inPlace, 0, inPlace, 0, rows);
                String what = rows + " rows of " + size;
                assertArrayEquals(y, inPlace, "in place, " + what);
                for (int r = 0; r < rows; r++) {
                    double d = r == 1 ? 1 : Math.scalb(1.0, k);
                    assertEquals((float) ((r == 1 ? 1 : 0x1.8p127) - 0.75 * d), mean[r], "mean, row " + r);
                    double s = 1 / Math.sqrt(27.0 / 16 * d * d + epsilon);
                    for (int j = 0; j < size; j++) {
                        double want = (j % 4 == 3 ? -2.25 : 0.75) * d * s;
                        assertEquals(want, y[r * size + j], 2 * 0x1p-24 * Math.abs(want), // 2u, the analysis above
                                "y at " + j + " of row " + r + " of " + what);
                    }
                }
            }
        }
    }

    /**
     * A deviation that overflows float in a finite row, mapped in double: rows of 3, [a, a, −a] with a = 3e38, have
     * mean a/3 and σ = a·√8/3, so y = [1/√2, 1/√2, −√2], though −a − a/3 ≈ −4e38 is beyond float; rows of 64, 48 a and
     * 16 −a, mean a/2 and σ = a·√3/2, so y = 1/√3 and −√3 (−a − a/2 ≈ −4.5e38). The map's center, the mean as a hi/lo
     * float pair, is off the mean by at most u²·|μ|, the scale by u relative; that element's u = (x − μ)·s rounds once
     * (in double first, 2⁻²⁹ of that), the others' x − μ_hi, its − μ_lo and u once each; y = fma(u, 1, 0) is u: 4u
     * relative in all, to first order. One row of each (two passes) and 4,096 rows of 64 (2¹⁸ floats: rows written
     * while later rows are summed).
     */
    @Test
    void deviationBeyondFloatIsMappedInDouble() {
        float a = 3e38f;
        double[][] expected = {{Math.sqrt(0.5), Math.sqrt(0.5), -Math.sqrt(2)}, {1 / Math.sqrt(3), -Math.sqrt(3)}};
        for (int size : new int[] {3, 64}) {
            for (int rows : new int[] {1, 4096}) {
                float[] x = new float[size * rows];
                double[] want = new double[x.length];
                for (int i = 0; i < x.length; i++) {
                    boolean negative = size == 3 ? i % 3 == 2 : i % 64 >= 48;
                    x[i] = negative ? -a : a;
                    want[i] = size == 3 ? expected[0][i % 3] : expected[1][negative ? 1 : 0];
                }
                float[] y = new float[x.length];
                LayerNorm.builder(size).epsilon(1e-5f).build().apply(x, 0, y, 0, rows);
                for (int i = 0; i < x.length; i++) {
                    assertEquals(want[i], y[i], 4 * 0x1p-24 * Math.abs(want[i]),
                            "y at " + i + " of " + rows + " rows of " + size);
                }
            }
        }
    }
}
