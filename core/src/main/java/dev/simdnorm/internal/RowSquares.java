package dev.simdnorm.internal;

/**
 * Each row's sum of squares, for RMSNorm, shared by every kernel: they differ only in how they add a row's squares
 * into {@link #WIDTH} double accumulators ({@link Squares}), so they agree bit for bit.
 *
 * <p>The value at index j of a row goes to accumulator {@code j mod 32}, whatever the vector width, in the order of j.
 * A float's square is exact in double, so each addition rounds once, at 2⁻⁵³ relative; the accumulators are then
 * added pairwise. A row of 2²⁰ floats is summed within about (2¹⁵ + 5)·2⁻⁵³ ≈ 4·10⁻¹², far below the float rounding
 * of the result (Higham, <i>Accuracy and Stability of Numerical Algorithms</i>, §4.2).
 */
public final class RowSquares {

    /** Accumulators per row: four vectors of the widest double species. */
    public static final int WIDTH = 32;

    /** How a kernel adds one row's squares. */
    @FunctionalInterface
    public interface Squares {
        /**
         * {@code acc[p] = Σ x[base + j]²} over the j &lt; {@code length} with {@code j mod 32 = p}, in double, in the
         * order of j, each square added by FMA; accumulators that get no value are +0.
         */
        void sum(float[] x, int base, int length, double[] acc);

        /**
         * The row's sum of squares: {@link #sum}, then the accumulators added pairwise ({@code acc[i] += acc[i + w]}
         * for w = 16, 8, …, 1). A kernel may keep the accumulators in registers, with the same adds, so the sum
         * keeps every bit; {@code acc} is then left undefined.
         */
        default double total(float[] x, int base, int length, double[] acc) {
            sum(x, base, length, acc);
            for (int w = WIDTH / 2; w >= 1; w /= 2) {
                for (int i = 0; i < w; i++) {
                    acc[i] += acc[i + w];
                }
            }
            return acc[0];
        }
    }

    private RowSquares() {
    }

    /**
     * The sum of squares of each of {@code rows} rows of {@code size} floats from {@code offset}.
     *
     * @param kernel how the kernel adds a row's squares
     * @param sums   out: per row, length ≥ rows
     */
    public static void sums(Squares kernel, float[] x, int offset, int rows, int size, double[] sums) {
        double[] acc = SCRATCH.get();
        for (int r = 0, base = offset; r < rows; r++, base += size) {
            sums[r] = kernel.total(x, base, size, acc);
        }
    }

    /**
     * The sum of squares of one row of {@code length} floats from {@code base}.
     *
     * @param kernel how the kernel adds a row's squares
     */
    public static double total(Squares kernel, float[] x, int base, int length) {
        return kernel.total(x, base, length, SCRATCH.get());
    }

    private static final ThreadLocal<double[]> SCRATCH = ThreadLocal.withInitial(() -> new double[WIDTH]);
}
