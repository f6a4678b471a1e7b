package dev.simdnorm.prop;

import java.util.SplittableRandom;

/** How the floats of a generated tensor are drawn, per channel. Earlier entries are simpler (shrinking goes there). */
public enum Distribution {
    /** N(0, 1). */
    STANDARD,
    /** N(μ_c, σ_c²) with μ_c ~ U[−3, 3], σ_c ~ U[0.5, 2], as the conformance files. */
    PER_CHANNEL,
    /** Small dyadic values k/8, |k| ≤ 64: every sum of them is exact in float. */
    DYADIC,
    /** Some channels constant, others N(0, 1). */
    CONSTANT_CHANNELS,
    /** Mean ±1e4, standard deviation 1: a float mean loses half an ulp, 4.9e-4. */
    FAR_FROM_ZERO,
    /** Mean 1e3, standard deviation 1e-2. */
    TINY_SPREAD,
    /** Mean up to ±1e6, standard deviation 1e-3: the spread is below one ulp, values are quantized. */
    HUGE_MEAN,
    /** N(0, 1e-6) with rare spikes of ±1e3: the worst case for a shifted sum. */
    SPIKES,
    /** Random signs and magnitudes from 1e-30 to 1e15, log-uniform. */
    WIDE,
    /** N(0, 1) with about 2% special values: NaN, ±Inf, ±0, subnormals, MIN_NORMAL. */
    SPECIALS;

    private static final float[] SPECIAL_VALUES = {
        Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE,
        Float.MIN_NORMAL, 1e-40f, -3e-39f
    };

    /** Fills {@code rows·channels} floats of {@code x} from {@code offset}, channel innermost. */
    public void fill(float[] x, int offset, int rows, int channels, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] mu = new double[channels];
        double[] sigma = new double[channels];
        for (int c = 0; c < channels; c++) {
            switch (this) {
                case PER_CHANNEL -> {
                    mu[c] = r.nextDouble(-3, 3);
                    sigma[c] = r.nextDouble(0.5, 2);
                }
                case CONSTANT_CHANNELS -> {
                    mu[c] = r.nextDouble(-100, 100);
                    sigma[c] = r.nextBoolean() ? 0 : 1;
                }
                case FAR_FROM_ZERO -> {
                    mu[c] = r.nextBoolean() ? 1e4 : -1e4;
                    sigma[c] = 1;
                }
                case TINY_SPREAD -> {
                    mu[c] = 1e3;
                    sigma[c] = 1e-2;
                }
                case HUGE_MEAN -> {
                    mu[c] = r.nextDouble(-1e6, 1e6);
                    sigma[c] = 1e-3;
                }
                case SPIKES -> sigma[c] = 1e-3;
                default -> sigma[c] = 1;
            }
        }
        for (int row = 0, i = offset; row < rows; row++) {
            for (int c = 0; c < channels; c++, i++) {
                x[i] = switch (this) {
                    case DYADIC -> (r.nextInt(129) - 64) / 8f;
                    case SPIKES -> r.nextInt(100) == 0 ? (r.nextBoolean() ? 1e3f : -1e3f)
                            : (float) (sigma[c] * r.nextGaussian());
                    case WIDE -> (float) ((r.nextBoolean() ? 1 : -1) * Math.pow(10, r.nextDouble(-30, 15)));
                    case SPECIALS -> r.nextInt(50) == 0 ? SPECIAL_VALUES[r.nextInt(SPECIAL_VALUES.length)]
                            : (float) r.nextGaussian();
                    default -> (float) (mu[c] + sigma[c] * r.nextGaussian());
                };
            }
        }
    }
}
