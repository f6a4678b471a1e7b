package dev.simdnorm.internal;

/**
 * {@link ScalarKernel}'s rows along their length (LayerNorm, RMSNorm): the maps, in a loop C2 vectorizes where x and y
 * start at the same index (γ and β then read from doubles, which cannot be y), and the rows' sums, in blocks whose
 * loop C2 vectorizes. The same float and double operations either way, so the same bits as the vector kernel.
 */
final class ScalarRows {

    private ScalarRows() {
    }

    /** {@link Kernel#normalizeRows}. */
    static void normalizeRows(float[] x, int xOffset, float[] y, int yOffset, int rows, int size, RowParams p) {
        if (xOffset == yOffset && size <= RowParams.WIDENED_MAX) {
            normalizeRowsAtOneIndex(x, y, xOffset, 0, rows, size, p);
            return;
        }
        for (int r = 0; r < rows; r++) {
            normalizeRow(x, xOffset + r * size, y, yOffset + r * size, size, p, r);
        }
    }

    /**
     * {@link #normalizeRow} over rows where x and y start at the same index, γ and β read from doubles: a loop C2
     * vectorizes, as the BatchNorm map at one index; the same float operations, so the same bits.
     */
    private static void normalizeRowsAtOneIndex(float[] x, float[] y, int offset, int first, int rows, int size,
                                                RowParams p) {
        double[] w = p.positionsInDouble(size);
        float[] centers = p.center();
        float[] lows = p.centerLow();
        float[] scales = p.scale();
        float[] offsets = p.offset();
        for (int r = first, i = offset; r < first + rows; r++, i += size) {
            float center = centers[r];
            float low = lows[r];
            float scale = scales[r];
            float shift = offsets[r];
            for (int j = 0; j < size; j++) {
                float u = Math.fma((x[i + j] - center) - low, scale, shift);
                y[i + j] = Math.fma(u, (float) w[j], (float) w[size + j]);
            }
        }
    }

    /**
     * {@link Kernel#scaleRows} of {@code rows} rows with the scales of {@code p} from row {@code first}: where x and y
     * start at the same index, γ read widened from {@code p} (once per {@link RowParams#positions}), a loop C2
     * vectorizes, as {@link #normalizeRowsAtOneIndex}; the same float operations, so the same bits.
     */
    static void scaleRows(float[] x, int xOffset, float[] y, int yOffset, int rows, int size, RowParams p,
                          int first) {
        float[] scale = p.scale();
        if (xOffset == yOffset && size <= RowParams.WIDENED_MAX) {
            double[] g = p.positionsInDouble(size);
            for (int r = first, i = xOffset; r < first + rows; r++, i += size) {
                float s = scale[r];
                for (int j = 0; j < size; j++) {
                    y[i + j] = (x[i + j] * s) * (float) g[j];
                }
            }
            return;
        }
        for (int r = 0; r < rows; r++) {
            scaleRow(x, xOffset + r * size, y, yOffset + r * size, size, scale[first + r], p.gamma());
        }
    }

    /** One row with the map of row {@code r} of {@code p}. */
    static void normalizeRow(float[] x, int xOffset, float[] y, int yOffset, int size, RowParams p, int r) {
        if (xOffset == yOffset && size <= RowParams.WIDENED_MAX) { // γ and β widened once per call (RowParams)
            normalizeRowsAtOneIndex(x, y, xOffset, r, 1, size, p);
            return;
        }
        float center = p.center()[r];
        float low = p.centerLow()[r];
        float scale = p.scale()[r];
        float offset = p.offset()[r];
        for (int j = 0; j < size; j++) {
            float u = Math.fma((x[xOffset + j] - center) - low, scale, offset);
            y[yOffset + j] = Math.fma(u, p.gamma()[j], p.beta()[j]);
        }
    }

    /** One row of RMSNorm's map, {@code (x · scale) · γ}. */
    static void scaleRow(float[] x, int xOffset, float[] y, int yOffset, int size, float scale, float[] gamma) {
        for (int j = 0; j < size; j++) {
            y[yOffset + j] = (x[xOffset + j] * scale) * gamma[j];
        }
    }

    /**
     * {@link RowMoments.Deviations}: the row in blocks of {@link RowMoments#WIDTH}, accumulator p taking position p of
     * each block, so that C2 vectorizes the block's loop (its accumulators independent, an index shared with x); each
     * accumulator gets the same values in the same order as one value at a time, so the same bits.
     */
    static void rowDeviations(float[] x, int base, int length, double center, double[] r, double[] q) {
        java.util.Arrays.fill(r, 0.0);
        java.util.Arrays.fill(q, 0.0);
        int end = base + length;
        int full = end - length % RowMoments.WIDTH; // end ≤ x.length: no overflow
        int b = base;
        for (; b < full; b += RowMoments.WIDTH) {
            for (int p = 0; p < RowMoments.WIDTH; p++) {
                double d = x[b + p] - center;
                r[p] += d;
                q[p] = Math.fma(d, d, q[p]);
            }
        }
        for (int p = 0; p < end - b; p++) {
            double d = x[b + p] - center;
            r[p] += d;
            q[p] = Math.fma(d, d, q[p]);
        }
    }

    /** {@link RowSquares.Squares}, in blocks as {@link #rowDeviations}. */
    static void squares(float[] x, int base, int length, double[] acc) {
        java.util.Arrays.fill(acc, 0.0);
        int end = base + length;
        int full = end - length % RowSquares.WIDTH; // end ≤ x.length: no overflow
        int b = base;
        for (; b < full; b += RowSquares.WIDTH) {
            for (int p = 0; p < RowSquares.WIDTH; p++) {
                double d = x[b + p];
                acc[p] = Math.fma(d, d, acc[p]);
            }
        }
        for (int p = 0; p < end - b; p++) {
            double d = x[b + p];
            acc[p] = Math.fma(d, d, acc[p]);
        }
    }
}
