package dev.simdnorm;

/**
 * The fixed tree in which per-slice partial results are combined, the one copy of it: slices [from, to) are combined
 * as the combination of [from, mid) and [mid, to), {@code mid = (from + to) >>> 1}, down to single slices. Its shape
 * depends only on the slice count, never on threads, which is what makes results the same bits for every
 * {@link Parallelism}; sequential calls walk the same tree depth first.
 *
 * <p>Sequential calls keep one pair of per-channel arrays per level of the tree in per-thread scratch, so they
 * allocate nothing; parallel calls keep one pair per slice, since the slices finish in any order.
 */
final class MergeTree {

    /** One call's work: how to compute a slice's partials and how to combine two of them. */
    interface Work {
        /**
         * Computes the partials of one slice into {@code a} and {@code b}.
         *
         * @return the slice's weight (its rows), passed back to {@link #combine}
         */
        long leaf(int slice, double[] a, double[] b);

        /** Combines the right partials into the left ones, channel by channel. */
        void combine(long leftWeight, double[] leftA, double[] leftB, long rightWeight, double[] rightA,
                     double[] rightB);
    }

    /** Per-thread arrays of the sequential walk: level d holds a right subtree's partials while it is combined. */
    private static final ThreadLocal<double[][]> LEVELS = ThreadLocal.withInitial(() -> new double[0][]);

    private MergeTree() {
    }

    /** {@link Work#combine} of plain sums: the right partials added into the left, channel by channel. */
    static void add(int channels, double[] a, double[] b, double[] rightA, double[] rightB) {
        for (int c = 0; c < channels; c++) {
            a[c] += rightA[c];
            b[c] += rightB[c];
        }
    }

    /**
     * Evaluates the tree over {@code count} slices into {@code a} and {@code b}.
     *
     * @return the total weight
     */
    static long evaluate(Work work, int count, int channels, double[] a, double[] b, Parallelism parallelism,
                         long floats) {
        if (count == 1) {
            return work.leaf(0, a, b);
        }
        if (!parallelism.spreads(floats)) {
            return walk(work, 0, count, channels, a, b, levels(2 * depth(count), channels), 0);
        }
        double[][] as = new double[count][];
        double[][] bs = new double[count][];
        long[] weights = new long[count];
        as[0] = a;
        bs[0] = b;
        parallelism.forEach(count, floats, s -> {
            if (s > 0) {
                as[s] = new double[channels];
                bs[s] = new double[channels];
            }
            weights[s] = work.leaf(s, as[s], bs[s]);
        });
        return combine(work, as, bs, weights, 0, count);
    }

    /** Depth first: the left subtree into (a, b), the right one into this level's arrays, then the two. */
    private static long walk(Work work, int from, int to, int channels, double[] a, double[] b, double[][] levels,
                             int level) {
        if (to - from == 1) {
            return work.leaf(from, a, b);
        }
        int mid = (from + to) >>> 1;
        long left = walk(work, from, mid, channels, a, b, levels, level + 2);
        double[] rightA = levels[level];
        double[] rightB = levels[level + 1];
        long right = walk(work, mid, to, channels, rightA, rightB, levels, level + 2);
        work.combine(left, a, b, right, rightA, rightB);
        return left + right;
    }

    /** The same tree over partials computed one per slice. */
    private static long combine(Work work, double[][] as, double[][] bs, long[] weights, int from, int to) {
        if (to - from == 1) {
            return weights[from];
        }
        int mid = (from + to) >>> 1;
        long left = combine(work, as, bs, weights, from, mid);
        long right = combine(work, as, bs, weights, mid, to);
        work.combine(left, as[from], bs[from], right, as[mid], bs[mid]);
        return left + right;
    }

    /** Levels of the tree over {@code count} leaves: ⌈log2 count⌉. */
    private static int depth(int count) {
        return 32 - Integer.numberOfLeadingZeros(count - 1);
    }

    /** This thread's level arrays, at least {@code arrays} of at least {@code channels} doubles each. */
    private static double[][] levels(int arrays, int channels) {
        double[][] levels = LEVELS.get();
        if (levels.length < arrays || levels[0].length < channels) {
            levels = new double[Math.max(arrays, levels.length)][Math.max(channels,
                    levels.length > 0 ? levels[0].length : 0)];
            LEVELS.set(levels);
        }
        return levels;
    }
}
