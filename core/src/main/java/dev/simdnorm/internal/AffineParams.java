package dev.simdnorm.internal;

/**
 * The per-channel parameters of the affine map {@code y = fma((x − center[c]) − centerLow[c], scale[c], shift[c])},
 * laid out as every kernel reads them: the C values in channel order, repeated over the walked period
 * ({@link LanePeriod#walked}) and padded with zeros to whole vectors of 16 lanes. The scalar kernel reads the first C
 * entries, the vector kernel the whole period; one layout serves both, so a call may run on either.
 *
 * <p>The low part is +0 for a map without one (an inference map): subtracting +0 changes no bit (−0 − +0 = −0), and
 * one shape of loop, with no branch on whether there is a low part, keeps the kernels' compiled code the same
 * whatever maps a JVM has seen.
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
     */
    public AffineParams(int channels) {
        this.channels = channels;
        this.period = LanePeriod.walked(channels);
        this.center = LanePeriod.padded(period);
        this.centerLow = LanePeriod.padded(period);
        this.scale = LanePeriod.padded(period);
        this.shift = LanePeriod.padded(period);
    }

    /** Repeats the first C entries of every array over the period. */
    public void layOut() {
        LanePeriod.repeat(center, channels, period);
        LanePeriod.repeat(centerLow, channels, period);
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

    /** The center's high part, laid out. */
    public float[] center() {
        return center;
    }

    /** The center's low part, laid out: +0 for a map without one. */
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
