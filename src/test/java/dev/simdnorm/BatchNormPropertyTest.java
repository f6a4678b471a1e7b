package dev.simdnorm;

import dev.simdnorm.prop.Distribution;
import dev.simdnorm.prop.Gen;
import dev.simdnorm.prop.Property;
import dev.simdnorm.prop.TensorCase;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** Several training steps and an inference against a double-precision simulation of the TF1 idiom. */
class BatchNormPropertyTest {

    record TrainCase(int channels, float[] gamma, float[] beta, float momentum, float epsilon, boolean relu,
                     List<TensorCase> steps, TensorCase inference) {
    }

    /** Finite data only: propagation of NaN and Inf is tested on its own in BatchNormTest. */
    static final Distribution[] FINITE = {
        Distribution.STANDARD, Distribution.PER_CHANNEL, Distribution.DYADIC, Distribution.CONSTANT_CHANNELS,
        Distribution.FAR_FROM_ZERO, Distribution.TINY_SPREAD, Distribution.HUGE_MEAN, Distribution.SPIKES,
        Distribution.WIDE
    };

    static final Gen<TrainCase> CASES = ch -> {
        TensorCase first = TensorCase.gen(60_000, FINITE).generate(ch);
        int c = first.channels();
        List<TensorCase> steps = new ArrayList<>();
        steps.add(first);
        int more = ch.between(0, 3);
        for (int k = 0; k < more; k++) {
            int rows = ch.between(1, Math.max(1, 60_000 / c));
            steps.add(TensorCase.make(ch.between(0, 9), rows, c, ch.between(0, 2), ch.oneOf(FINITE), ch.seed()));
        }
        TensorCase inference = TensorCase.make(ch.between(0, 9), ch.between(0, 300), c, 1, ch.oneOf(FINITE),
                ch.seed());
        SplittableRandom r = new SplittableRandom(ch.seed());
        float[] gamma = new float[c];
        float[] beta = new float[c];
        for (int i = 0; i < c; i++) {
            gamma[i] = (float) (1 + 0.3 * r.nextGaussian());
            beta[i] = (float) (0.3 * r.nextGaussian());
        }
        float momentum = ch.oneOf(0.99f, 0.9f, 0.5f, 0f, 1f, 0.999f);
        float epsilon = ch.oneOf(1e-3f, 1e-5f, 0.1f);
        return new TrainCase(c, gamma, beta, momentum, epsilon, ch.oneIn(2), steps, inference);
    };

    @Test
    void trainAndInferenceMatchDoubleSimulation() {
        Property.check("train steps and inference against a double simulation of the TF1 idiom", 100, CASES, k -> {
            int channels = k.channels();
            BatchNorm bn = BatchNorm.builder(channels).gamma(k.gamma()).beta(k.beta()).momentum(k.momentum())
                    .epsilon(k.epsilon()).activation(k.relu() ? Activation.RELU : Activation.NONE).build();
            double decay = Double.parseDouble(Float.toString(k.momentum()));
            double[] simMean = new double[channels];
            double[] simVar = new double[channels];
            double[] errMean = new double[channels];
            double[] errVar = new double[channels];
            java.util.Arrays.fill(simVar, 1);
            for (TensorCase t : k.steps()) {
                float[] y = NormalizePropertyTest.poisoned(t.x().length);
                Moments batch = bn.train(t.x(), t.offset(), y, t.offset(), t.rows());
                Oracle.Stats s = Oracle.moments(t.x(), t.offset(), t.rows(), channels);
                MomentsPropertyTest.assertMatches(s, batch);
                for (int r = 0; r < t.rows(); r++) {
                    for (int c = 0; c < channels; c++) {
                        double var = s.variance(c);
                        double scale = k.gamma()[c] / Math.sqrt(var + k.epsilon());
                        double expected = Oracle.normalize(t.at(r, c), s.mean()[c], var, k.gamma()[c], k.beta()[c],
                                k.epsilon());
                        // Centre error: the double mean's own error (the hi/lo pair keeps it) plus u·|x−μ| for the
                        // second subtraction; scale error: u plus half the variance's relative error.
                        double centerErr = s.meanTolerance(c) - Oracle.U * Math.abs(s.mean()[c])
                                + Oracle.U * Math.abs(t.at(r, c) - s.mean()[c]);
                        double scaleRel = Oracle.U + 0.5 * s.varianceTolerance(c) / (var + k.epsilon());
                        double tol = Oracle.affineTolerance(t.at(r, c), s.mean()[c], scale, expected, centerErr,
                                scaleRel);
                        NormalizePropertyTest.assertElement(expected, k.relu(), y[t.offset() + r * channels + c],
                                tol, r, c);
                    }
                }
                // Running update in double; our float update rounds three times per value (u each, on terms of
                // size |R|·d and |B|·(1−d)) and uses float d and 1−d (within u of the decimal values): at most
                // 5u on those terms. Our float batch statistics carry their own bounds.
                float[] rm = bn.runningMean();
                float[] rv = bn.runningVariance();
                for (int c = 0; c < channels; c++) {
                    double w = 1 - decay;
                    errMean[c] = decay * errMean[c] + w * s.meanTolerance(c)
                            + 5 * Oracle.U * (Math.abs(simMean[c]) * decay + Math.abs(s.mean()[c]) * w);
                    errVar[c] = decay * errVar[c] + w * s.varianceTolerance(c)
                            + 5 * Oracle.U * (simVar[c] * decay + s.variance(c) * w);
                    simMean[c] = simMean[c] * decay + s.mean()[c] * w;
                    simVar[c] = simVar[c] * decay + s.variance(c) * w;
                    MomentsPropertyTest.assertWithin(simMean[c], rm[c], errMean[c] + Float.MIN_VALUE,
                            "running mean", c);
                    MomentsPropertyTest.assertWithin(simVar[c], rv[c], errVar[c] + Float.MIN_VALUE,
                            "running variance", c);
                }
            }
            // Inference: exact map from the layer's own float running statistics (the bar of the foundation issue).
            TensorCase t = k.inference();
            float[] rm = bn.runningMean();
            float[] rv = bn.runningVariance();
            float[] y = NormalizePropertyTest.poisoned(t.x().length);
            bn.inference(t.x(), t.offset(), y, t.offset(), t.rows());
            for (int r = 0; r < t.rows(); r++) {
                for (int c = 0; c < channels; c++) {
                    double scale = k.gamma()[c] / Math.sqrt((double) rv[c] + k.epsilon());
                    double expected = Oracle.normalize(t.at(r, c), rm[c], rv[c], k.gamma()[c], k.beta()[c],
                            k.epsilon());
                    double tol = Oracle.affineTolerance(t.at(r, c), rm[c], scale, expected, 0, Oracle.U);
                    NormalizePropertyTest.assertElement(expected, k.relu(), y[t.offset() + r * channels + c], tol,
                            r, c);
                }
            }
        });
    }

    @Test
    void trainInPlaceEqualsOutOfPlaceBitForBit() {
        Property.check("train in place equals train out of place, bit for bit", 100, CASES, k -> {
            BatchNorm a = BatchNorm.builder(k.channels()).gamma(k.gamma()).beta(k.beta()).momentum(k.momentum())
                    .build();
            BatchNorm b = BatchNorm.builder(k.channels()).gamma(k.gamma()).beta(k.beta()).momentum(k.momentum())
                    .build();
            for (TensorCase t : k.steps()) {
                float[] y = new float[t.x().length];
                a.train(t.x(), t.offset(), y, t.offset(), t.rows());
                float[] inPlace = t.x().clone();
                b.train(inPlace, t.offset(), inPlace, t.offset(), t.rows());
                assertArrayEquals(NormalizePropertyTest.bits(y, t.offset(), t.length()),
                        NormalizePropertyTest.bits(inPlace, t.offset(), t.length()));
                assertArrayEquals(a.runningMean(), b.runningMean());
                assertArrayEquals(a.runningVariance(), b.runningVariance());
            }
        });
    }
}
