package dev.simdnorm.internal;

/**
 * The map of a row normalization (LayerNorm, RMSNorm) over a chunk of rows of {@code size} floats: for row r and
 * position j, {@code y = fma(fma((x − center[r]) − centerLow[r], scale[r], offset[r]), gamma[j], beta[j])}.
 *
 * <p>The per-row arrays are working arrays, refilled for each chunk by the thread that owns them; γ and β are the
 * layer's, read only (and, for the scalar kernels, widened to double once per {@link #positions}, so they must not
 * change in between). A thread's own: never shared between threads during a call. The center is the row mean as a
 * hi/lo float pair (so the output does not inherit the mean's float rounding) and the engine's offset is 0 (the
 * kernels take any); the engine writes a row whose deviations could overflow float element by element instead.
 * RMSNorm has center, offset and β all 0.
 */
public final class RowParams {

    /** Rows per chunk: the statistics of a chunk are taken before any of its rows is written. */
    public static final int CHUNK_ROWS = 64;

    /** The longest rows whose γ and β are widened ({@link #positionsInDouble}): 256 KiB of doubles at most. */
    public static final int WIDENED_MAX = 1 << 14;

    private final float[] center = new float[CHUNK_ROWS];
    private final float[] centerLow = new float[CHUNK_ROWS];
    private final float[] scale = new float[CHUNK_ROWS];
    private final float[] offset = new float[CHUNK_ROWS];
    private final boolean[] wide = new boolean[CHUNK_ROWS];
    private float[] gamma;
    private float[] beta;
    /** γ then β widened to double, for the scalar kernels ({@link #positionsInDouble}); valid for one positions(). */
    private double[] widened = new double[0];
    private int widenedSize = -1;
    /** Whose widened copy this reads ({@link #positionsOf}); null where it keeps its own. */
    private RowParams source;

    /**
     * Sets the per-position parameters of the rows that follow.
     *
     * @param gamma γ, one per position of a row
     * @param beta  β, one per position of a row
     * @return this
     */
    public RowParams positions(float[] gamma, float[] beta) {
        this.gamma = gamma;
        this.beta = beta;
        widenedSize = -1;
        source = null;
        return this;
    }

    /**
     * Sets the per-position parameters to those of {@code source}, whose widened copy ({@link #positionsInDouble})
     * these then read: a second set of per-row arrays for the same call widens γ and β once.
     *
     * @param source the call's parameters, set by {@link #positions}
     * @return this
     */
    public RowParams positionsOf(RowParams source) {
        positions(source.gamma, source.beta);
        this.source = source;
        return this;
    }

    /**
     * γ (at 0) and β (at {@code size}; left as it was where β is null) widened to double, made on the first request
     * after {@link #positions} (or for another size) and kept for the rows that follow: the scalar kernels read them
     * so that C2 vectorizes their row maps. γ and β must not change between {@link #positions} and the last row.
     *
     * @param size floats per row, at most {@link #WIDENED_MAX}
     * @return at least 2·size doubles (size where β is null)
     */
    public double[] positionsInDouble(int size) {
        if (source != null) {
            return source.positionsInDouble(size);
        }
        if (widenedSize != size) {
            int length = beta == null ? size : 2 * size;
            if (widened.length < length) {
                widened = new double[length];
            }
            for (int j = 0; j < size; j++) {
                widened[j] = gamma[j];
            }
            if (beta != null) { // RMSNorm's positions have none
                for (int j = 0; j < size; j++) {
                    widened[size + j] = beta[j];
                }
            }
            widenedSize = size;
        }
        return widened;
    }

    /**
     * Row r's center, hi part.
     *
     * @return per row, length {@link #CHUNK_ROWS}
     */
    public float[] center() {
        return center;
    }

    /**
     * Row r's center, lo part.
     *
     * @return per row, length {@link #CHUNK_ROWS}
     */
    public float[] centerLow() {
        return centerLow;
    }

    /**
     * Row r's scale, 1/√(σ² + ε) or 1/√(mean(x²) + ε).
     *
     * @return per row, length {@link #CHUNK_ROWS}
     */
    public float[] scale() {
        return scale;
    }

    /**
     * Row r's offset, added after the scale: 0 from the engine.
     *
     * @return per row, length {@link #CHUNK_ROWS}
     */
    public float[] offset() {
        return offset;
    }

    /**
     * Whether row r spreads beyond float's range, so that a deviation from its center may overflow float: the engine
     * writes such a row element by element ({@link AffineParams#output(float, float, float, float, float)}); the
     * kernels do not read this.
     *
     * @return per row, length {@link #CHUNK_ROWS}
     */
    public boolean[] wide() {
        return wide;
    }

    /**
     * γ, per position.
     *
     * @return the layer's γ
     */
    public float[] gamma() {
        return gamma;
    }

    /**
     * β, per position.
     *
     * @return the layer's β
     */
    public float[] beta() {
        return beta;
    }
}
