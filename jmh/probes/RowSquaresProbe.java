import jdk.incubator.vector.*;

/**
 * Probe, outside the build: the per-row sums of squares of RMSNorm's rows of 64 floats (the library's
 * {@code VectorRowTotals.rowSquares}, copied: half-width float loads widened to doubles, four accumulators, one store
 * a row), beside a whole-vector form widening both halves ({@code convertShape} part 0 and 1), the same sums in float,
 * the same conversions and adds streamed over all rows, and the read-only sum, ns a row over 1,024 rows (256 KiB).
 * Argument 2 picks the loops a JVM runs (h, w, r, f, c); each JVM prints its last rounds. Not a benchmark.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector jmh/probes/RowSquaresProbe.java 1024 [hwrfc]
 * </pre>
 */
public class RowSquaresProbe {
    static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_512;
    static final VectorSpecies<Float> HALF = FloatVector.SPECIES_256;
    static final VectorSpecies<Double> DOUBLES = DoubleVector.SPECIES_512;
    static final int LANES = 8, WIDTH = 32;

    static void rowSquaresHalf(float[] x, int base, int length, double[] s, int at) {
        DoubleVector a0 = DoubleVector.zero(DOUBLES), a1 = a0, a2 = a0, a3 = a0;
        int full = length / WIDTH;
        for (int k = 0, i = base; k < full; k++, i += WIDTH) {
            DoubleVector d0 = (DoubleVector) FloatVector.fromArray(HALF, x, i).convertShape(VectorOperators.F2D, DOUBLES, 0);
            DoubleVector d1 = (DoubleVector) FloatVector.fromArray(HALF, x, i + LANES).convertShape(VectorOperators.F2D, DOUBLES, 0);
            DoubleVector d2 = (DoubleVector) FloatVector.fromArray(HALF, x, i + 2 * LANES).convertShape(VectorOperators.F2D, DOUBLES, 0);
            DoubleVector d3 = (DoubleVector) FloatVector.fromArray(HALF, x, i + 3 * LANES).convertShape(VectorOperators.F2D, DOUBLES, 0);
            a0 = d0.fma(d0, a0); a1 = d1.fma(d1, a1); a2 = d2.fma(d2, a2); a3 = d3.fma(d3, a3);
        }
        a0.add(a2).add(a1.add(a3)).intoArray(s, at);
    }

    static void rowSquaresWhole(float[] x, int base, int length, double[] s, int at) {
        DoubleVector a0 = DoubleVector.zero(DOUBLES), a1 = a0, a2 = a0, a3 = a0;
        int full = length / WIDTH;
        for (int k = 0, i = base; k < full; k++, i += WIDTH) {
            FloatVector f0 = FloatVector.fromArray(FLOATS, x, i);
            FloatVector f1 = FloatVector.fromArray(FLOATS, x, i + 16);
            DoubleVector d0 = (DoubleVector) f0.convertShape(VectorOperators.F2D, DOUBLES, 0);
            DoubleVector d1 = (DoubleVector) f0.convertShape(VectorOperators.F2D, DOUBLES, 1);
            DoubleVector d2 = (DoubleVector) f1.convertShape(VectorOperators.F2D, DOUBLES, 0);
            DoubleVector d3 = (DoubleVector) f1.convertShape(VectorOperators.F2D, DOUBLES, 1);
            a0 = d0.fma(d0, a0); a1 = d1.fma(d1, a1); a2 = d2.fma(d2, a2); a3 = d3.fma(d3, a3);
        }
        a0.add(a2).add(a1.add(a3)).intoArray(s, at);
    }


    static void rowSquaresPair(float[] x, int base, int length, double[] s, int at) {
        DoubleVector a0 = DoubleVector.zero(DOUBLES), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int full = length / WIDTH;
        int base2 = base + length;
        for (int k = 0, i = base, j = base2; k < full; k++, i += WIDTH, j += WIDTH) {
            DoubleVector d0 = (DoubleVector) FloatVector.fromArray(HALF, x, i).convertShape(VectorOperators.F2D, DOUBLES, 0);
            DoubleVector d1 = (DoubleVector) FloatVector.fromArray(HALF, x, i + LANES).convertShape(VectorOperators.F2D, DOUBLES, 0);
            DoubleVector d2 = (DoubleVector) FloatVector.fromArray(HALF, x, i + 2 * LANES).convertShape(VectorOperators.F2D, DOUBLES, 0);
            DoubleVector d3 = (DoubleVector) FloatVector.fromArray(HALF, x, i + 3 * LANES).convertShape(VectorOperators.F2D, DOUBLES, 0);
            DoubleVector e0 = (DoubleVector) FloatVector.fromArray(HALF, x, j).convertShape(VectorOperators.F2D, DOUBLES, 0);
            DoubleVector e1 = (DoubleVector) FloatVector.fromArray(HALF, x, j + LANES).convertShape(VectorOperators.F2D, DOUBLES, 0);
            DoubleVector e2 = (DoubleVector) FloatVector.fromArray(HALF, x, j + 2 * LANES).convertShape(VectorOperators.F2D, DOUBLES, 0);
            DoubleVector e3 = (DoubleVector) FloatVector.fromArray(HALF, x, j + 3 * LANES).convertShape(VectorOperators.F2D, DOUBLES, 0);
            a0 = d0.fma(d0, a0); a1 = d1.fma(d1, a1); a2 = d2.fma(d2, a2); a3 = d3.fma(d3, a3);
            b0 = e0.fma(e0, b0); b1 = e1.fma(e1, b1); b2 = e2.fma(e2, b2); b3 = e3.fma(e3, b3);
        }
        a0.add(a2).add(a1.add(a3)).intoArray(s, at);
        b0.add(b2).add(b1.add(b3)).intoArray(s, at + LANES);
    }
    static double runPair(float[] x, int rows, int size, double[] s) {
        for (int r = 0; r < rows; r += 8)
            for (int k = 0; k < 8; k += 2) rowSquaresPair(x, (r + k) * size, size, s, k * LANES);
        return s[3];
    }
    // no method per row: whole 8-row group loop in one method, the per-row loop inlined by hand
    static double runFlat(float[] x, int rows, int size, double[] s) {
        for (int r = 0; r < rows; r++) {
            int i = r * size;
            DoubleVector a0 = DoubleVector.zero(DOUBLES), a1 = a0, a2 = a0, a3 = a0;
            for (int e = i + size; i < e; i += WIDTH) {
                DoubleVector d0 = (DoubleVector) FloatVector.fromArray(HALF, x, i).convertShape(VectorOperators.F2D, DOUBLES, 0);
                DoubleVector d1 = (DoubleVector) FloatVector.fromArray(HALF, x, i + LANES).convertShape(VectorOperators.F2D, DOUBLES, 0);
                DoubleVector d2 = (DoubleVector) FloatVector.fromArray(HALF, x, i + 2 * LANES).convertShape(VectorOperators.F2D, DOUBLES, 0);
                DoubleVector d3 = (DoubleVector) FloatVector.fromArray(HALF, x, i + 3 * LANES).convertShape(VectorOperators.F2D, DOUBLES, 0);
                a0 = d0.fma(d0, a0); a1 = d1.fma(d1, a1); a2 = d2.fma(d2, a2); a3 = d3.fma(d3, a3);
            }
            a0.add(a2).add(a1.add(a3)).intoArray(s, (r & 7) * LANES);
        }
        return s[3];
    }

    static double runFloat(float[] x, int rows, int size, double[] s) {
        float[] fs = FS;
        for (int r = 0; r < rows; r++) {
            int i = r * size;
            FloatVector a0 = FloatVector.zero(FLOATS), a1 = a0;
            for (int e = i + size; i < e; i += 32) {
                FloatVector d0 = FloatVector.fromArray(FLOATS, x, i);
                FloatVector d1 = FloatVector.fromArray(FLOATS, x, i + 16);
                a0 = d0.fma(d0, a0); a1 = d1.fma(d1, a1);
            }
            a0.add(a1).intoArray(fs, (r & 7) * 16);
        }
        return fs[3];
    }
    static final float[] FS = new float[128];
    static double runCvtOnly(float[] x, int rows, int size, double[] s) {
        DoubleVector a0 = DoubleVector.zero(DOUBLES), a1 = a0, a2 = a0, a3 = a0;
        for (int i = 0; i < rows * size; i += WIDTH) {
            a0 = a0.add((DoubleVector) FloatVector.fromArray(HALF, x, i).convertShape(VectorOperators.F2D, DOUBLES, 0));
            a1 = a1.add((DoubleVector) FloatVector.fromArray(HALF, x, i + 8).convertShape(VectorOperators.F2D, DOUBLES, 0));
            a2 = a2.add((DoubleVector) FloatVector.fromArray(HALF, x, i + 16).convertShape(VectorOperators.F2D, DOUBLES, 0));
            a3 = a3.add((DoubleVector) FloatVector.fromArray(HALF, x, i + 24).convertShape(VectorOperators.F2D, DOUBLES, 0));
        }
        a0.add(a1).add(a2.add(a3)).intoArray(s, 0);
        return s[3];
    }
    static double runHalf(float[] x, int rows, int size, double[] s) {
        for (int r = 0; r < rows; r += 8)
            for (int k = 0; k < 8; k++) rowSquaresHalf(x, (r + k) * size, size, s, k * LANES);
        return s[3];
    }
    static double runWhole(float[] x, int rows, int size, double[] s) {
        for (int r = 0; r < rows; r += 8)
            for (int k = 0; k < 8; k++) rowSquaresWhole(x, (r + k) * size, size, s, k * LANES);
        return s[3];
    }
    // a plain float sum of the same floats: the read ceiling
    static float readSum(float[] x) {
        FloatVector a = FloatVector.zero(FLOATS), b = a, c = a, d = a;
        for (int i = 0; i < x.length; i += 64) {
            a = a.add(FloatVector.fromArray(FLOATS, x, i)); b = b.add(FloatVector.fromArray(FLOATS, x, i + 16));
            c = c.add(FloatVector.fromArray(FLOATS, x, i + 32)); d = d.add(FloatVector.fromArray(FLOATS, x, i + 48));
        }
        return a.add(b).add(c.add(d)).reduceLanes(VectorOperators.ADD);
    }

    public static void main(String[] a) {
        String only = a.length > 1 ? a[1] : "hwrfc";
        int size = 64, rows = Integer.parseInt(a[0]);
        float[] x = new float[rows * size];
        java.util.Random rnd = new java.util.Random(1);
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        double[] s = new double[64];
        double sink = 0;
        int reps = Math.max(1, 4_000_000 / x.length);
        for (int round = 0; round < 12; round++) {
            long t0 = System.nanoTime();
            if (only.indexOf('h') >= 0) for (int i = 0; i < reps; i++) sink += runHalf(x, rows, size, s);
            long t1 = System.nanoTime();
            if (only.indexOf('w') >= 0) for (int i = 0; i < reps; i++) sink += runWhole(x, rows, size, s);
            long t2 = System.nanoTime();
            if (only.indexOf('r') >= 0) for (int i = 0; i < reps; i++) sink += readSum(x);
            long t3 = System.nanoTime();
            if (only.indexOf('f') >= 0) for (int i = 0; i < reps; i++) sink += runFloat(x, rows, size, s);
            long t4 = System.nanoTime();
            if (only.indexOf('c') >= 0) for (int i = 0; i < reps; i++) sink += runCvtOnly(x, rows, size, s);
            long t5 = System.nanoTime();
            if (round >= 6) System.out.printf("half %.2f  whole %.2f  readSum %.2f float %.2f cvtOnly %.2f ns/row%n", (t1 - t0) / (double) reps / rows, (t2 - t1) / (double) reps / rows, (t3 - t2) / (double) reps / rows, (t4 - t3) / (double) reps / rows, (t5 - t4) / (double) reps / rows);
        }
        System.out.println(sink);
    }
}
