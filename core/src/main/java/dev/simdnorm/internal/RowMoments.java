package dev.simdnorm.internal;

/**
 * Each row's mean and M2, for LayerNorm, shared by every kernel: they differ only in how they add a row's deviations
 * into {@link #WIDTH} double accumulators ({@link Deviations}), so they agree bit for bit.
 *
 * <p>A row is centred at its first value c, one block: d = x − c in double (exact unless the exponents of x and c lie
 * more than 29 apart), the value at index j going to accumulator {@code j mod 32}, in the order of j, as
 * {@link RowSquares} does for RMSNorm; the accumulators are then added pairwise into S = Σd and Q = Σd², and the
 * block is folded as in Chan's merge: mean = c + S/n, M2 = Q − S·(S/n). Since c is one of the row's values,
 * (c − mean)² ≤ M2, so Q = M2 + n·(mean − c)² ≤ (n + 1)·M2: the subtraction loses at most log₂(n + 1) of double's 53
 * bits, and the sums in double lose about log₂(n) more; a row of 2²⁰ floats keeps about 13 decimal digits of M2,
 * far below a float rounding of the result, with no centering check and no second pass. A float is at most 2¹²⁸,
 * so d² and the sums stay far inside double's range. Rows with an infinite or NaN value are summed again, in two
 * passes in double, so their mean is what the plain sums give (±∞ where the infinities agree).
 * (Chan, Golub and LeVeque, "Algorithms for computing the sample variance", 1983; Higham, <i>Accuracy and Stability
 * of Numerical Algorithms</i>, §4.2.)
 *
 * <p>Summing across the row in double, rather than in float blocks as BatchNorm's channels, keeps a row's fixed work
 * to its arithmetic: LayerNorm's short rows (64 floats) spent most of their time in the float blocks' sample pass,
 * centering check and fold. Rows longer than {@link #LONGEST} still take the float blocks.
 */
public final class RowMoments {

    /**
     * The longest rows LayerNorm takes this way. Longer rows go to BatchNorm's float blocks
     * ({@link PlaneStatistics}), which do half the arithmetic per value and then win: on the 2-vCPU Zen 5 of
     * docs/performance.md the two take the same time per row at 2048 floats, these 2.5× less at 64 and 1.4× more at
     * 4096.
     */
    public static final int LONGEST = 2048;

    /** Accumulators per row: four vectors of the widest double species, as {@link RowSquares#WIDTH}. */
    public static final int WIDTH = RowSquares.WIDTH;

    /** How a kernel adds one row's deviations. */
    @FunctionalInterface
    public interface Deviations {
        /**
         * {@code r[p] = Σ d} and {@code q[p] = Σ d²} (each square added by FMA) with {@code d = x[base + j] − center}
         * in double, over the j &lt; {@code length} with {@code j mod 32 = p}, in the order of j; accumulators that
         * get no value are +0.
         */
        void sum(float[] x, int base, int length, double center, double[] r, double[] q);

        /**
         * {@link #sum}, then the accumulators of r and of q each added pairwise ({@code acc[i] += acc[i + w]} for
         * w = 16, 8, …, 1), S into {@code out[0]} and Q into {@code out[1]}. A kernel may keep the accumulators in
         * registers, with the same adds, so the sums keep every bit; {@code r} and {@code q} are then left undefined.
         */
        default void total(float[] x, int base, int length, double center, double[] r, double[] q, double[] out) {
            sum(x, base, length, center, r, q);
            out[0] = RowMoments.pairwise(r);
            out[1] = RowMoments.pairwise(q);
        }
    }

    private RowMoments() {
    }

    /** The pairwise sum of {@link #WIDTH} accumulators, in place: {@code acc[i] += acc[i + w]}, w = 16, 8, …, 1. */
    static double pairwise(double[] acc) {
        for (int w = WIDTH / 2; w >= 1; w /= 2) {
            for (int i = 0; i < w; i++) {
                acc[i] += acc[i + w];
            }
        }
        return acc[0];
    }

    /**
     * Each row's mean and M2 (the sum of squared deviations from its mean) over {@code rows} rows of {@code size}
     * floats from {@code offset}.
     *
     * @param kernel how the kernel adds a row's deviations
     * @param mean   out: per row, length ≥ rows
     * @param m2     out: per row, length ≥ rows
     */
    public static void moments(Deviations kernel, float[] x, int offset, int rows, int size, double[] mean,
                               double[] m2) {
        Scratch s = SCRATCH.get();
        for (int row = 0, base = offset; row < rows; row++, base += size) {
            kernel.total(x, base, size, x[base], s.r, s.q, s.out);
            fold(x, base, size, s.out[0], s.out[1], mean, m2, row);
        }
    }

    /**
     * {@link Deviations#total} of one row around its first value {@code x[base]}, with this thread's accumulators.
     *
     * @param out out: S, then Q
     */
    public static void total(Deviations kernel, float[] x, int base, int length, double[] out) {
        Scratch s = SCRATCH.get();
        kernel.total(x, base, length, x[base], s.r, s.q, out);
    }

    /**
     * The row's mean and M2 from its sums S and Q around its first value {@code x[base]}: Chan's fold, or the
     * row summed again where it holds an infinite or NaN value.
     *
     * @param row the index in {@code mean} and {@code m2}
     */
    public static void fold(float[] x, int base, int size, double sum, double squares, double[] mean, double[] m2,
                            int row) {
        double shift = sum / size;
        mean[row] = x[base] + shift;
        m2[row] = Math.max(0.0, squares - sum * shift);
        if (!Double.isFinite(squares)) {
            nonFinite(x, base, size, mean, m2, row);
        }
    }

    /** A row with an infinite or NaN value: the plain mean, and the sum of squares around it, in double. */
    private static void nonFinite(float[] x, int base, int size, double[] mean, double[] m2, int row) {
        double sum = 0;
        for (int j = 0; j < size; j++) {
            sum += x[base + j];
        }
        double mu = sum / size;
        double squares = 0;
        for (int j = 0; j < size; j++) {
            double d = x[base + j] - mu;
            squares += d * d;
        }
        mean[row] = mu;
        m2[row] = squares;
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** A thread's accumulators. */
    private static final class Scratch {
        final double[] r = new double[WIDTH];
        final double[] q = new double[WIDTH];
        final double[] out = new double[2];
    }
}
