package dev.simdnorm.internal;

/**
 * The scalar kernel's normalize, over NHWC rows and NCHW planes, {@code y = fma((x − center) − centerLow, scale,
 * shift)} and the optional ReLU, as {@link ScalarKernel} documents. Where x and y start at the same index the loops
 * are ones C2 vectorizes (one index for both; NHWC parameters read from doubles, walking whole periods), with ReLU
 * fused as {@code max(t, +0)} where that is the ReLU; elsewhere the float loops, with the bit-level ReLU or a
 * {@code max} pass after each block. Stateless but for a per-thread array of parameters.
 */
final class ScalarNormalize {

    /** {@link #parametersInDouble}'s array, grown to the longest period this thread has seen. */
    private static final ThreadLocal<double[]> PARAMETERS_IN_DOUBLE = ThreadLocal.withInitial(() -> new double[256]);

    /**
     * Floats normalized before a separate ReLU pass runs over them while they are in L1 (8 KiB), where the map's
     * loop stays scalar (x and y at different indices): the pass is a loop C2 vectorizes.
     */
    private static final int RELU_BLOCK = 2048;

    private ScalarNormalize() {
    }

    /** {@link Kernel#normalize} over NHWC rows. */
    static void rows(float[] x, int xOffset, float[] y, int yOffset, int rows, AffineParams p, boolean relu) {
        boolean maxIsRelu = relu && ScalarKernel.maxIsRelu(p.scale(), p.shift(), p.channels());
        if ((maxIsRelu || !relu) && xOffset == yOffset) {
            mapAtOneIndex(x, y, xOffset, rows, p, maxIsRelu);
        } else if (maxIsRelu) {
            normalizeThenRelu(x, xOffset, y, yOffset, rows, p);
        } else {
            map(x, xOffset, y, yOffset, rows, p, relu);
        }
    }

    /** {@link Kernel#normalizeNchw} over NCHW planes. */
    static void planes(float[] x, int xOffset, float[] y, int yOffset, int n, int spatial, AffineParams p,
                       boolean relu) {
        boolean maxIsRelu = relu && ScalarKernel.maxIsRelu(p.scale(), p.shift(), p.channels());
        if ((maxIsRelu || !relu) && xOffset == yOffset) {
            planesAtOneIndex(x, y, xOffset, n, spatial, p, maxIsRelu);
        } else if (maxIsRelu) {
            normalizeNchwThenRelu(x, xOffset, y, yOffset, n, spatial, p);
        } else {
            mapPlanes(x, xOffset, y, yOffset, n, spatial, p, relu);
        }
    }

    /** The map over rows, with the bit-level ReLU fused if asked. */
    private static void map(float[] x, int xOffset, float[] y, int yOffset, int rows, AffineParams p, boolean relu) {
        int channels = p.channels();
        float[] center = p.center();
        float[] centerLow = p.centerLow();
        float[] scale = p.scale();
        float[] shift = p.shift();
        for (int r = 0, i = xOffset, o = yOffset; r < rows; r++, i += channels, o += channels) {
            for (int c = 0; c < channels; c++) {
                float v = (x[i + c] - center[c]) - centerLow[c];
                float t = Math.fma(v, scale[c], shift[c]);
                y[o + c] = relu ? ScalarKernel.relu(t) : t;
            }
        }
    }

    /**
     * The map where x and y start at the same index, in a loop C2 vectorizes: whole walked periods (at least 64 floats,
     * the parameters laid out over them, so one long inner loop whatever C), then the rows left, fewer than a period's,
     * by {@link #map(float[], int, float[], int, int, AffineParams, boolean)}. Its parameters are read from doubles, as
     * a float parameter array could be y itself but a double array cannot, and x and y share one index, which rules
     * out a dependence between them across iterations (JDK 25 has no run-time aliasing checks). Each parameter is a
     * float widened exactly and narrowed back, so the same float operations and bits. With {@code max},
     * {@code max(t, +0)} on each output ({@link ScalarKernel#relu} where {@link ScalarKernel#maxIsRelu}), fused in
     * the same loop.
     */
    private static void mapAtOneIndex(float[] x, float[] y, int offset, int rows, AffineParams p, boolean max) {
        int channels = p.channels();
        int period = p.period();
        int rowsPerPeriod = period / channels;
        int periods = rows / rowsPerPeriod;
        if (periods > 0) {
            double[] q = parametersInDouble(p, period);
            if (max) {
                periodsWithMax(x, y, offset, periods, period, q);
            } else {
                periods(x, y, offset, periods, period, q);
            }
        }
        int rest = offset + periods * period;
        map(x, rest, y, rest, rows - periods * rowsPerPeriod, p, max);
    }

    /** {@code count} periods of {@code period} floats from {@code offset}, x and y at the same index. */
    private static void periods(float[] x, float[] y, int offset, int count, int period, double[] q) {
        int low = period;
        int scale = 2 * period;
        int shift = 3 * period;
        for (int r = 0, i = offset; r < count; r++, i += period) {
            for (int c = 0; c < period; c++) {
                float v = (x[i + c] - (float) q[c]) - (float) q[low + c];
                y[i + c] = Math.fma(v, (float) q[scale + c], (float) q[shift + c]);
            }
        }
    }

    /**
     * {@link #periods} with {@code max(t, +0)} on each output: 1.12-1.17x the map's time in a probe, against 1.26-1.27
     * for a pass of {@code max} after each block. A loop of its own: one loop with a flag for the max measured
     * 1.23-1.33x.
     */
    private static void periodsWithMax(float[] x, float[] y, int offset, int count, int period, double[] q) {
        int low = period;
        int scale = 2 * period;
        int shift = 3 * period;
        for (int r = 0, i = offset; r < count; r++, i += period) {
            for (int c = 0; c < period; c++) {
                float v = (x[i + c] - (float) q[c]) - (float) q[low + c];
                y[i + c] = Math.max(Math.fma(v, (float) q[scale + c], (float) q[shift + c]), 0f);
            }
        }
    }

    /**
     * This thread's copy of the map's center, low part, scale and shift as laid out over {@code length} positions, in
     * that order, widened to double.
     */
    private static double[] parametersInDouble(AffineParams p, int length) {
        double[] q = PARAMETERS_IN_DOUBLE.get();
        if (q.length < 4 * length) {
            q = new double[4 * length];
            PARAMETERS_IN_DOUBLE.set(q);
        }
        float[] center = p.center();
        float[] low = p.centerLow();
        float[] scale = p.scale();
        float[] shift = p.shift();
        for (int c = 0; c < length; c++) {
            q[c] = center[c];
            q[length + c] = low[c];
            q[2 * length + c] = scale[c];
            q[3 * length + c] = shift[c];
        }
        return q;
    }

    /** The map without ReLU on blocks of rows, each followed by {@link ScalarKernel#reluInPlace} while it is in L1. */
    private static void normalizeThenRelu(float[] x, int xOffset, float[] y, int yOffset, int rows, AffineParams p) {
        int channels = p.channels();
        int blockRows = Math.max(1, RELU_BLOCK / channels);
        for (int r = 0; r < rows; r += blockRows) {
            int count = Math.min(blockRows, rows - r);
            int from = yOffset + r * channels;
            map(x, xOffset + r * channels, y, from, count, p, false);
            ScalarKernel.reluInPlace(y, from, from + count * channels);
        }
    }

    /**
     * The map over the planes where x and y start at the same index: one index for both, so that C2 can vectorize each
     * plane's loop (with two, y might overlap x a few floats ahead), as {@link #mapAtOneIndex}; with {@code max},
     * {@code max(t, +0)} fused ({@link ScalarKernel#relu} where {@link ScalarKernel#maxIsRelu}).
     */
    private static void planesAtOneIndex(float[] x, float[] y, int offset, int n, int spatial, AffineParams p,
                                         boolean max) {
        int channels = p.channels();
        for (int k = 0, c = 0, i = offset; k < n * channels; k++, c = c + 1 == channels ? 0 : c + 1, i += spatial) {
            float center = p.center()[c];
            float low = p.centerLow()[c];
            float scale = p.scale()[c];
            float shift = p.shift()[c];
            if (max) {
                planeWithMax(x, y, i, spatial, center, low, scale, shift);
            } else {
                plane(x, y, i, spatial, center, low, scale, shift);
            }
        }
    }

    /** One plane's map, x and y at index {@code at}. */
    private static void plane(float[] x, float[] y, int at, int spatial, float center, float low, float scale,
                              float shift) {
        for (int j = at, end = at + spatial; j < end; j++) {
            y[j] = Math.fma((x[j] - center) - low, scale, shift);
        }
    }

    /** {@link #plane} with {@code max(t, +0)} on each output. */
    private static void planeWithMax(float[] x, float[] y, int at, int spatial, float center, float low, float scale,
                                     float shift) {
        for (int j = at, end = at + spatial; j < end; j++) {
            y[j] = Math.max(Math.fma((x[j] - center) - low, scale, shift), 0f);
        }
    }

    /** The map over the planes, with the bit-level ReLU fused if asked. */
    private static void mapPlanes(float[] x, int xOffset, float[] y, int yOffset, int n, int spatial, AffineParams p,
                                  boolean relu) {
        int channels = p.channels();
        for (int k = 0, c = 0, i = xOffset, o = yOffset; k < n * channels; k++, c = c + 1 == channels ? 0 : c + 1) {
            float center = p.center()[c];
            float low = p.centerLow()[c];
            float scale = p.scale()[c];
            float shift = p.shift()[c];
            for (int j = 0; j < spatial; j++, i++, o++) {
                float v = (x[i] - center) - low;
                float t = Math.fma(v, scale, shift);
                y[o] = relu ? ScalarKernel.relu(t) : t;
            }
        }
    }

    /**
     * The planes' map without ReLU, with {@link ScalarKernel#reluInPlace} after every 2,048 floats or more, while in
     * L1.
     */
    private static void normalizeNchwThenRelu(float[] x, int xOffset, float[] y, int yOffset, int n, int spatial,
                                              AffineParams p) {
        int channels = p.channels();
        for (int k = 0, c = 0, i = xOffset, o = yOffset, from = yOffset; k < n * channels;
             k++, c = c + 1 == channels ? 0 : c + 1) {
            float center = p.center()[c];
            float low = p.centerLow()[c];
            float scale = p.scale()[c];
            float shift = p.shift()[c];
            for (int j = 0; j < spatial; j++, i++, o++) {
                y[o] = Math.fma((x[i] - center) - low, scale, shift);
            }
            if (o - from >= RELU_BLOCK || k + 1 == n * channels) {
                ScalarKernel.reluInPlace(y, from, o);
                from = o;
            }
        }
    }
}
