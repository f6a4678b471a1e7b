package dev.simdnorm.internal.vector;

import dev.simdnorm.internal.RowMoments;
import dev.simdnorm.internal.RowSquares;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The row sums of {@link RowMoments} and {@link RowSquares} eight rows at a time, where a vector holds eight doubles
 * (512 bits). Each row's 32 accumulators are four vectors, added as the pairwise sum does (w = 16 and 8, between
 * vectors) into one vector per row; the last three steps (w = 4, 2, 1: lane i adds lane i + w) are then taken for
 * eight rows together, two rows' lanes blended into one vector at each step, so that eight sums cost seven adds and
 * a final permutation where one row at a time takes three rotations, three adds and a lane extraction, a chain of
 * dependent steps per row. Each sum gets the same adds on the same values (an add is commutative, bit for bit), so
 * the bits are those of the per-row path. On rows of 64 floats that per-row reduction was a fifth of a row's time.
 */
final class VectorRowTotals {

    private static final VectorSpecies<Float> FLOATS = Lanes.FLOATS;
    private static final VectorSpecies<Float> HALF_FLOATS = Lanes.HALF_FLOATS;
    private static final VectorSpecies<Double> DOUBLES = Lanes.DOUBLES;
    private static final int LANES = Lanes.DOUBLE_LANES;
    private static final int WIDTH = RowSquares.WIDTH;

    /** Rows per group: one per lane, where a vector holds eight doubles; 0 where this path is not taken. */
    static final int GROUP = LANES == 8 && 4 * LANES == WIDTH ? 8 : 0;

    // Masks and permutations of the across-row steps (eight lanes); unused at other widths.
    private static final VectorMask<Double> HIGH_FOUR = VectorMask.fromLong(DOUBLES, 0xF0L);
    private static final VectorMask<Double> LOW_FOUR = VectorMask.fromLong(DOUBLES, 0x0FL);
    private static final VectorMask<Double> UPPER_PAIRS = VectorMask.fromLong(DOUBLES, 0xCCL);
    private static final VectorMask<Double> LOWER_PAIRS = VectorMask.fromLong(DOUBLES, 0x33L);
    private static final VectorMask<Double> ODD = VectorMask.fromLong(DOUBLES, 0xAAL);
    private static final VectorMask<Double> EVEN = VectorMask.fromLong(DOUBLES, 0x55L);
    private static final VectorShuffle<Double> BY_FOUR = VectorShuffle.fromOp(DOUBLES, i -> (i + 4) % LANES);
    private static final VectorShuffle<Double> SWAP_PAIRS = VectorShuffle.fromOp(DOUBLES, i -> i ^ 2);
    private static final VectorShuffle<Double> SWAP_NEIGHBOURS = VectorShuffle.fromOp(DOUBLES, i -> i ^ 1);
    /** After the three steps lane k holds the sum of row {@code bitReverse3(k)}; this puts row r in lane r. */
    private static final VectorShuffle<Double> ROW_ORDER = VectorShuffle.fromOp(DOUBLES,
            i -> Integer.reverse(i) >>> 29);

    /** Where a group's scratch holds its eight Σd, then its eight Σd², then its eight first values. */
    private static final int SUMS = 128;

    /**
     * Per group: each row's two vectors (Σd and Σd², or Σx²) after w = 8, from 0 and 64, then the rows' sums and
     * first values from {@link #SUMS}.
     */
    private static final ThreadLocal<double[]> SCRATCH = ThreadLocal.withInitial(() -> new double[SUMS + 3 * 8]);

    private VectorRowTotals() {
    }

    /**
     * {@link RowMoments#moments} of {@code rows} rows, {@link #GROUP} at a time, the remaining rows one at a time.
     */
    static void moments(float[] x, int offset, int rows, int size, double[] mean, double[] m2) {
        double[] s = SCRATCH.get();
        int r = 0;
        for (; r + GROUP <= rows; r += GROUP) {
            for (int k = 0, base = offset + r * size; k < GROUP; k++, base += size) {
                rowDeviations(x, base, size, x[base], s, k * LANES, s, 64 + k * LANES);
            }
            across(s, 0, s, SUMS);
            across(s, 64, s, SUMS + LANES);
            fold(x, offset + r * size, size, s, mean, m2, r);
        }
        for (int base = offset + r * size; r < rows; r++, base += size) {
            RowMoments.total(VectorRows.DEVIATIONS, x, base, size, s);
            RowMoments.fold(x, base, size, s[0], s[1], mean, m2, r);
        }
    }

    /** {@link RowSquares#sums} of {@code rows} rows, {@link #GROUP} at a time, the remaining rows one at a time. */
    static void squares(float[] x, int offset, int rows, int size, double[] sums) {
        double[] s = SCRATCH.get();
        int r = 0;
        for (; r + GROUP <= rows; r += GROUP) {
            for (int k = 0, base = offset + r * size; k < GROUP; k++, base += size) {
                rowSquares(x, base, size, s, k * LANES);
            }
            across(s, 0, sums, r);
        }
        for (int base = offset + r * size; r < rows; r++, base += size) {
            sums[r] = RowSquares.total(VectorRows.SQUARES, x, base, size);
        }
    }

    /**
     * {@link RowMoments#fold} of eight rows from {@code base}, their sums at {@link #SUMS} of {@code s}, the same
     * operations per row in lanes; a row whose sums are not finite is then folded alone (summed again in double).
     */
    private static void fold(float[] x, int base, int size, double[] s, double[] mean, double[] m2, int row) {
        for (int k = 0, b = base; k < LANES; k++, b += size) {
            s[SUMS + 2 * LANES + k] = x[b];
        }
        DoubleVector sum = DoubleVector.fromArray(DOUBLES, s, SUMS);
        DoubleVector squares = DoubleVector.fromArray(DOUBLES, s, SUMS + LANES);
        DoubleVector shift = sum.div(size);
        DoubleVector.fromArray(DOUBLES, s, SUMS + 2 * LANES).add(shift).intoArray(mean, row);
        squares.sub(sum.mul(shift)).max(0.0).intoArray(m2, row);
        for (int k = 0, b = base; k < LANES; k++, b += size) {
            if (!Double.isFinite(s[SUMS + LANES + k])) {
                RowMoments.fold(x, b, size, s[SUMS + k], s[SUMS + LANES + k], mean, m2, row + k);
            }
        }
    }

    /**
     * The sums of eight rows from their vectors after w = 8 ({@code in[at + 8k]}, row k), into
     * {@code out[outAt + k]}: w = 4 on pairs of rows, w = 2 on pairs of those, w = 1 on the last pair.
     */
    private static void across(double[] in, int at, double[] out, int outAt) {
        DoubleVector a = DoubleVector.fromArray(DOUBLES, in, at);
        DoubleVector b = DoubleVector.fromArray(DOUBLES, in, at + LANES);
        DoubleVector c = DoubleVector.fromArray(DOUBLES, in, at + 2 * LANES);
        DoubleVector d = DoubleVector.fromArray(DOUBLES, in, at + 3 * LANES);
        DoubleVector e = DoubleVector.fromArray(DOUBLES, in, at + 4 * LANES);
        DoubleVector f = DoubleVector.fromArray(DOUBLES, in, at + 5 * LANES);
        DoubleVector g = DoubleVector.fromArray(DOUBLES, in, at + 6 * LANES);
        DoubleVector h = DoubleVector.fromArray(DOUBLES, in, at + 7 * LANES);
        // w = 4: rows a and b give [a0+a4 … a3+a7 | b0+b4 … b3+b7].
        DoubleVector ab = a.blend(b, HIGH_FOUR).add(a.blend(b, LOW_FOUR).rearrange(BY_FOUR));
        DoubleVector cd = c.blend(d, HIGH_FOUR).add(c.blend(d, LOW_FOUR).rearrange(BY_FOUR));
        DoubleVector ef = e.blend(f, HIGH_FOUR).add(e.blend(f, LOW_FOUR).rearrange(BY_FOUR));
        DoubleVector gh = g.blend(h, HIGH_FOUR).add(g.blend(h, LOW_FOUR).rearrange(BY_FOUR));
        // w = 2: [a0 a1 a2 a3 | b0 b1 b2 b3] and [c.. | d..] give [a0+a2 a1+a3 c0+c2 c1+c3 | b.. d..].
        DoubleVector abcd = ab.blend(cd, UPPER_PAIRS).add(ab.blend(cd, LOWER_PAIRS).rearrange(SWAP_PAIRS));
        DoubleVector efgh = ef.blend(gh, UPPER_PAIRS).add(ef.blend(gh, LOWER_PAIRS).rearrange(SWAP_PAIRS));
        // w = 1: lanes a e c g | b f d h.
        DoubleVector all = abcd.blend(efgh, ODD).add(abcd.blend(efgh, EVEN).rearrange(SWAP_NEIGHBOURS));
        all.rearrange(ROW_ORDER).intoArray(out, outAt);
    }

    /**
     * One row's deviations around {@code center} into four vectors of accumulators, as
     * {@link VectorRows#DEVIATIONS} (the tail's lanes past the row left as they are, a blend, as the scalar loop that
     * stops), added down to one vector each (w = 16, then 8): Σd at {@code r[rAt]}, Σd² at {@code q[qAt]}.
     */
    static void rowDeviations(float[] x, int base, int length, double center, double[] r, int rAt, double[] q,
                              int qAt) {
        int full = length / WIDTH;
        int tail = length % WIDTH;
        int start = base + full * WIDTH;
        float[] t = x;
        if (tail != 0 && Lanes.nearEnd(x, start)) { // the tail's vectors read a copy (Lanes.nearEnd)
            t = Lanes.staged(x, start, tail);
            start = 0;
        }
        DoubleVector c = DoubleVector.broadcast(DOUBLES, center);
        DoubleVector r0 = DoubleVector.zero(DOUBLES);
        DoubleVector r1 = r0;
        DoubleVector r2 = r0;
        DoubleVector r3 = r0;
        DoubleVector q0 = r0;
        DoubleVector q1 = r0;
        DoubleVector q2 = r0;
        DoubleVector q3 = r0;
        for (int k = 0, i = base; k < full; k++, i += WIDTH) {
            DoubleVector d0 = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0)).sub(c);
            DoubleVector d1 = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i + LANES)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0)).sub(c);
            DoubleVector d2 = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i + 2 * LANES)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0)).sub(c);
            DoubleVector d3 = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i + 3 * LANES)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0)).sub(c);
            r0 = r0.add(d0);
            r1 = r1.add(d1);
            r2 = r2.add(d2);
            r3 = r3.add(d3);
            q0 = d0.fma(d0, q0);
            q1 = d1.fma(d1, q1);
            q2 = d2.fma(d2, q2);
            q3 = d3.fma(d3, q3);
        }
        if (tail != 0) {
            VectorMask<Double> m0 = DOUBLES.indexInRange(0, tail);
            VectorMask<Double> m1 = DOUBLES.indexInRange(LANES, tail);
            VectorMask<Double> m2 = DOUBLES.indexInRange(2 * LANES, tail);
            VectorMask<Double> m3 = DOUBLES.indexInRange(3 * LANES, tail);
            // The floats of each group of doubles, from a mask of FLOATS' lanes: no vector of a second float shape.
            VectorMask<Float> h0 = FLOATS.indexInRange(0, Math.min(tail, LANES));
            VectorMask<Float> h1 = FLOATS.indexInRange(LANES, Math.min(tail, 2 * LANES));
            VectorMask<Float> h2 = FLOATS.indexInRange(2 * LANES, Math.min(tail, 3 * LANES));
            VectorMask<Float> h3 = FLOATS.indexInRange(3 * LANES, Math.min(tail, 4 * LANES));
            DoubleVector d0 = ((DoubleVector) FloatVector.fromArray(FLOATS, t, start, h0)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0)).sub(c);
            DoubleVector d1 = ((DoubleVector) FloatVector.fromArray(FLOATS, t, start + LANES, h1)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0)).sub(c);
            DoubleVector d2 = ((DoubleVector) FloatVector.fromArray(FLOATS, t, start + 2 * LANES, h2)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0)).sub(c);
            DoubleVector d3 = ((DoubleVector) FloatVector.fromArray(FLOATS, t, start + 3 * LANES, h3)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0)).sub(c);
            r0 = r0.blend(r0.add(d0), m0);
            r1 = r1.blend(r1.add(d1), m1);
            r2 = r2.blend(r2.add(d2), m2);
            r3 = r3.blend(r3.add(d3), m3);
            q0 = q0.blend(d0.fma(d0, q0), m0);
            q1 = q1.blend(d1.fma(d1, q1), m1);
            q2 = q2.blend(d2.fma(d2, q2), m2);
            q3 = q3.blend(d3.fma(d3, q3), m3);
        }
        r0.add(r2).add(r1.add(r3)).intoArray(r, rAt);
        q0.add(q2).add(q1.add(q3)).intoArray(q, qAt);
    }

    /**
     * One row's squares into four vectors of accumulators, as {@link VectorRows#SQUARES}, added down to one vector
     * (w = 16, then 8) at {@code s[at]}.
     */
    static void rowSquares(float[] x, int base, int length, double[] s, int at) {
        int full = length / WIDTH;
        int tail = length % WIDTH;
        int start = base + full * WIDTH;
        float[] t = x;
        if (tail != 0 && Lanes.nearEnd(x, start)) { // the tail's vectors read a copy (Lanes.nearEnd)
            t = Lanes.staged(x, start, tail);
            start = 0;
        }
        DoubleVector a0 = DoubleVector.zero(DOUBLES);
        DoubleVector a1 = a0;
        DoubleVector a2 = a0;
        DoubleVector a3 = a0;
        for (int k = 0, i = base; k < full; k++, i += WIDTH) {
            DoubleVector d0 = (DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0);
            DoubleVector d1 = (DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i + LANES)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0);
            DoubleVector d2 = (DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i + 2 * LANES)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0);
            DoubleVector d3 = (DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i + 3 * LANES)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0);
            a0 = d0.fma(d0, a0);
            a1 = d1.fma(d1, a1);
            a2 = d2.fma(d2, a2);
            a3 = d3.fma(d3, a3);
        }
        if (tail != 0) {
            // A masked lane adds 0² to a sum ≥ +0, unchanged.
            VectorMask<Float> h0 = FLOATS.indexInRange(0, Math.min(tail, LANES));
            VectorMask<Float> h1 = FLOATS.indexInRange(LANES, Math.min(tail, 2 * LANES));
            VectorMask<Float> h2 = FLOATS.indexInRange(2 * LANES, Math.min(tail, 3 * LANES));
            VectorMask<Float> h3 = FLOATS.indexInRange(3 * LANES, Math.min(tail, 4 * LANES));
            DoubleVector d0 = (DoubleVector) FloatVector.fromArray(FLOATS, t, start, h0)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0);
            DoubleVector d1 = (DoubleVector) FloatVector.fromArray(FLOATS, t, start + LANES, h1)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0);
            DoubleVector d2 = (DoubleVector) FloatVector.fromArray(FLOATS, t, start + 2 * LANES, h2)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0);
            DoubleVector d3 = (DoubleVector) FloatVector.fromArray(FLOATS, t, start + 3 * LANES, h3)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0);
            a0 = d0.fma(d0, a0);
            a1 = d1.fma(d1, a1);
            a2 = d2.fma(d2, a2);
            a3 = d3.fma(d3, a3);
        }
        a0.add(a2).add(a1.add(a3)).intoArray(s, at);
    }
}
