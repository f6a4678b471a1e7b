package dev.simdnorm.internal;

/**
 * The per-channel coefficients of the input gradient of a training step, laid out as {@link AffineParams} are. With
 * the forward map's deviation {@code v} and scale {@code s}, the kernels compute
 * {@code dx = fma(g, s, fma(v, deviationScale, offset))}. Filled by its owner as {@link AffineParams} is.
 */
public final class GradientParams {

    private final int channels;
    private final int period;
    private final float[] deviationScale;
    private final float[] offset;

    /**
     * Zeroed coefficients for {@code channels} channels.
     *
     * @param channels C
     */
    public GradientParams(int channels) {
        this.channels = channels;
        this.period = LanePeriod.walked(channels);
        this.deviationScale = LanePeriod.padded(period);
        this.offset = LanePeriod.padded(period);
    }

    /** Repeats the first C entries of both arrays over the period. */
    public void layOut() {
        LanePeriod.repeat(deviationScale, channels, period);
        LanePeriod.repeat(offset, channels, period);
    }

    /** C. */
    public int channels() {
        return channels;
    }

    /** {@code −k·Σ(v·g)/(n·(σ² + ε))} with {@code k = γ/√(σ² + ε)}, laid out. */
    public float[] deviationScale() {
        return deviationScale;
    }

    /** {@code −k·Σg/n}, laid out. */
    public float[] offset() {
        return offset;
    }
}
