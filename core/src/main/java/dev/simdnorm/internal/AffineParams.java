package dev.simdnorm.internal;

/**
 * The per-channel parameters of the affine map {@code y = fma((x − center[c]) − centerLow[c], scale[c], shift[c])},
 * laid out as every kernel reads them: the C values in channel order, repeated over the walked period
 * ({@link LanePeriod#walked}) and padded with zeros to whole vectors of 16 lanes. The scalar kernel reads the first C
 * entries, the vector kernel the whole period; one layout serves both, so a call may run on either.
 *
 * <p>The low part is +0 for a map without one (an inference map): subtracting +0 changes no bit (−0 − +0 = −0), so a
 * kernel may skip that subtraction where {@link #lowPart()} is false, and gives the bits of one that makes it.
 *
 * <p>Its owner fills it: write the first C entries of each array in channel order, then call {@link #layOut()}. A map
 * shared between threads is filled once before it is published and never written again. An owner that refills the
 * low part without {@link #layOut()} calls {@link #lowPartWritten()}, or the kernels may skip what it wrote.
 */
public final class AffineParams {

    /**
     * |center| from which {@code x − center} overflows float for some finite x: the largest float, 2¹²⁸ − 2¹⁰⁴, minus
     * −2¹⁰³ is 2¹²⁸ − 2¹⁰³, a tie that rounds to infinity.
     */
    public static final float WIDE_CENTER = 0x1p103f;

    private final int channels;
    private final int period;
    private final float[] center;
    private final float[] centerLow;
    private final float[] scale;
    private final float[] shift;
    /** Whether {@link #centerLow} may hold anything but +0: true until {@link #layOut()} finds it all +0. */
    private boolean lowPart = true;
    /** Whether {@code x − center} may overflow float for a finite x ({@link #findWideCenters}). */
    private boolean wideCenter;

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

    /** Repeats the first C entries of every array over the period, and notes whether the low part is all +0. */
    public void layOut() {
        LanePeriod.repeat(center, channels, period);
        LanePeriod.repeat(centerLow, channels, period);
        LanePeriod.repeat(scale, channels, period);
        LanePeriod.repeat(shift, channels, period);
        int bits = 0;
        for (int c = 0; c < channels; c++) {
            bits |= Float.floatToRawIntBits(centerLow[c]); // −0 has a bit set: only +0 may be skipped
        }
        lowPart = bits != 0;
        findWideCenters();
    }

    /**
     * Notes whether a finite center is at least {@link #WIDE_CENTER} in magnitude, where {@code x − center} (and so
     * the map's output) may overflow float for a finite x whose true output is finite. Below it, |x − center| stays
     * below 2¹²⁸ − 2¹⁰³, where rounding to float would overflow, for every finite x. {@link #layOut()} calls it; a
     * map applied only to the data its statistics came from (a training step's) calls
     * {@link #findWideCenters(boolean)}.
     */
    public void findWideCenters() {
        boolean wide = false;
        for (int c = 0; c < channels; c++) {
            float h = center[c];
            wide |= Math.abs(h) >= WIDE_CENTER && Float.isFinite(h);
        }
        wideCenter = wide;
    }

    /**
     * {@link #findWideCenters()} where {@code possible}, else notes that no deviation overflows: for a training
     * step's map, applied to its own batch, where {@code |x − μ| ≤ √(n·σ²)}, so that only a channel with
     * {@code n·σ² ≥ 2²⁵⁴} can overflow.
     *
     * @param possible whether a channel's values spread that wide
     */
    public void findWideCenters(boolean possible) {
        if (possible) {
            findWideCenters();
        } else {
            wideCenter = false;
        }
    }

    /** Whether {@code (x − hi) − lo} overflows float with x, hi and lo finite. */
    public static boolean deviationOverflows(float x, float hi, float lo) {
        return Float.isInfinite((x - hi) - lo) && Float.isFinite(x) && Float.isFinite(hi) && Float.isFinite(lo);
    }

    /**
     * Channel c's output for x before any activation: the kernels' {@code fma((x − hi) − lo, scale, shift)}, or, where
     * that deviation overflows float ({@link #deviationOverflows}), the same map in double, rounded once
     * (|x − μ| ≤ 2¹²⁹ is far inside double's range).
     */
    public float output(float x, int c) {
        return output(x, center[c], centerLow[c], scale[c], shift[c]);
    }

    /**
     * The map of one element, {@code fma((x − hi) − lo, scale, shift)}, in double and rounded once where that
     * deviation overflows float: {@link #output(float, int)}, and a row normalization's rows spread beyond float's
     * range.
     *
     * @param x     the element
     * @param hi    the center's high part
     * @param lo    the center's low part
     * @param scale the scale
     * @param shift the shift, added after the scale
     * @return the element's output, before any activation
     */
    public static float output(float x, float hi, float lo, float scale, float shift) {
        return deviationOverflows(x, hi, lo) ? (float) ((((double) x - hi) - lo) * scale + shift)
                : Math.fma((x - hi) - lo, scale, shift);
    }

    /** Whether {@link #findWideCenters} found a center from which a finite x's deviation may overflow float. */
    public boolean wideCenter() {
        return wideCenter;
    }

    /**
     * Writes channels {@code from} to C − 1 of a training map's values, not laid out: the scale
     * {@code (float) (γ/√(σ² + ε))} in double, rounded once (the float form of TF's rsqrt(var + ε)·γ loses up to a few
     * ulps), and the mean as a float high part and the float of what it leaves, {@code (float) (μ − hi)}. A vector
     * kernel writes the channels before {@code from} with the same operations per lane ({@link Kernel#trainingValues}).
     *
     * @param from     the first channel to write
     * @param mean     per-channel mean, in double
     * @param variance per-channel variance, in double
     * @param gamma    per-channel γ
     * @param epsilon  ε
     */
    public void trainingValues(int from, double[] mean, double[] variance, float[] gamma, float epsilon) {
        // Two loops without branches: one with both took longer (C = 1000; the root and the quotient in double).
        for (int c = from; c < channels; c++) {
            scale[c] = (float) (gamma[c] / Math.sqrt(variance[c] + epsilon));
        }
        for (int c = from; c < channels; c++) {
            float h = (float) mean[c];
            center[c] = h;
            centerLow[c] = (float) (mean[c] - h);
        }
    }

    /**
     * Notes that the low part was written without {@link #layOut()} (a training map, laid out array by array): from
     * now on {@link #lowPart()} is true.
     */
    public void lowPartWritten() {
        lowPart = true;
    }

    /**
     * Whether the low part may hold anything but +0. Where it is false, {@code (x − center) − centerLow} is
     * {@code x − center}, bit for bit, and a kernel may skip the second subtraction (a load and an operation per
     * vector).
     */
    public boolean lowPart() {
        return lowPart;
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
