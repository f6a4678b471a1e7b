package dev.simdnorm.internal;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The scalar backward's loops that C2 vectorizes (the ReLU mask as a product, runs over parameters laid out in
 * doubles) against its one-value-at-a-time loops with the bit mask, bit for bit: on Gaussian data, on data with
 * special values in x and dy (infinities and NaN, which make runs fall back to the bit mask), on forward outputs set
 * to the mask's finite boundaries (±0, ± the least subnormal, ± the least normal), with one infinite dy in the
 * second run alone, and with every output ≤ 0 and half of dy zero; at the same offset with dx apart, on dy and on x
 * (where ReLU's calls take the one-value-at-a-time loop whole), with x at another offset where it is not read, and past
 * the last whole run.
 */
class ScalarGradientsTest {

    /** The mask's boundaries among finite values: with them alone no run falls back to the bit mask. */
    private static final float[] BOUNDARIES = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL,
        -Float.MIN_NORMAL, 0x1p-140f, -0x1p-140f, 1f, -1f};

    private static final float[] SPECIAL = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MAX_VALUE,
        -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};

    @Test
    void vectorizedLoopsEqualOneValueAtATimeBitForBit() {
        SplittableRandom r = new SplittableRandom(11);
        for (int channels : new int[] {1, 3, 17, 64, 700}) {
            int rows = 2 * ((512 + channels - 1) / channels) + 3; // two runs, then three rows one value at a time
            for (int kind = 0; kind < 5; kind++) {
                AffineParams f = new AffineParams(channels);
                GradientParams k = new GradientParams(channels);
                for (int c = 0; c < channels; c++) {
                    boolean identity = kind == 2; // forward = x, so that x sets the mask's boundaries
                    f.center()[c] = identity ? 0f : (float) r.nextGaussian();
                    f.centerLow()[c] = identity ? 0f : (float) (1e-8 * r.nextGaussian());
                    f.scale()[c] = identity ? 1f : (float) (0.5 + r.nextDouble());
                    // kind 2: −0, so that x = −0 gives a forward output of −0; kind 4: every output ≤ 0 (silenced)
                    f.shift()[c] = identity ? -0f : kind == 4 ? -1e30f : (float) r.nextGaussian();
                    k.deviationScale()[c] = (float) r.nextGaussian();
                    k.offset()[c] = (float) r.nextGaussian();
                }
                int n = rows * channels;
                float[] x = new float[n + 2];
                float[] dy = new float[n + 2];
                for (int i = 0; i < x.length; i++) {
                    x[i] = kind == 2 ? BOUNDARIES[r.nextInt(BOUNDARIES.length)] : (float) r.nextGaussian();
                    dy[i] = kind == 1 && r.nextInt(50) == 0 ? SPECIAL[r.nextInt(SPECIAL.length)]
                            : (float) r.nextGaussian();
                    if (kind == 1 && r.nextInt(50) == 0) {
                        x[i] = SPECIAL[r.nextInt(SPECIAL.length)];
                    }
                }
                if (kind == 3) { // one infinite dy, in the second run only: runs kept and a run written again
                    dy[(512 + channels - 1) / channels * channels + r.nextInt(channels)] = Float.POSITIVE_INFINITY;
                }
                if (kind == 4) { // silenced channels and a zero dy: sums that end at zero, tails included
                    java.util.Arrays.fill(dy, 0, dy.length / 2, 0f);
                }
                String data = "C = " + channels + ", data " + kind;
                for (boolean relu : new boolean[] {false, true}) {
                    for (GradientParams correction : new GradientParams[] {null, k}) {
                        for (int alias = 0; alias < 3; alias++) {
                            int at = r.nextInt(3);
                            // x at another offset where the call does not read it (no ReLU, no correction): the
                            // runs then need dy's and dx's offsets alone to be equal
                            int xAt = !relu && correction == null && alias != 2 ? (at + 1 + r.nextInt(2)) % 3 : at;
                            float[] xe = x.clone();
                            float[] de = dy.clone();
                            float[] ee = alias == 0 ? new float[n + 2] : alias == 1 ? de : xe;
                            ScalarGradients.exactInputGradient(xe, xAt, de, at, ee, at, rows - 1, f, correction, relu);
                            float[] xa = x.clone();
                            float[] da = dy.clone();
                            float[] ea = alias == 0 ? new float[n + 2] : alias == 1 ? da : xa;
                            ScalarGradients.inputGradient(xa, xAt, da, at, ea, at, rows - 1, f, correction, relu);
                            String what = data + ", ReLU " + relu + ", corrected " + (correction != null)
                                    + ", dx " + (alias == 0 ? "apart" : alias == 1 ? "on dy" : "on x")
                                    + ", offsets x " + xAt + ", dy and dx " + at;
                            assertSameBits(ee, ea, "dx, " + what);
                        }
                    }
                    int period = LanePeriod.walked(channels);
                    int periods = n / period;
                    int tail = n - periods * period > 0 ? (n - periods * period) / channels * channels : 0;
                    float[] ge = new float[period + 16];
                    float[] ve = new float[period + 16];
                    float[] ga = new float[period + 16];
                    float[] va = new float[period + 16];
                    java.util.Arrays.fill(ga, Float.NaN);
                    java.util.Arrays.fill(va, Float.NaN);
                    ScalarGradients.exactSums(x, 1, dy, 1, period, periods - 1, tail, f, relu, ge, ve);
                    ScalarGradients.sums(x, 1, dy, 1, period, periods - 1, tail, f, relu, ga, va);
                    assertSameBits(ge, ga, "Σg, " + data + ", ReLU " + relu);
                    assertSameBits(ve, va, "Σv·g, " + data + ", ReLU " + relu);
                }
            }
        }
    }

    /** Equal bits, NaN's payload aside (it is not part of the kernels' contract). */
    private static void assertSameBits(float[] expected, float[] actual, String what) {
        for (int i = 0; i < expected.length; i++) {
            int index = i;
            assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(actual[i]),
                    () -> what + ", index " + index + ": " + actual[index] + ", expected " + expected[index]);
        }
    }
}
