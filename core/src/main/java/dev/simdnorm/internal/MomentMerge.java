package dev.simdnorm.internal;

/**
 * The pairwise update of (count, mean, M2) in double, by which partial moments of blocks, slices, threads or machines
 * combine: Chan, Golub and LeVeque's formula.
 *
 * <p>Source: T. F. Chan, G. H. Golub, R. J. LeVeque, "Updating formulae and a pairwise algorithm for computing sample
 * variances", Stanford CS tech. report STAN-CS-79-773 (1979), eq. 2.1.
 */
public final class MomentMerge {

    private MomentMerge() {
    }

    /**
     * Folds a second group {@code (nB, meanB, m2B)} into the first group held at index {@code c} of {@code mean} and
     * {@code m2}, which covers {@code nA} values. Every term added to M2 is non-negative, so M2 never goes negative.
     */
    public static void merge(long nA, double[] mean, double[] m2, int c, long nB, double meanB, double m2B) {
        if (nA == 0) {
            mean[c] = meanB;
            m2[c] = m2B;
            return;
        }
        double n = (double) nA + (double) nB;
        double delta = meanB - mean[c];
        mean[c] += delta * (nB / n);
        m2[c] += m2B + delta * delta * (nA * (nB / n));
    }

    /**
     * {@link #merge(long, double[], double[], int, long, double, double)} for channels 0 to {@code channels − 1}, each
     * with the same counts: the weights computed once rather than a quotient per channel, the same operations on each
     * channel's values, so the same bits.
     */
    public static void merge(long nA, double[] mean, double[] m2, long nB, double[] meanB, double[] m2B,
                             int channels) {
        if (nA == 0) {
            System.arraycopy(meanB, 0, mean, 0, channels);
            System.arraycopy(m2B, 0, m2, 0, channels);
            return;
        }
        double n = (double) nA + (double) nB;
        double w = nB / n;
        double between = nA * w;
        for (int c = 0; c < channels; c++) {
            double delta = meanB[c] - mean[c];
            mean[c] += delta * w;
            m2[c] += m2B[c] + delta * delta * between;
        }
    }

    /**
     * Folds one block of {@code nB} rows into channels {@code from} to {@code to}. Each channel's block is described
     * by its center m and the float sums {@code r1 = Σ(x − m)} and {@code q = Σ(x − m)²}: its mean is
     * {@code m + r1/nB} and its M2 is {@code q − r1²/nB}, the correction term of the two-pass algorithm (Chan, Golub, LeVeque, "Algorithms for
     * computing the sample variance", Am. Stat. 37(3), 1983, eq. 1.7). M2 is clamped at 0, which a NaN passes. The
     * weights are computed once per block; every kernel folds through here or does these double operations per lane
     * in this order (the vector statistics), so they agree bit for bit.
     *
     * @param nA the rows already folded into {@code mean} and {@code m2}
     */
    public static void mergeBlock(long nA, double[] mean, double[] m2, int from, int to, int nB, float[] center,
                                  float[] r1, float[] q) {
        double inverse = 1.0 / nB;
        double w = nA == 0 ? 1.0 : weight(nA, nB);
        double between = nA * w;
        for (int c = from; c < to; c++) {
            fold(nA, mean, m2, c, inverse, w, between, center[c], r1[c], q[c]);
        }
    }

    /**
     * {@link #mergeBlock(long, double[], double[], int, int, int, float[], float[], float[])} for a block whose center
     * and sums are in double ({@link DoubleRowStatistics}): the same operations, in the same order.
     *
     * @param nA the rows already folded into {@code mean} and {@code m2}
     */
    public static void mergeBlock(long nA, double[] mean, double[] m2, int from, int to, int nB, double[] center,
                                  double[] r1, double[] q) {
        double inverse = 1.0 / nB;
        double w = nA == 0 ? 1.0 : weight(nA, nB);
        double between = nA * w;
        for (int c = from; c < to; c++) {
            fold(nA, mean, m2, c, inverse, w, between, center[c], r1[c], q[c]);
        }
    }

    /** One channel's fold of a block: the block's mean {@code center + r1/nB} and M2 {@code q − r1²/nB}, merged. */
    private static void fold(long nA, double[] mean, double[] m2, int c, double inverse, double w, double between,
                             double center, double r1, double q) {
        double offset = r1 * inverse;
        if (nA == 0) {
            mean[c] = center + offset;
            m2[c] = Math.max(0.0, q - r1 * offset);
            return;
        }
        double delta = (center + offset) - mean[c];
        mean[c] += delta * w;
        m2[c] += Math.max(0.0, q - r1 * offset) + delta * delta * between;
    }

    /**
     * The weight of a block of {@code nB} rows folded into {@code nA}: {@code nB/(nA + nB)}.
     *
     * @return the weight, in (0, 1]
     */
    public static double weight(long nA, int nB) {
        return nB / ((double) nA + nB);
    }
}
