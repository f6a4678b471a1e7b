package dev.simdnorm.internal;

/**
 * The per-channel parameters of the affine map {@code y = fma((x − center[c]) − centerLow[c], scale[c], shift[c])},
 * laid out as every kernel reads them: the C values in channel order, repeated over the walked period
 * ({@link LanePeriod#walked}) and padded with zeros to whole vectors of 16 lanes. The scalar kernel reads the first C
 * entries, the vector kernel the whole period; one layout serves both, so a call may run on either.
 *
 * <p>Its owner fills it: write the first C entries of each array in channel order, then call {@link #layOut()}. A map
 * shared between threads is filled once before it is published and never written again.
 */
public final class AffineParams {

    private final int channels;
    private final int period;
    private final float[] center;
    private final float[] centerLow;
    private final float[] scale;
    private final float[] shift;

    /**
     * Zeroed parameters for {@code channels} channels.
     *
     * @param channels C
     * @param withLow  whether the center has a low part (a training map, whose center is the batch mean as a hi/lo
     *                 pair); without one the kernels skip the second subtraction
     */
    public AffineParams(int channels, boolean withLow) {
        this.channels = channels;
        this.period = LanePeriod.walked(channels);
        this.center = LanePeriod.padded(period);
        this.centerLow = withLow ? LanePeriod.padded(period) : null;
        this.scale = LanePeriod.padded(period);
        this.shift = LanePeriod.padded(period);
    }

    /** Repeats the first C entries of every array over the period. */
    public void layOut() {
        LanePeriod.repeat(center, channels, period);
        if (centerLow != null) {
            LanePeriod.repeat(centerLow, channels, period);
        }
        LanePeriod.repeat(scale, channels, period);
        LanePeriod.repeat(shift, channels, period);
    }

    /** C. */
    public int channels() {
        return channels;
    }

    /** Floats per walked period, {@link LanePeriod#walked}. */
    public int period() {
        return period;
    }

    /** The center (its high part when there is a low part), laid out. */
    public float[] center() {
        return center;
    }

    /** The low part of the center, laid out, or null for none. */
    public float[] centerLow() {
        return centerLow;
    }

    /** The scale, laid out. */
    public float[] scale() {
        return scale;
    }

    /** The shift, laid out. */
    public float[] shift() {
        return shift;
    }
}
