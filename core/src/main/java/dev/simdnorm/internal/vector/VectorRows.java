package dev.simdnorm.internal.vector;

import dev.simdnorm.internal.RowMoments;
import dev.simdnorm.internal.RowParams;
import dev.simdnorm.internal.RowSquares;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Rows along their length (LayerNorm, RMSNorm): the normalize of {@link RowParams}, RMSNorm's scaling, the
 * deviations of {@link RowMoments}, the sums of squares of {@link RowSquares} and the residual add, lane for lane
 * what {@code ScalarKernel} does for that position. A row's last partial vector is masked, so no size takes a scalar
 * loop; each loop keeps its vectors inside its own method.
 */
final class VectorRows {

    private static final VectorSpecies<Float> FLOATS = Lanes.FLOATS;
    private static final int LANES = Lanes.FLOAT_LANES;
    private static final VectorSpecies<Float> HALF_FLOATS = Lanes.HALF_FLOATS;
    private static final VectorSpecies<Double> DOUBLES = Lanes.DOUBLES;
    private static final int DOUBLE_LANES = Lanes.DOUBLE_LANES;
    private static final int WIDTH = RowSquares.WIDTH;

    /**
     * The shortest rows {@link #normalize} and {@link #scale} take one at a time. In a probe on the Zen 5 of
     * docs/performance.md (64 KiB of rows per call), pairs of 256 to 4,096 floats took 6.5–9 µs in some JVMs and
     * 17–24 µs in others (perf: stalled on one load after a store), one row at a time 7–10 µs in every JVM; pairs of
     * 64 floats were 1.1–1.4× faster than single rows.
     */
    static final int PAIRED_BELOW = 256;

    private VectorRows() {
    }

    /**
     * Two rows at a time, so that each vector of γ and β is loaded once for two rows of x (three loads per vector of
     * y become two), then the last one alone; each position takes the same operations either way. Not four: C1
     * cannot compile a method with four rows' live vectors (out of virtual registers), and C2 then compiles it
     * from an interpreter's profile, fast in some JVMs and 2.5 times slower in others. Rows of
     * {@link #PAIRED_BELOW} floats or more go one at a time.
     */
    static void normalize(float[] x, int xOffset, float[] y, int yOffset, int rows, int size, RowParams p) {
        float[] gamma = p.gamma();
        float[] beta = p.beta();
        int inside = rows;
        float[][] runs = null;
        if (size < LANES) {
            // Rows shorter than a vector (Lanes.pastEnd): γ and β, exactly a row, are read from copies, and the rows
            // whose vector would reach past x's or y's end are normalized on a copy.
            runs = Lanes.shortRuns();
            gamma = copy(gamma, runs[2], size);
            beta = copy(beta, runs[3], size);
            inside = Math.min(Lanes.inside(x, xOffset, size, rows), Lanes.inside(y, yOffset, size, rows));
        }
        int r = 0;
        for (; r + 2 <= inside && size < PAIRED_BELOW; r += 2) {
            twoRows(x, xOffset + r * size, y, yOffset + r * size, size, p, r, gamma, beta);
        }
        for (; r < inside; r++) {
            row(x, xOffset + r * size, y, yOffset + r * size, size, p.center()[r], p.centerLow()[r], p.scale()[r],
                    p.offset()[r], gamma, beta);
        }
        for (; r < rows; r++) {
            float[] run = copy(x, xOffset + r * size, runs[0], size);
            row(run, 0, run, 0, size, p.center()[r], p.centerLow()[r], p.scale()[r], p.offset()[r], gamma, beta);
            System.arraycopy(run, 0, y, yOffset + r * size, size);
        }
    }

    /** The first {@code length} floats of {@code from} in {@code to}. */
    private static float[] copy(float[] from, float[] to, int length) {
        return copy(from, 0, to, length);
    }

    /** {@code length} floats of {@code from} from {@code start} in {@code to}. */
    private static float[] copy(float[] from, int start, float[] to, int length) {
        System.arraycopy(from, start, to, 0, length);
        return to;
    }

    private static void twoRows(float[] x, int xo, float[] y, int yo, int size, RowParams p, int r, float[] gamma,
                                float[] beta) {
        FloatVector c0 = FloatVector.broadcast(FLOATS, p.center()[r]);
        FloatVector c1 = FloatVector.broadcast(FLOATS, p.center()[r + 1]);
        FloatVector l0 = FloatVector.broadcast(FLOATS, p.centerLow()[r]);
        FloatVector l1 = FloatVector.broadcast(FLOATS, p.centerLow()[r + 1]);
        FloatVector s0 = FloatVector.broadcast(FLOATS, p.scale()[r]);
        FloatVector s1 = FloatVector.broadcast(FLOATS, p.scale()[r + 1]);
        FloatVector t0 = FloatVector.broadcast(FLOATS, p.offset()[r]);
        FloatVector t1 = FloatVector.broadcast(FLOATS, p.offset()[r + 1]);
        int x1 = xo + size;
        int y1 = yo + size;
        int whole = FLOATS.loopBound(size);
        int j = 0;
        for (; j < whole; j += LANES) {
            FloatVector g = FloatVector.fromArray(FLOATS, gamma, j);
            FloatVector b = FloatVector.fromArray(FLOATS, beta, j);
            FloatVector.fromArray(FLOATS, x, xo + j).sub(c0).sub(l0).fma(s0, t0).fma(g, b).intoArray(y, yo + j);
            FloatVector.fromArray(FLOATS, x, x1 + j).sub(c1).sub(l1).fma(s1, t1).fma(g, b).intoArray(y, y1 + j);
        }
        if (j < size) { // the vector that ends with the row (see row)
            int at = Lanes.lastOffset(size);
            VectorMask<Float> m = at == 0 ? FLOATS.indexInRange(0, size) : FLOATS.indexInRange(0, j - at).not();
            FloatVector g = FloatVector.fromArray(FLOATS, gamma, at, m);
            FloatVector b = FloatVector.fromArray(FLOATS, beta, at, m);
            FloatVector.fromArray(FLOATS, x, xo + at, m).sub(c0).sub(l0).fma(s0, t0).fma(g, b)
                    .intoArray(y, yo + at, m);
            FloatVector.fromArray(FLOATS, x, x1 + at, m).sub(c1).sub(l1).fma(s1, t1).fma(g, b)
                    .intoArray(y, y1 + at, m);
        }
    }

    static void row(float[] x, int xo, float[] y, int yo, int size, float center, float low, float scale,
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
            // The vector that ends with the row (Lanes.lastOffset), masked to the floats from j: γ and β hold exactly
            // a row, and past an array's end the JDK checks a mask lane by lane, seen allocating in compiled code
            // (docs/design-log.md). Each lane's operations are its position's, so the bits do not change; in place,
            // the lanes below j are neither read nor written. A row shorter than a vector keeps it from its start, γ
            // and β then copies and x and y copies where the vector would reach past their end (normalize).
            int at = Lanes.lastOffset(size);
            VectorMask<Float> m = at == 0 ? FLOATS.indexInRange(0, size) : FLOATS.indexInRange(0, j - at).not();
            FloatVector u = FloatVector.fromArray(FLOATS, x, xo + at, m).sub(c).sub(lo).fma(s, t);
            u.fma(FloatVector.fromArray(FLOATS, gamma, at, m), FloatVector.fromArray(FLOATS, beta, at, m))
                    .intoArray(y, yo + at, m);
        }
    }

    /** RMSNorm's {@code (x · scale) · γ}, rows paired as in {@link #normalize}, the others one at a time. */
    static void scale(float[] x, int xOffset, float[] y, int yOffset, int rows, int size, float[] scale,
                      float[] gamma) {
        int inside = rows;
        float[][] runs = null;
        if (size < LANES) { // as in normalize
            runs = Lanes.shortRuns();
            gamma = copy(gamma, runs[2], size);
            inside = Math.min(Lanes.inside(x, xOffset, size, rows), Lanes.inside(y, yOffset, size, rows));
        }
        int r = 0;
        for (; r + 2 <= inside && size < PAIRED_BELOW; r += 2) {
            twoRowsScaled(x, xOffset + r * size, y, yOffset + r * size, size, scale[r], scale[r + 1], gamma);
        }
        for (; r < inside; r++) {
            rowScaled(x, xOffset + r * size, y, yOffset + r * size, size, scale[r], gamma);
        }
        for (; r < rows; r++) {
            float[] run = copy(x, xOffset + r * size, runs[0], size);
            rowScaled(run, 0, run, 0, size, scale[r], gamma);
            System.arraycopy(run, 0, y, yOffset + r * size, size);
        }
    }

    private static void twoRowsScaled(float[] x, int xo, float[] y, int yo, int size, float scale0, float scale1,
                                      float[] gamma) {
        FloatVector s0 = FloatVector.broadcast(FLOATS, scale0);
        FloatVector s1 = FloatVector.broadcast(FLOATS, scale1);
        int x1 = xo + size;
        int y1 = yo + size;
        int whole = FLOATS.loopBound(size);
        int j = 0;
        for (; j < whole; j += LANES) {
            FloatVector g = FloatVector.fromArray(FLOATS, gamma, j);
            FloatVector.fromArray(FLOATS, x, xo + j).mul(s0).mul(g).intoArray(y, yo + j);
            FloatVector.fromArray(FLOATS, x, x1 + j).mul(s1).mul(g).intoArray(y, y1 + j);
        }
        if (j < size) { // the vector that ends with the row (see row)
            int at = Lanes.lastOffset(size);
            VectorMask<Float> m = at == 0 ? FLOATS.indexInRange(0, size) : FLOATS.indexInRange(0, j - at).not();
            FloatVector g = FloatVector.fromArray(FLOATS, gamma, at, m);
            FloatVector.fromArray(FLOATS, x, xo + at, m).mul(s0).mul(g).intoArray(y, yo + at, m);
            FloatVector.fromArray(FLOATS, x, x1 + at, m).mul(s1).mul(g).intoArray(y, y1 + at, m);
        }
    }

    private static void rowScaled(float[] x, int xo, float[] y, int yo, int size, float scale, float[] gamma) {
        FloatVector s = FloatVector.broadcast(FLOATS, scale);
        int whole = FLOATS.loopBound(size);
        int j = 0;
        for (; j < whole; j += LANES) {
            FloatVector.fromArray(FLOATS, x, xo + j).mul(s).mul(FloatVector.fromArray(FLOATS, gamma, j))
                    .intoArray(y, yo + j);
        }
        if (j < size) { // the vector that ends with the row (see row)
            int at = Lanes.lastOffset(size);
            VectorMask<Float> m = at == 0 ? FLOATS.indexInRange(0, size) : FLOATS.indexInRange(0, j - at).not();
            FloatVector.fromArray(FLOATS, x, xo + at, m).mul(s).mul(FloatVector.fromArray(FLOATS, gamma, at, m))
                    .intoArray(y, yo + at, m);
        }
    }

    /**
     * {@link #rowScaled} of one row and {@link #squaresTotal} of the next in one loop, where the 32 accumulators
     * are four vectors and 32 floats two float vectors (512 bits): each step adds 32 of the next row's squares and
     * writes 32 of this row, the same operations on each value, so the same bits. Other widths take the two loops.
     */
    static double scaleAndSumNext(float[] x, int xo, float[] y, int yo, int size, float scale, float[] gamma,
                                  int next) {
        if (4 * DOUBLE_LANES != WIDTH || 2 * LANES != WIDTH) {
            rowScaled(x, xo, y, yo, size, scale, gamma);
            return RowSquares.total(SQUARES, x, next, size);
        }
        int full = size / WIDTH;
        int start = next + full * WIDTH;
        float[] t = x;
        if (size % WIDTH != 0 && Lanes.nearEnd(x, start)) { // the tail's vectors read a copy (Lanes.nearEnd)
            t = Lanes.staged(x, start, size % WIDTH);
            start = 0;
        }
        FloatVector s = FloatVector.broadcast(FLOATS, scale);
        DoubleVector a0 = DoubleVector.zero(DOUBLES);
        DoubleVector a1 = DoubleVector.zero(DOUBLES);
        DoubleVector a2 = DoubleVector.zero(DOUBLES);
        DoubleVector a3 = DoubleVector.zero(DOUBLES);
        int j = 0;
        for (int k = 0; k < full; k++, j += WIDTH) {
            int i = next + j;
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
            FloatVector.fromArray(FLOATS, x, xo + j).mul(s).mul(FloatVector.fromArray(FLOATS, gamma, j))
                    .intoArray(y, yo + j);
            FloatVector.fromArray(FLOATS, x, xo + j + LANES).mul(s)
                    .mul(FloatVector.fromArray(FLOATS, gamma, j + LANES)).intoArray(y, yo + j + LANES);
        }
        int tail = size - j;
        if (tail != 0) {
            VectorMask<Float> h0 = FLOATS.indexInRange(0, Math.min(tail, DOUBLE_LANES));
            VectorMask<Float> h1 = FLOATS.indexInRange(DOUBLE_LANES, Math.min(tail, 2 * DOUBLE_LANES));
            VectorMask<Float> h2 = FLOATS.indexInRange(2 * DOUBLE_LANES, Math.min(tail, 3 * DOUBLE_LANES));
            VectorMask<Float> h3 = FLOATS.indexInRange(3 * DOUBLE_LANES, Math.min(tail, 4 * DOUBLE_LANES));
            DoubleVector d0 = (DoubleVector) FloatVector.fromArray(FLOATS, t, start, h0)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0);
            DoubleVector d1 = (DoubleVector) FloatVector.fromArray(FLOATS, t, start + DOUBLE_LANES, h1)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0);
            DoubleVector d2 = (DoubleVector) FloatVector.fromArray(FLOATS, t, start + 2 * DOUBLE_LANES, h2)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0);
            DoubleVector d3 = (DoubleVector) FloatVector.fromArray(FLOATS, t, start + 3 * DOUBLE_LANES, h3)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0);
            a0 = d0.fma(d0, a0);
            a1 = d1.fma(d1, a1);
            a2 = d2.fma(d2, a2);
            a3 = d3.fma(d3, a3);
            for (; j < size; j += LANES) { // each vector inside the row (see row): its lanes from j to the end
                int at = Lanes.vectorAt(j, size);
                VectorMask<Float> m = FLOATS.indexInRange(0, size - at).and(FLOATS.indexInRange(0, j - at).not());
                FloatVector.fromArray(FLOATS, x, xo + at, m).mul(s).mul(FloatVector.fromArray(FLOATS, gamma, at, m))
                        .intoArray(y, yo + at, m);
            }
        }
        DoubleVector v = a0.add(a2).add(a1.add(a3));
        v = v.add(v.rearrange(BY_FOUR));
        v = v.add(v.rearrange(BY_TWO));
        v = v.add(v.rearrange(BY_ONE));
        return v.lane(0);
    }

    /** {@link RowSquares.Squares} in vectors; the accumulators stay in registers where they are four vectors. */
    static final RowSquares.Squares SQUARES = new RowSquares.Squares() {
        @Override
        public void sum(float[] x, int base, int length, double[] acc) {
            squares(x, base, length, acc);
        }

        @Override
        public double total(float[] x, int base, int length, double[] acc) {
            return 4 * DOUBLE_LANES == WIDTH ? squaresTotal(x, base, length, acc)
                    : RowSquares.Squares.super.total(x, base, length, acc);
        }
    };

    /** Lane i ← lane i + 4, i + 2, i + 1 (rotations of eight doubles): the in-vector steps of the pairwise add. */
    private static final VectorShuffle<Double> BY_FOUR = VectorShuffle.fromOp(DOUBLES, i -> (i + 4) % DOUBLE_LANES);
    private static final VectorShuffle<Double> BY_TWO = VectorShuffle.fromOp(DOUBLES, i -> (i + 2) % DOUBLE_LANES);
    private static final VectorShuffle<Double> BY_ONE = VectorShuffle.fromOp(DOUBLES, i -> (i + 1) % DOUBLE_LANES);

    /**
     * {@link RowSquares.Squares#total} where the 32 accumulators are four vectors of eight doubles: added down to one
     * vector by {@link VectorRowTotals#rowSquares} (w = 16 and 8), then the last pairwise adds (w = 4, 2 and 1, each
     * lane i adding lane i + w) by rotations: the same adds, the same bits.
     */
    private static double squaresTotal(float[] x, int base, int length, double[] acc) {
        VectorRowTotals.rowSquares(x, base, length, acc, 0);
        DoubleVector v = DoubleVector.fromArray(DOUBLES, acc, 0);
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
        if (Lanes.nearEnd(x, start)) { // the vectors read a copy (Lanes.nearEnd)
            x = Lanes.staged(x, start, tail);
            start = 0;
        }
        for (int off = 0; off < tail; off += DOUBLE_LANES) {
            VectorMask<Float> m = FLOATS.indexInRange(off, Math.min(tail, off + DOUBLE_LANES));
            DoubleVector d = (DoubleVector) FloatVector.fromArray(FLOATS, x, start + off, m)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0);
            d.fma(d, DoubleVector.fromArray(DOUBLES, acc, off)).intoArray(acc, off);
        }
    }

    /**
     * {@link RowMoments.Deviations} in vectors: groups of four double vectors, each over its columns of every 32
     * floats; the accumulators stay in registers where they are four vectors.
     */
    static final RowMoments.Deviations DEVIATIONS = new RowMoments.Deviations() {
        @Override
        public void sum(float[] x, int base, int length, double center, double[] r, double[] q) {
            int full = length / WIDTH;
            for (int g = 0; g < WIDTH; g += 4 * DOUBLE_LANES) {
                deviationsGroup(x, base + g, full, center, r, q, g);
            }
            int tail = length % WIDTH;
            if (tail != 0) {
                deviationsTail(x, base + full * WIDTH, tail, center, r, q);
            }
        }

        @Override
        public void total(float[] x, int base, int length, double center, double[] r, double[] q, double[] out) {
            if (4 * DOUBLE_LANES == WIDTH) {
                deviationsTotal(x, base, length, center, r, q, out);
            } else {
                RowMoments.Deviations.super.total(x, base, length, center, r, q, out);
            }
        }
    };

    /**
     * {@link RowMoments.Deviations#total} where the 32 accumulators of each sum are four vectors of eight doubles:
     * added down to one vector each by {@link VectorRowTotals#rowDeviations}, then the pairwise adds of
     * {@link #squaresTotal}: the same adds, the same bits.
     */
    private static void deviationsTotal(float[] x, int base, int length, double center, double[] r, double[] q,
                                        double[] out) {
        VectorRowTotals.rowDeviations(x, base, length, center, r, 0, q, 0);
        DoubleVector sum = DoubleVector.fromArray(DOUBLES, r, 0);
        sum = sum.add(sum.rearrange(BY_FOUR));
        sum = sum.add(sum.rearrange(BY_TWO));
        sum = sum.add(sum.rearrange(BY_ONE));
        DoubleVector squares = DoubleVector.fromArray(DOUBLES, q, 0);
        squares = squares.add(squares.rearrange(BY_FOUR));
        squares = squares.add(squares.rearrange(BY_TWO));
        squares = squares.add(squares.rearrange(BY_ONE));
        out[0] = sum.lane(0);
        out[1] = squares.lane(0);
    }

    /**
     * {@link #row} of one row with the map of {@code p}'s row {@code row}, and {@link #deviationsTotal} of the next
     * around its first value, in one loop where the accumulators are four vectors and 32 floats two float vectors (512
     * bits): the same operations on each value, so the same bits. Other widths, and rows that are not whole multiples
     * of 32 floats, take the two loops: with a masked tail, C1 runs out of registers on this method.
     */
    static void normalizeAndSumNext(float[] x, int xo, float[] y, int yo, int size, RowParams p, int row, int next,
                                    double[] out) {
        if (4 * DOUBLE_LANES != WIDTH || 2 * LANES != WIDTH || size % WIDTH != 0) {
            row(x, xo, y, yo, size, p.center()[row], p.centerLow()[row], p.scale()[row], p.offset()[row],
                    p.gamma(), p.beta());
            RowMoments.total(DEVIATIONS, x, next, size, out);
            return;
        }
        float[] gamma = p.gamma();
        float[] beta = p.beta();
        FloatVector fc = FloatVector.broadcast(FLOATS, p.center()[row]);
        FloatVector fl = FloatVector.broadcast(FLOATS, p.centerLow()[row]);
        FloatVector fs = FloatVector.broadcast(FLOATS, p.scale()[row]);
        FloatVector ft = FloatVector.broadcast(FLOATS, p.offset()[row]);
        DoubleVector c = DoubleVector.broadcast(DOUBLES, x[next]);
        DoubleVector r0 = DoubleVector.zero(DOUBLES);
        DoubleVector r1 = r0;
        DoubleVector r2 = r0;
        DoubleVector r3 = r0;
        DoubleVector q0 = r0;
        DoubleVector q1 = r0;
        DoubleVector q2 = r0;
        DoubleVector q3 = r0;
        for (int j = 0; j < size; j += WIDTH) {
            int i = next + j;
            DoubleVector d0 = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0)).sub(c);
            DoubleVector d1 = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i + DOUBLE_LANES)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0)).sub(c);
            DoubleVector d2 = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i + 2 * DOUBLE_LANES)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0)).sub(c);
            DoubleVector d3 = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i + 3 * DOUBLE_LANES)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0)).sub(c);
            r0 = r0.add(d0);
            r1 = r1.add(d1);
            r2 = r2.add(d2);
            r3 = r3.add(d3);
            q0 = d0.fma(d0, q0);
            q1 = d1.fma(d1, q1);
            q2 = d2.fma(d2, q2);
            q3 = d3.fma(d3, q3);
            FloatVector.fromArray(FLOATS, x, xo + j).sub(fc).sub(fl).fma(fs, ft)
                    .fma(FloatVector.fromArray(FLOATS, gamma, j), FloatVector.fromArray(FLOATS, beta, j))
                    .intoArray(y, yo + j);
            FloatVector.fromArray(FLOATS, x, xo + j + LANES).sub(fc).sub(fl).fma(fs, ft)
                    .fma(FloatVector.fromArray(FLOATS, gamma, j + LANES), FloatVector.fromArray(FLOATS, beta,
                            j + LANES))
                    .intoArray(y, yo + j + LANES);
        }
        DoubleVector r = r0.add(r2).add(r1.add(r3));
        r = r.add(r.rearrange(BY_FOUR));
        r = r.add(r.rearrange(BY_TWO));
        r = r.add(r.rearrange(BY_ONE));
        DoubleVector q = q0.add(q2).add(q1.add(q3));
        q = q.add(q.rearrange(BY_FOUR));
        q = q.add(q.rearrange(BY_TWO));
        q = q.add(q.rearrange(BY_ONE));
        out[0] = r.lane(0);
        out[1] = q.lane(0);
    }

    private static void deviationsGroup(float[] x, int start, int full, double center, double[] r, double[] q,
                                        int g) {
        DoubleVector c = DoubleVector.broadcast(DOUBLES, center);
        DoubleVector r0 = DoubleVector.zero(DOUBLES);
        DoubleVector r1 = r0;
        DoubleVector r2 = r0;
        DoubleVector r3 = r0;
        DoubleVector q0 = r0;
        DoubleVector q1 = r0;
        DoubleVector q2 = r0;
        DoubleVector q3 = r0;
        for (int k = 0, i = start; k < full; k++, i += WIDTH) {
            DoubleVector d0 = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0)).sub(c);
            DoubleVector d1 = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i + DOUBLE_LANES)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0)).sub(c);
            DoubleVector d2 = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i + 2 * DOUBLE_LANES)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0)).sub(c);
            DoubleVector d3 = ((DoubleVector) FloatVector.fromArray(HALF_FLOATS, x, i + 3 * DOUBLE_LANES)
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
        r0.intoArray(r, g);
        r1.intoArray(r, g + DOUBLE_LANES);
        r2.intoArray(r, g + 2 * DOUBLE_LANES);
        r3.intoArray(r, g + 3 * DOUBLE_LANES);
        q0.intoArray(q, g);
        q1.intoArray(q, g + DOUBLE_LANES);
        q2.intoArray(q, g + 2 * DOUBLE_LANES);
        q3.intoArray(q, g + 3 * DOUBLE_LANES);
    }

    /** The last {@code tail} floats, into accumulators [0, tail); the lanes past the row keep their sums. */
    private static void deviationsTail(float[] x, int start, int tail, double center, double[] r, double[] q) {
        if (Lanes.nearEnd(x, start)) { // the vectors read a copy (Lanes.nearEnd)
            x = Lanes.staged(x, start, tail);
            start = 0;
        }
        DoubleVector c = DoubleVector.broadcast(DOUBLES, center);
        for (int off = 0; off < tail; off += DOUBLE_LANES) {
            VectorMask<Double> m = DOUBLES.indexInRange(off, tail);
            DoubleVector d = ((DoubleVector) FloatVector.fromArray(FLOATS, x, start + off,
                    FLOATS.indexInRange(off, Math.min(tail, off + DOUBLE_LANES)))
                    .convertShape(VectorOperators.F2D, DOUBLES, 0)).sub(c);
            DoubleVector a = DoubleVector.fromArray(DOUBLES, r, off);
            DoubleVector b = DoubleVector.fromArray(DOUBLES, q, off);
            a.blend(a.add(d), m).intoArray(r, off);
            b.blend(d.fma(d, b), m).intoArray(q, off);
        }
    }

    static void add(float[] a, int ao, float[] b, int bo, float[] out, int oo, int length) {
        if (length < LANES && (Lanes.pastEnd(a, ao) || Lanes.pastEnd(b, bo) || Lanes.pastEnd(out, oo))) {
            // A run shorter than a vector, whose vector would reach past an array's end: on copies (Lanes.pastEnd).
            float[][] runs = Lanes.shortRuns();
            float[] sum = copy(a, ao, runs[0], length);
            addRun(sum, 0, copy(b, bo, runs[1], length), 0, sum, 0, length);
            System.arraycopy(sum, 0, out, oo, length);
        } else {
            addRun(a, ao, b, bo, out, oo, length);
        }
    }

    /** {@code out = a + b} over {@code length} floats: whole vectors, then the vector that ends with the run. */
    private static void addRun(float[] a, int ao, float[] b, int bo, float[] out, int oo, int length) {
        int whole = FLOATS.loopBound(length);
        int i = 0;
        for (; i < whole; i += LANES) {
            FloatVector.fromArray(FLOATS, a, ao + i).add(FloatVector.fromArray(FLOATS, b, bo + i))
                    .intoArray(out, oo + i);
        }
        if (i < length) { // the vector that ends with the run (see row)
            int at = Lanes.lastOffset(length);
            VectorMask<Float> m = at == 0 ? FLOATS.indexInRange(0, length) : FLOATS.indexInRange(0, i - at).not();
            FloatVector.fromArray(FLOATS, a, ao + at, m).add(FloatVector.fromArray(FLOATS, b, bo + at, m))
                    .intoArray(out, oo + at, m);
        }
    }
}
