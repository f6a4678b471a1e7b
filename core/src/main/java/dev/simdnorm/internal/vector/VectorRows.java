package dev.simdnorm.internal.vector;

import dev.simdnorm.internal.RowParams;
import dev.simdnorm.internal.RowSquares;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Rows along their length (LayerNorm, RMSNorm): the normalize of {@link RowParams}, the sums of squares of
 * {@link RowSquares} and the residual add, lane for lane what {@code ScalarKernel} does for that position. A row's last partial vector is
 * masked, so no size takes a scalar loop; each loop keeps its vectors inside its own method.
 */
final class VectorRows {

    private static final VectorSpecies<Float> FLOATS = Lanes.FLOATS;
    private static final int LANES = Lanes.FLOAT_LANES;
    private static final VectorSpecies<Float> HALF_FLOATS = Lanes.HALF_FLOATS;
    private static final VectorSpecies<Double> DOUBLES = Lanes.DOUBLES;
    private static final int DOUBLE_LANES = Lanes.DOUBLE_LANES;
    private static final int WIDTH = RowSquares.WIDTH;

    private VectorRows() {
    }

    static void normalize(float[] x, int xOffset, float[] y, int yOffset, int rows, int size, RowParams p) {
        for (int r = 0; r < rows; r++) {
            row(x, xOffset + r * size, y, yOffset + r * size, size, p.center()[r], p.centerLow()[r], p.scale()[r],
                    p.offset()[r], p.gamma(), p.beta());
        }
    }

    private static void row(float[] x, int xo, float[] y, int yo, int size, float center, float low, float scale,
                            float offset, float[] gamma, float[] beta) {
        FloatVector c = FloatVector.broadcast(FLOATS, center);
        FloatVector lo = FloatVector.broadcast(FLOATS, low);
        FloatVector s = FloatVector.broadcast(FLOATS, scale);
        FloatVector t = FloatVector.broadcast(FLOATS, offset);
        int whole = FLOATS.loopBound(size);
        int j = 0;
        for (; j < whole; j += LANES) {
            FloatVector u = FloatVector.fromArray(FLOATS, x, xo + j).sub(c).sub(lo).fma(s, t);
            u.fma(FloatVector.fromArray(FLOATS, gamma, j), FloatVector.fromArray(FLOATS, beta, j))
                    .intoArray(y, yo + j);
        }
        if (j < size) {
            VectorMask<Float> m = FLOATS.indexInRange(j, size);
            FloatVector u = FloatVector.fromArray(FLOATS, x, xo + j, m).sub(c).sub(lo).fma(s, t);
            u.fma(FloatVector.fromArray(FLOATS, gamma, j, m), FloatVector.fromArray(FLOATS, beta, j, m))
                    .intoArray(y, yo + j, m);
        }
    }

    /** {@link RowSquares.Squares}: groups of four double vectors, each group over its columns of every 32 floats. */
    /** {@link RowSquares.Squares} in vectors; the accumulators stay in registers where they are four vectors. */
    static final RowSquares.Squares SQUARES = new RowSquares.Squares() {
        @Override
        public void sum(float[] x, int base, int length, double[] acc) {
            squares(x, base, length, acc);
        }

        @Override
        public double total(float[] x, int base, int length, double[] acc) {
            return 4 * DOUBLE_LANES == WIDTH ? squaresTotal(x, base, length)
                    : RowSquares.Squares.super.total(x, base, length, acc);
        }
    };

    /** Lane i ← lane i + 4, i + 2, i + 1 (rotations of eight doubles): the in-vector steps of the pairwise add. */
    private static final VectorShuffle<Double> BY_FOUR = VectorShuffle.fromOp(DOUBLES, i -> (i + 4) % DOUBLE_LANES);
    private static final VectorShuffle<Double> BY_TWO = VectorShuffle.fromOp(DOUBLES, i -> (i + 2) % DOUBLE_LANES);
    private static final VectorShuffle<Double> BY_ONE = VectorShuffle.fromOp(DOUBLES, i -> (i + 1) % DOUBLE_LANES);

    /**
     * {@link RowSquares.Squares#total} where the 32 accumulators are four vectors of eight doubles: {@link #squares}
     * with the accumulators kept in registers, the tail's masked lanes adding 0², then the pairwise adds (w = 16 and
     * 8 between vectors, 4, 2 and 1 by rotations; each lane i adds lane i + w): the same adds, the same bits. Loads
     * inline, so that no vector crosses a call.
     */
    private static double squaresTotal(float[] x, int base, int length) {
        DoubleVector a0 = DoubleVector.zero(DOUBLES);
        DoubleVector a1 = DoubleVector.zero(DOUBLES);
        DoubleVector a2 = DoubleVector.zero(DOUBLES);
        DoubleVector a3 = DoubleVector.zero(DOUBLES);
        int full = length / WIDTH;
        for (int k = 0, i = base; k < full; k++, i += WIDTH) {
            DoubleVector d0 = (DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0);
            DoubleVector d1 = (DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i + DOUBLE_LANES)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0);
            DoubleVector d2 = (DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i + 2 * DOUBLE_LANES)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0);
            DoubleVector d3 = (DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i + 3 * DOUBLE_LANES)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0);
            a0 = d0.fma(d0, a0);
            a1 = d1.fma(d1, a1);
            a2 = d2.fma(d2, a2);
            a3 = d3.fma(d3, a3);
        }
        int tail = length % WIDTH;
        if (tail != 0) {
            int start = base + full * WIDTH;
            DoubleVector d0 = (DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, start,
                    HALF_FLOATS.indexInRange(0, tail)).convertShape(VectorOperators.F2D, DOUBLES, 0);
            DoubleVector d1 = (DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, start + DOUBLE_LANES,
                    HALF_FLOATS.indexInRange(DOUBLE_LANES, tail)).convertShape(VectorOperators.F2D, DOUBLES, 0);
            DoubleVector d2 = (DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, start + 2 * DOUBLE_LANES,
                    HALF_FLOATS.indexInRange(2 * DOUBLE_LANES, tail)).convertShape(VectorOperators.F2D, DOUBLES, 0);
            DoubleVector d3 = (DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, start + 3 * DOUBLE_LANES,
                    HALF_FLOATS.indexInRange(3 * DOUBLE_LANES, tail)).convertShape(VectorOperators.F2D, DOUBLES, 0);
            a0 = d0.fma(d0, a0);
            a1 = d1.fma(d1, a1);
            a2 = d2.fma(d2, a2);
            a3 = d3.fma(d3, a3);
        }
        DoubleVector v = a0.add(a2).add(a1.add(a3));
        v = v.add(v.rearrange(BY_FOUR));
        v = v.add(v.rearrange(BY_TWO));
        v = v.add(v.rearrange(BY_ONE));
        return v.lane(0);
    }

    static void squares(float[] x, int base, int length, double[] acc) {
        int full = length / WIDTH;
        for (int g = 0; g < WIDTH; g += 4 * DOUBLE_LANES) {
            squaresGroup(x, base + g, full, acc, g);
        }
        int tail = length % WIDTH;
        if (tail != 0) {
            squaresTail(x, base + full * WIDTH, tail, acc);
        }
    }

    private static void squaresGroup(float[] x, int start, int full, double[] acc, int g) {
        DoubleVector a0 = DoubleVector.zero(DOUBLES);
        DoubleVector a1 = DoubleVector.zero(DOUBLES);
        DoubleVector a2 = DoubleVector.zero(DOUBLES);
        DoubleVector a3 = DoubleVector.zero(DOUBLES);
        for (int k = 0, i = start; k < full; k++, i += WIDTH) {
            DoubleVector d0 = (DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0);
            DoubleVector d1 = (DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i + DOUBLE_LANES)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0);
            DoubleVector d2 = (DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i + 2 * DOUBLE_LANES)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0);
            DoubleVector d3 = (DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i + 3 * DOUBLE_LANES)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0);
            a0 = d0.fma(d0, a0);
            a1 = d1.fma(d1, a1);
            a2 = d2.fma(d2, a2);
            a3 = d3.fma(d3, a3);
        }
        a0.intoArray(acc, g);
        a1.intoArray(acc, g + DOUBLE_LANES);
        a2.intoArray(acc, g + 2 * DOUBLE_LANES);
        a3.intoArray(acc, g + 3 * DOUBLE_LANES);
    }

    /** The last {@code tail} floats, into accumulators [0, tail): a masked lane adds 0² to a sum ≥ +0, unchanged. */
    private static void squaresTail(float[] x, int start, int tail, double[] acc) {
        for (int off = 0; off < tail; off += DOUBLE_LANES) {
            VectorMask<Float> m = HALF_FLOATS.indexInRange(off, tail);
            DoubleVector d = (DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, start + off, m)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0);
            d.fma(d, DoubleVector.fromArray(DOUBLES, acc, off)).intoArray(acc, off);
        }
    }

    static void add(float[] a, int ao, float[] b, int bo, float[] out, int oo, int length) {
        int whole = FLOATS.loopBound(length);
        int i = 0;
        for (; i < whole; i += LANES) {
            FloatVector.fromArray(FLOATS, a, ao + i).add(FloatVector.fromArray(FLOATS, b, bo + i))
                    .intoArray(out, oo + i);
        }
        if (i < length) {
            VectorMask<Float> m = FLOATS.indexInRange(i, length);
            FloatVector.fromArray(FLOATS, a, ao + i, m).add(FloatVector.fromArray(FLOATS, b, bo + i, m))
                    .intoArray(out, oo + i, m);
        }
    }
}
