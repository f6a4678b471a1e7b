package dev.simdnorm;

import dev.simdnorm.prop.Distribution;
import dev.simdnorm.prop.Gen;
import dev.simdnorm.prop.Property;
import dev.simdnorm.prop.TensorCase;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The backward pass: the formula ({@link GradientOracle}) against central differences of the forward map in double,
 * and {@link BatchNorm#backward} and {@link BatchNorm#backwardInference} against the formula, within the bounds
 * derived in {@link GradientOracle}.
 */
class BackwardPropertyTest {

    /** A tensor x, an upstream gradient dy of the same shape, layer parameters and an output placement. */
    record BackwardCase(TensorCase t, float[] dy, int dyOffset, String dyKind, float[] gamma, float[] beta,
                        float epsilon, boolean relu, int dxOffset, int dxPad, float[] runningMean,
                        float[] runningVariance) {
        @Override
        public String toString() {
            return t + ", dy " + dyKind + " at offset " + dyOffset + (t.channels() <= 8 ? ", gamma="
                    + Arrays.toString(gamma) + ", beta=" + Arrays.toString(beta) + ", runningMean="
                    + Arrays.toString(runningMean) + ", runningVariance=" + Arrays.toString(runningVariance) : "")
                    + ", epsilon=" + epsilon + ", relu=" + relu + ", dxOffset=" + dxOffset;
        }
    }

    static final Gen<BackwardCase> CASES = ch -> {
        TensorCase t = TensorCase.gen(60_000, BatchNormPropertyTest.FINITE).generate(ch);
        int c = t.channels();
        int dyOffset = ch.between(0, 9);
        float[] dy = new float[dyOffset + t.length() + ch.between(0, 2)];
        Arrays.fill(dy, Float.NaN);
        String kind;
        SplittableRandom r = new SplittableRandom(ch.seed());
        switch (ch.between(0, 2)) {
            case 0 -> {
                // Independent of x.
                Distribution d = ch.oneOf(BatchNormPropertyTest.FINITE);
                d.fill(dy, dyOffset, t.rows(), c, r.nextLong());
                kind = d.name();
            }
            case 1 -> {
                // Constant per channel: in training dx cancels to about 0 (g − Σg/n = 0 and Σv·g ≈ 0).
                for (int i = 0; i < t.length(); i++) {
                    dy[dyOffset + i] = (float) (1 + Math.floorMod(i, c));
                }
                kind = "constant per channel";
            }
            default -> {
                // Affine in x, as the gradient of Σy²/2: in training dx cancels to about k·x̂·ε/(σ² + ε).
                double a = r.nextGaussian();
                double b = r.nextGaussian();
                for (int i = 0; i < t.length(); i++) {
                    dy[dyOffset + i] = (float) (a * t.x()[t.offset() + i] + b);
                }
                kind = "affine in x";
            }
        }
        float[] gamma = new float[c];
        float[] beta = new float[c];
        float[] runningMean = new float[c];
        float[] runningVariance = new float[c];
        for (int i = 0; i < c; i++) {
            gamma[i] = r.nextInt(20) == 0 ? 0f : (float) (1 + 0.5 * r.nextGaussian());
            beta[i] = (float) r.nextGaussian();
            runningMean[i] = r.nextBoolean() && Float.isFinite(t.at(0, i)) ? t.at(0, i) : (float) r.nextGaussian();
            runningVariance[i] = r.nextInt(10) == 0 ? 0f : (float) Math.abs(3 * r.nextGaussian());
        }
        float epsilon = ch.oneOf(1e-3f, 1e-5f, 0.1f, 1f);
        return new BackwardCase(t, dy, dyOffset, kind, gamma, beta, epsilon, ch.oneIn(2), ch.between(0, 20),
                ch.between(0, 3), runningMean, runningVariance);
    };

    static BatchNorm layer(BackwardCase k) {
        return BatchNorm.builder(k.t().channels()).gamma(k.gamma()).beta(k.beta()).epsilon(k.epsilon())
                .runningMean(k.runningMean()).runningVariance(k.runningVariance())
                .activation(k.relu() ? Activation.RELU : Activation.NONE).build();
    }

    /** Where the gradient passes: everywhere, or with ReLU where the float output was not ≤ 0. */
    static boolean[] keep(float[] y, int offset, int length, boolean relu) {
        boolean[] keep = new boolean[length];
        for (int i = 0; i < length; i++) {
            keep[i] = !(relu && y[offset + i] <= 0f);
        }
        return keep;
    }

    @Test
    void trainingBackwardMatchesFormula() {
        Property.check("backward within the error bounds of the formula in double", 150, CASES,
                k -> checkAgainstFormula(k, true));
    }

    @Test
    void inferenceBackwardMatchesFormula() {
        Property.check("backwardInference within the error bounds of the formula in double", 150, CASES,
                k -> checkAgainstFormula(k, false));
    }

    /**
     * Runs the forward pass (train or inference), then its backward pass, and holds the gradients to the formula in
     * double with the statistics the layer normalized with: the backward pass is defined by them.
     */
    private static void checkAgainstFormula(BackwardCase k, boolean training) {
        TensorCase t = k.t();
        int c = t.channels();
        BatchNorm bn = layer(k);
        float[] y = new float[t.x().length];
        float[] dx = NormalizePropertyTest.poisoned(k.dxOffset() + t.length() + k.dxPad());
        double[] mean = new double[c];
        double[] variance = new double[c];
        Gradients grads;
        if (training) {
            Moments batch = bn.train(t.x(), t.offset(), y, t.offset(), t.rows());
            grads = bn.backward(t.x(), t.offset(), k.dy(), k.dyOffset(), dx, k.dxOffset(), t.rows(), batch);
            for (int i = 0; i < c; i++) {
                mean[i] = batch.meanAsDouble(i);
                variance[i] = batch.varianceAsDouble(i);
            }
        } else {
            bn.inference(t.x(), t.offset(), y, t.offset(), t.rows());
            grads = bn.backwardInference(t.x(), t.offset(), k.dy(), k.dyOffset(), dx, k.dxOffset(), t.rows());
            for (int i = 0; i < c; i++) {
                mean[i] = k.runningMean()[i];
                variance[i] = k.runningVariance()[i];
            }
        }
        GradientOracle.Expected e = GradientOracle.backward(t.x(), t.offset(), k.dy(), k.dyOffset(), t.rows(), c, mean,
                variance, k.gamma(), k.epsilon(), keep(y, t.offset(), t.length(), k.relu()), training);
        assertMatches(e, grads, dx, k.dxOffset(), t.rows(), c);
        NormalizePropertyTest.assertUntouchedOutside(dx, k.dxOffset(), t.length());
    }

    @Test
    void inPlaceEqualsOutOfPlaceBitForBit() {
        Property.check("backward with dx = dy or dx = x equals out of place, bit for bit", 100, CASES, k -> {
            TensorCase t = k.t();
            BatchNorm bn = layer(k);
            Moments batch = bn.train(t.x(), t.offset(), new float[t.x().length], t.offset(), t.rows());
            for (boolean training : new boolean[] {true, false}) {
                float[] dx = new float[k.dy().length];
                Gradients expected = backward(bn, training, t.x(), t.offset(), k.dy(), k.dyOffset(), dx,
                        k.dyOffset(), t.rows(), batch);
                float[] overDy = k.dy().clone();
                Gradients a = backward(bn, training, t.x(), t.offset(), overDy, k.dyOffset(), overDy, k.dyOffset(),
                        t.rows(), batch);
                float[] overX = t.x().clone();
                Gradients b = backward(bn, training, overX, t.offset(), k.dy(), k.dyOffset(), overX, t.offset(),
                        t.rows(), batch);
                int[] bits = NormalizePropertyTest.bits(dx, k.dyOffset(), t.length());
                String mode = training ? "backward" : "backwardInference";
                assertArrayEquals(bits, NormalizePropertyTest.bits(overDy, k.dyOffset(), t.length()),
                        mode + ", dx = dy");
                assertArrayEquals(bits, NormalizePropertyTest.bits(overX, t.offset(), t.length()), mode + ", dx = x");
                for (Gradients g : new Gradients[] {a, b}) {
                    assertArrayEquals(expected.dGamma(), g.dGamma(), mode);
                    assertArrayEquals(expected.dBeta(), g.dBeta(), mode);
                }
            }
        });
    }

    private static Gradients backward(BatchNorm bn, boolean training, float[] x, int xOffset, float[] dy,
                                      int dyOffset, float[] dx, int dxOffset, int rows, Moments batch) {
        return training ? bn.backward(x, xOffset, dy, dyOffset, dx, dxOffset, rows, batch)
                : bn.backwardInference(x, xOffset, dy, dyOffset, dx, dxOffset, rows);
    }

    static void assertMatches(GradientOracle.Expected e, Gradients grads, float[] dx, int dxOffset, int rows,
                              int channels) {
        assertEquals(channels, grads.channels());
        float[] dGamma = grads.dGamma();
        float[] dBeta = grads.dBeta();
        for (int c = 0; c < channels; c++) {
            // Bounds: GradientOracle (float sums of at most K terms per block, one rounding to float).
            MomentsPropertyTest.assertWithin(e.dBeta()[c], dBeta[c], e.dBetaTolerance()[c], "dβ", c);
            MomentsPropertyTest.assertWithin(e.dGamma()[c], dGamma[c], e.dGammaTolerance()[c], "dγ", c);
        }
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < channels; c++) {
                int i = r * channels + c;
                double actual = dx[dxOffset + i];
                // Bound: GradientOracle (the coefficients' errors from the sums, v̂'s error, two FMA roundings).
                if (!(Math.abs(actual - e.dx()[i]) <= e.dxTolerance()[i])) {
                    throw new AssertionError("row " + r + " channel " + c + ": dx " + actual + ", expected "
                            + e.dx()[i] + " ± " + e.dxTolerance()[i]);
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------- finite differences

    /** A small case for central differences: all in double, from float data. */
    record SmallCase(TensorCase t, float[] w, float[] gamma, float[] beta, float epsilon, boolean relu,
                     boolean training, float[] runningMean, float[] runningVariance) {
    }

    static final Gen<SmallCase> SMALL = ch -> {
        int channels = ch.between(1, 4);
        int rows = ch.between(1, 8);
        TensorCase t = TensorCase.make(0, rows, channels, 0,
                ch.oneOf(Distribution.STANDARD, Distribution.PER_CHANNEL, Distribution.CONSTANT_CHANNELS),
                ch.seed());
        SplittableRandom r = new SplittableRandom(ch.seed());
        float[] w = new float[rows * channels];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian();
        }
        float[] gamma = new float[channels];
        float[] beta = new float[channels];
        float[] runningMean = new float[channels];
        float[] runningVariance = new float[channels];
        for (int c = 0; c < channels; c++) {
            gamma[c] = (float) (1 + 0.5 * r.nextGaussian());
            beta[c] = (float) (0.3 * r.nextGaussian());
            runningMean[c] = (float) r.nextGaussian();
            runningVariance[c] = (float) Math.abs(2 * r.nextGaussian());
        }
        return new SmallCase(t, w, gamma, beta, ch.oneOf(1e-3f, 1e-5f, 0.1f, 1f), ch.oneIn(2), !ch.oneIn(3),
                runningMean, runningVariance);
    };

    /** Relative step: far below the scale of the data, far above double rounding (see the tolerance). */
    private static final double STEP = 0x1p-16;

    /** Coordinates compared with a central difference, and those skipped at a ReLU kink, over all cases. */
    private static final long[] CHECKED_AND_SKIPPED = new long[2];

    @Test
    void formulaMatchesCentralDifferences() {
        CHECKED_AND_SKIPPED[0] = 0;
        CHECKED_AND_SKIPPED[1] = 0;
        Property.check("the gradient formula equals central differences of L = Σw·y in double", SMALL, s -> {
            TensorCase t = s.t();
            int rows = t.rows();
            int channels = t.channels();
            double[] x = new double[t.length()];
            for (int i = 0; i < x.length; i++) {
                x[i] = t.x()[i];
            }
            double[] gamma = toDouble(s.gamma());
            double[] beta = toDouble(s.beta());
            double[] mean = new double[channels];
            double[] variance = new double[channels];
            statistics(s, x, mean, variance);
            boolean[] keep = new boolean[x.length];
            loss(s, x, gamma, beta, keep);
            GradientOracle.Expected e = GradientOracle.backward(t.x(), 0, s.w(), 0, rows, channels, mean, variance,
                    s.gamma(), s.epsilon(), keep, s.training());
            for (int i = 0; i < x.length; i++) {
                double scale = Math.sqrt(variance[i % channels] + s.epsilon());
                checkDerivative(s, e.dx()[i], "dx[" + i + "]", keep, x, i, STEP * scale, x, gamma, beta);
            }
            for (int c = 0; c < channels; c++) {
                double h = STEP * Math.max(1, Math.abs(gamma[c]));
                checkDerivative(s, e.dGamma()[c], "dγ[" + c + "]", keep, gamma, c, h, x, gamma, beta);
                checkDerivative(s, e.dBeta()[c], "dβ[" + c + "]", keep, beta, c, STEP, x, gamma, beta);
            }
        });
        // Kinks are skipped, so the check must not be vacuous: a mask flips only for outputs within about
        // 2h·|∂y/∂p| of 0, h = 2⁻¹⁶ relative, a small share of the coordinates; far fewer than one in ten.
        long checked = CHECKED_AND_SKIPPED[0];
        long skipped = CHECKED_AND_SKIPPED[1];
        if (!(checked > 0 && skipped * 10 < checked + skipped)) {
            throw new AssertionError("central differences compared " + checked + " coordinates, skipped " + skipped);
        }
    }

    /**
     * Compares {@code expected} with {@code (L(p + h) − L(p − h))/2h} for the entry {@code at} of {@code p} (one of
     * x, γ, β). The central difference errs by {@code c·h²} (truncation) plus {@code δL/h} (δL bounds the rounding
     * of L); the same difference at 2h errs by {@code 4c·h²}, so {@code |D(2h) − D(h)|} bounds the truncation of D(h)
     * with room to spare. Coordinates where a ReLU mask changes within ±2h are skipped (L has a kink there).
     */
    private static void checkDerivative(SmallCase s, double expected, String what, boolean[] keep, double[] p, int at,
                                        double h, double[] x, double[] gamma, double[] beta) {
        double saved = p[at];
        double[] d = new double[2];
        double noise = 0;
        boolean[] k = new boolean[keep.length];
        for (int m = 1; m <= 2; m++) {
            double up = saved + m * h;
            double down = saved - m * h;
            p[at] = up;
            double lUp = loss(s, x, gamma, beta, k);
            boolean kinked = !Arrays.equals(k, keep);
            p[at] = down;
            double lDown = loss(s, x, gamma, beta, k);
            kinked |= !Arrays.equals(k, keep);
            p[at] = saved;
            if (kinked) {
                CHECKED_AND_SKIPPED[1]++;
                return;
            }
            d[m - 1] = (lUp - lDown) / (up - down);
            if (m == 1) {
                noise = 2 * lossRounding(s, x, gamma, beta) / (up - down);
            }
        }
        CHECKED_AND_SKIPPED[0]++;
        double tol = Math.abs(d[1] - d[0]) + 3 * noise;
        if (!(Math.abs(d[0] - expected) <= tol)) {
            throw new AssertionError(what + ": formula " + expected + ", central difference " + d[0] + " (at 2h "
                    + d[1] + ") ± " + tol);
        }
    }

    /** μ and σ² of each channel: of x, two-pass, in training; the running statistics otherwise. */
    private static void statistics(SmallCase s, double[] x, double[] mean, double[] variance) {
        int rows = s.t().rows();
        int channels = s.t().channels();
        for (int c = 0; c < channels; c++) {
            if (!s.training()) {
                mean[c] = s.runningMean()[c];
                variance[c] = s.runningVariance()[c];
                continue;
            }
            double sum = 0;
            for (int r = 0; r < rows; r++) {
                sum += x[r * channels + c];
            }
            mean[c] = sum / rows;
            double m2 = 0;
            for (int r = 0; r < rows; r++) {
                double v = x[r * channels + c] - mean[c];
                m2 += v * v;
            }
            variance[c] = m2 / rows;
        }
    }

    /** L = Σw·y of the forward map in double; {@code keep} gets where the ReLU passes. */
    private static double loss(SmallCase s, double[] x, double[] gamma, double[] beta, boolean[] keep) {
        int channels = s.t().channels();
        double[] mean = new double[channels];
        double[] variance = new double[channels];
        statistics(s, x, mean, variance);
        double loss = 0;
        for (int i = 0; i < x.length; i++) {
            int c = i % channels;
            double z = (x[i] - mean[c]) * (gamma[c] / Math.sqrt(variance[c] + s.epsilon())) + beta[c];
            keep[i] = !(s.relu() && z <= 0);
            loss += s.w()[i] * (keep[i] ? z : 0);
        }
        return loss;
    }

    /**
     * A bound on the rounding error of {@link #loss}: each y carries at most a few dozen roundings of 2⁻⁵³ relative to
     * the magnitudes it is made of (the mean's n additions included, n ≤ 8), so 2⁻⁴⁶ = 128 roundings of each.
     */
    private static double lossRounding(SmallCase s, double[] x, double[] gamma, double[] beta) {
        int channels = s.t().channels();
        double[] mean = new double[channels];
        double[] variance = new double[channels];
        statistics(s, x, mean, variance);
        double bound = 0;
        for (int i = 0; i < x.length; i++) {
            int c = i % channels;
            double k = Math.abs(gamma[c]) / Math.sqrt(variance[c] + s.epsilon());
            double maxAbs = 0;
            for (int j = c; j < x.length; j += channels) {
                maxAbs = Math.max(maxAbs, Math.abs(x[j]));
            }
            double y = Math.abs((x[i] - mean[c]) * k) + Math.abs(beta[c]);
            bound += Math.abs(s.w()[i]) * (k * (maxAbs + Math.abs(mean[c])) + y);
        }
        return 0x1p-46 * bound;
    }

    private static double[] toDouble(float[] a) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i];
        }
        return out;
    }
}
