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

/** Several training steps and an inference against a double-precision simulation of each {@link Convention}. */
class BatchNormPropertyTest {

    record TrainCase(Convention convention, boolean cumulative, int channels, float[] gamma, float[] beta,
                     float momentum, float epsilon, boolean relu, List<TensorCase> steps, TensorCase inference) {

        BatchNormBuilder builder() {
            BatchNormBuilder b = BatchNorm.builder(channels).convention(convention).gamma(gamma).beta(beta)
                    .epsilon(epsilon).activation(relu ? Activation.RELU : Activation.NONE);
            return cumulative ? b.cumulativeAverage() : b.momentum(momentum);
        }
    }

    /** Finite data only: propagation of NaN and Inf is tested on its own in BatchNormTest. */
    static final Distribution[] FINITE = {
        Distribution.STANDARD, Distribution.PER_CHANNEL, Distribution.DYADIC, Distribution.CONSTANT_CHANNELS,
        Distribution.FAR_FROM_ZERO, Distribution.TINY_SPREAD, Distribution.HUGE_MEAN, Distribution.SPIKES,
        Distribution.WIDE
    };

    static final Gen<TrainCase> CASES = ch -> {
        Convention convention = ch.oneOf(Convention.values());
        boolean cumulative = convention == Convention.PYTORCH && ch.oneIn(3);
        TensorCase first = TensorCase.gen(60_000, FINITE).generate(ch);
        if (convention == Convention.PYTORCH && first.rows() == 1) {
            // PyTorch refuses one value per channel (BadInputTest checks that); take two rows instead.
            first = TensorCase.make(first.offset(), 2, first.channels(), 1, Distribution.STANDARD, ch.seed());
        }
        int c = first.channels();
        List<TensorCase> steps = new ArrayList<>();
        steps.add(first);
        int more = ch.between(0, 3);
        for (int k = 0; k < more; k++) {
            int rows = ch.between(convention == Convention.PYTORCH ? 2 : 1, Math.max(2, 60_000 / c));
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
        return new TrainCase(convention, cumulative, c, gamma, beta, momentum, epsilon, ch.oneIn(2), steps, inference);
    };

    @Test
    void trainAndInferenceMatchDoubleSimulation() {
        Property.check("train steps and inference against a double simulation of each convention", 100, CASES, k -> {
            int channels = k.channels();
            BatchNorm bn = k.builder().build();
            int step = 0;
            double[] simMean = new double[channels];
            double[] simVar = new double[channels];
            double[] errMean = new double[channels];
            double[] errVar = new double[channels];
            java.util.Arrays.fill(simVar, 1);
            for (TensorCase t : k.steps()) {
                step++;
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
                // Running update in double, by the convention's rule: the framework's own float weights (TF fused and
                // ONNX subtract in float, 1f − m, which is far from the decimal 1 − m when m is near 1), the variance
                // biased or with Bessel's factor. Our float update then rounds at most five times on a term: the
                // float batch statistic, the product with the weight, Bessel's float factor and its product (TF
                // fused's variance), and the sum: 5u on the terms. Our float batch statistics carry their own
                // bounds, scaled by Bessel's factor where it applies.
                double[] weights = frameworkWeights(k, step);
                double d = weights[0];
                double w = weights[1];
                double bessel = switch (k.convention()) {
                    case TF_FUSED -> t.rows() / Math.max(t.rows() - 1.0, 1);
                    case PYTORCH -> t.rows() / (t.rows() - 1.0);
                    default -> 1;
                };
                float[] rm = bn.runningMean();
                float[] rv = bn.runningVariance();
                for (int c = 0; c < channels; c++) {
                    double batchVar = s.variance(c) * bessel;
                    errMean[c] = d * errMean[c] + w * s.meanTolerance(c)
                            + 5 * Oracle.U * (Math.abs(simMean[c]) * d + Math.abs(s.mean()[c]) * w);
                    errVar[c] = d * errVar[c] + w * bessel * s.varianceTolerance(c)
                            + 5 * Oracle.U * (simVar[c] * d + batchVar * w);
                    simMean[c] = simMean[c] * d + s.mean()[c] * w;
                    simVar[c] = simVar[c] * d + batchVar * w;
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

    /**
     * The weights {old, fresh} each framework multiplies by, as its source gives them: Python computes
     * {@code 1 − momentum} in double from the decimal value (TF idiom, Keras); C++ casts the momentum to float and
     * subtracts in float (TF fused, ONNX Runtime, and ATen's batch_norm_cpu_update_stats_template for PyTorch, whose
     * cumulative average passes the Python double {@code 1.0 / k}).
     */
    static double[] frameworkWeights(TrainCase k, int step) {
        float m = k.cumulative() ? (float) (1.0 / step) : k.momentum();
        double pythonOneMinus = (float) (1 - Double.parseDouble(Float.toString(m)));
        return switch (k.convention()) {
            case TENSORFLOW, KERAS -> new double[] {m, pythonOneMinus};
            case ONNX -> new double[] {m, 1f - m};
            case TF_FUSED, PYTORCH -> new double[] {1f - m, m};
        };
    }

    @Test
    void trainInPlaceEqualsOutOfPlaceBitForBit() {
        Property.check("train in place equals train out of place, bit for bit", 100, CASES, k -> {
            BatchNorm a = k.builder().build();
            BatchNorm b = k.builder().build();
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
