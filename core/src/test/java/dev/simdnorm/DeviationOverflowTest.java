package dev.simdnorm;

import dev.simdnorm.prop.Choices;
import dev.simdnorm.prop.Property;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Inference maps applied to finite x whose deviation from the mean overflows float: x and a running mean of opposite
 * signs near float's limits. The centered map would give ±Inf (or NaN where the scale is 0) where the true output is
 * finite; every entry point must give the true output, and the same bits as the others.
 */
class DeviationOverflowTest {

    private static final float EPSILON = 1e-3f;

    /** One layer's statistics and parameters, and x of {@code rows} NHWC rows. */
    record Case(int channels, int rows, float[] mean, float[] variance, float[] gamma, float[] beta, float[] x,
                boolean relu) {
        BatchNorm layer() {
            return BatchNorm.builder(channels).gamma(gamma).beta(beta).epsilon(EPSILON).runningMean(mean)
                    .runningVariance(variance).activation(relu ? Activation.RELU : Activation.NONE).build();
        }
    }

    /** A float of magnitude in [2^lo, 2^hi], finite, of either sign. */
    private static float magnitude(Choices ch, int lo, int hi) {
        float m = Math.scalb(1 + ch.between(0, 1 << 20) / (float) (1 << 20), ch.between(lo, hi));
        m = Math.min(m, Float.MAX_VALUE);
        return ch.oneIn(2) ? -m : m;
    }

    private static Case generate(Choices ch) {
        int channels = ch.between(1, 40);
        int rows = ch.between(1, 12);
        float[] mean = new float[channels];
        float[] variance = new float[channels];
        float[] gamma = new float[channels];
        float[] beta = new float[channels];
        for (int c = 0; c < channels; c++) {
            // Most channels with a mean past 2^103, where x − μ can overflow; the others ordinary.
            mean[c] = ch.oneIn(4) ? magnitude(ch, -10, 60) : magnitude(ch, 103, 127);
            variance[c] = ch.oneIn(8) ? 0 : Math.abs(magnitude(ch, -10, 127));
            gamma[c] = ch.oneIn(8) ? 0 : ch.between(-1000, 1000) / 100f;
            beta[c] = magnitude(ch, -10, 60);
        }
        boolean overflowing = !ch.oneIn(4); // else x stays near the means: the kernels' own path
        float[] x = new float[rows * channels];
        for (int i = 0; i < x.length; i++) {
            float m = mean[i % channels];
            x[i] = switch (overflowing ? ch.between(0, 2) : 0) {
                case 0 -> { // near the mean, clamped to float's range
                    int e = Math.getExponent(m);
                    double near = (double) m + magnitude(ch, e - 30, e - 2);
                    yield (float) Math.clamp(near, -Float.MAX_VALUE, Float.MAX_VALUE);
                }
                case 1 -> -Math.signum(m) * Math.abs(magnitude(ch, 126, 127)); // the far side, near the limit
                default -> magnitude(ch, -10, 127);
            };
        }
        return new Case(channels, rows, mean, variance, gamma, beta, x, ch.oneIn(2));
    }

    @Test
    void inferenceIsTheTrueOutputWhereTheDeviationOverflowsFloat() {
        Property.check("inference where x − μ overflows float", DeviationOverflowTest::generate, k -> {
            int channels = k.channels();
            float[] y = new float[k.x().length];
            k.layer().inference(k.x(), 0, y, 0, k.rows());
            for (int i = 0; i < y.length; i++) {
                int c = i % channels;
                double s = (float) (k.gamma()[c] / Math.sqrt((double) k.variance()[c] + EPSILON)); // the map's scale
                double d = (double) k.x()[i] - k.mean()[c];
                double exact = d * s + k.beta()[c];
                if (k.relu()) {
                    exact = Math.max(0, exact);
                }
                // The centered map rounds x − μ (u|x − μ|·|s| in the output) and the FMA's result (u|y|); where x − μ
                // overflows, the map in double adds a few units of 2⁻⁵³ of the terms before the final rounding.
                double bound = Oracle.U * (Math.abs(d * s) + Math.abs(exact))
                        + 0x1p-50 * (Math.abs(d * s) + Math.abs(k.beta()[c])) + Float.MIN_VALUE;
                if (Math.abs(exact) + bound >= Float.MAX_VALUE) {
                    continue; // the true output rounds beyond float's range
                }
                assertTrue(Float.isFinite(y[i]) && Math.abs(y[i] - exact) <= bound,
                        "element " + i + " (channel " + c + "): x " + k.x()[i] + ", mean " + k.mean()[c] + " gave "
                                + y[i] + ", expected " + exact + " ± " + bound);
            }
        });
    }

    @Test
    void everyEntryPointGivesTheSameBits() {
        Property.check("entry points where x − μ overflows float", 100, DeviationOverflowTest::generate, k -> {
            int channels = k.channels();
            int rows = k.rows();
            BatchNorm bn = k.layer();
            float[] x = k.x();
            float[] y = new float[x.length];
            bn.inference(x, 0, y, 0, rows);

            float[] inPlace = x.clone();
            bn.inference(inPlace, 0, inPlace, 0, rows);
            assertArrayEquals(y, inPlace, "in place");

            float[] offset = new float[x.length + 7];
            bn.inference(x, 0, offset, 7, rows, Parallelism.commonPool());
            assertArrayEquals(y, java.util.Arrays.copyOfRange(offset, 7, offset.length), "at an offset, parallel");

            // NCHW: one image of `rows` positions.
            float[] xn = new float[x.length];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < channels; c++) {
                    xn[c * rows + r] = x[r * channels + c];
                }
            }
            float[] yn = new float[x.length];
            bn.inference(xn, 0, yn, 0, TensorShape.nchw(1, channels, rows));
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < channels; c++) {
                    assertEquals(Float.floatToRawIntBits(y[r * channels + c]),
                            Float.floatToRawIntBits(yn[c * rows + r]), "NCHW, channel " + c + ", position " + r);
                }
            }

            try (Arena arena = Arena.ofConfined()) {
                MemorySegment xs = arena.allocate((long) x.length * Float.BYTES, Float.BYTES);
                MemorySegment ys = arena.allocate((long) x.length * Float.BYTES, Float.BYTES);
                MemorySegment.copy(x, 0, xs, ValueLayout.JAVA_FLOAT, 0, x.length);
                bn.inference(xs, ys, rows);
                assertArrayEquals(y, ys.toArray(ValueLayout.JAVA_FLOAT), "native segments");
            }

            ChannelAffine map = ChannelAffine.normalizing(k.mean(), k.variance(), k.gamma(), k.beta(), EPSILON)
                    .withActivation(k.relu() ? Activation.RELU : Activation.NONE);
            float[] ya = new float[x.length];
            map.apply(x, 0, ya, 0, rows);
            assertArrayEquals(y, ya, "ChannelAffine");
        });
    }

    /** The case the class names: a finite output where the centered map gave +Inf, and β where the scale is 0. */
    @Test
    void theExampleOfTheDocs() {
        float[] x = {3e38f, -1.4e38f};
        float[] y = new float[2];
        BatchNorm.builder(1).runningMean(new float[] {-1.5e38f}).runningVariance(new float[] {3e38f}).build()
                .inference(x, 0, y, 0, 2);
        double s = (float) (1 / Math.sqrt((double) 3e38f + EPSILON)); // the map's scale
        double exact = ((double) 3e38f + 1.5e38f) * s;
        assertEquals(exact, y[0], 2 * Oracle.U * exact, "2.6e19, not +Inf");
        ChannelAffine.normalizing(new float[] {-1.5e38f}, new float[] {1}, new float[] {0}, new float[] {0.5f},
                EPSILON).apply(x, 0, y, 0, 2);
        assertArrayEquals(new float[] {0.5f, 0.5f}, y, "γ = 0 gives β, not NaN");
        // A batch's map applied to other data: its spread (√(n·σ²) ≈ 3.5e19) left it centered at the mean.
        Moments batch = Moments.ofSums(4, new double[] {-1.5e38}, new double[] {4 * 3e38});
        ChannelAffine.normalizing(batch, new float[] {1}, new float[] {0}, EPSILON).apply(x, 0, y, 0, 2);
        double scale = (float) (1 / Math.sqrt(3e38 + EPSILON));
        assertEquals(((double) 3e38f + 1.5e38) * scale, y[0], 2 * Oracle.U * 4.5e38 * scale, "a batch's map");
    }
    /**
     * A training step whose values spread beyond float's range (n·σ² ≥ 2²⁵⁴) far from zero: two values, 3.4e38 and
     * 3.396e38, 2²⁰ times each (σ = 2e35, |μ|/σ ≈ 1700). The map stays centered, as for any batch: outputs ±γ within
     * 3 roundings (the scale rounded once, the product and β in one FMA; the deviations are exact by Sterbenz's
     * lemma, and the mean's hi/lo pair and the double variance err far below that). Folded into x·s + (β − μ·s), as
     * such channels were, the output lost |μ|·s·2⁻²⁴ (1e-4 where γ is 1) and was −Inf where μ·s passed the largest
     * float (γ = 1e36, outputs ±1e36).
     */
    @Test
    void trainingMapsOfValuesSpreadBeyondFloatStayCentered() {
        int half = 1 << 20;
        float[] x = new float[2 * half];
        for (int i = 0; i < x.length; i++) {
            x[i] = i % 2 == 0 ? 3.4e38f : 3.396e38f;
        }
        double mean = ((double) 3.4e38f + 3.396e38f) / 2;
        double sd = ((double) 3.4e38f - 3.396e38f) / 2;
        float[] y = new float[x.length];
        for (float gamma : new float[] {1f, 1e36f}) {
            float[] g = {gamma};
            float[] b = {0.25f};
            GroupNorm.instanceNorm(1).gamma(g).beta(b).epsilon(1e-5f).build()
                    .apply(x, 0, y, 0, TensorLayout.NCHW, 1, x.length);
            assertTrained(x, y, mean, sd, gamma, 0.25f, "InstanceNorm, γ = " + gamma);
            BatchNorm.builder(1).gamma(g).beta(b).epsilon(1e-5f).build().train(x, 0, y, 0, x.length);
            assertTrained(x, y, mean, sd, gamma, 0.25f, "BatchNorm.train, γ = " + gamma);
            ChannelAffine.normalizing(Moments.of(x, 0, x.length, 1), g, b, 1e-5f).apply(x, 0, y, 0, x.length);
            assertTrained(x, y, mean, sd, gamma, 0.25f, "ChannelAffine.normalizing(Moments), γ = " + gamma);
        }
    }

    /**
     * A training step whose own deviation overflows float: three values of 3.4e38 and one of −3.4e38 (μ = 1.7e38,
     * −3.4e38 − μ past the largest float). That element is mapped in double and rounded once, the others by the
     * kernels: all within 3 roundings of the true outputs (about ±1.7), with and without ReLU.
     */
    @Test
    void aTrainingStepsOwnOverflowingDeviationIsMappedInDouble() {
        float[] x = {3.4e38f, -3.4e38f, 3.4e38f, 3.4e38f};
        double mean = (double) 3.4e38f / 2;
        double sd = Math.sqrt((3 * Math.pow(3.4e38f - mean, 2) + Math.pow(-3.4e38f - mean, 2)) / 4);
        for (Activation a : Activation.values()) {
            float[] y = new float[4];
            BatchNorm.builder(1).activation(a).build().train(x, 0, y, 0, 4);
            float[] expected = new float[4];
            for (int i = 0; i < 4; i++) {
                double t = (x[i] - mean) / Math.sqrt(sd * sd + 1e-3f);
                expected[i] = (float) (a == Activation.RELU ? Math.max(t, 0) : t);
            }
            for (int i = 0; i < 4; i++) {
                assertEquals(expected[i], y[i], 3 * Oracle.U * Math.abs(expected[i]), a + ", element " + i);
            }
        }
    }

    private static void assertTrained(float[] x, float[] y, double mean, double sd, float gamma, float beta,
                                      String what) {
        for (int i = 0; i < x.length; i++) {
            double exact = (x[i] - mean) / Math.sqrt(sd * sd + 1e-5f) * gamma + beta;
            assertEquals(exact, y[i], 3 * Oracle.U * Math.abs(exact), what + ", element " + i);
        }
    }
}
