package dev.simdnorm;

import dev.simdnorm.prop.Choices;
import dev.simdnorm.prop.Property;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The backward passes on finite data whose products {@code v·g} lie beyond the largest float (deviations of 2⁴⁰ to
 * 2⁶² times upstream gradients of 2⁷⁰ to 2¹¹⁵): the float block sums overflow where the gradients are ordinary
 * numbers ({@code dγ = Σv·g/σ}). The gradients must be finite and within the bounds of {@link GradientOracle}.
 */
class GradientSumOverflowTest {

    record Case(int channels, int rows, float[] x, float[] dy, float[] mean, float[] variance, float[] gamma,
                boolean relu) {
    }

    private static Case generate(Choices ch) {
        int channels = ch.between(1, 6);
        int rows = ch.between(2, 700);
        SplittableRandom random = new SplittableRandom(ch.draw(1 << 20));
        float[] mean = new float[channels];
        float[] variance = new float[channels];
        float[] gamma = new float[channels];
        for (int c = 0; c < channels; c++) {
            mean[c] = ch.between(-1000, 1000) * Math.scalb(1f, ch.between(0, 60));
            variance[c] = Math.scalb(1f, 2 * ch.between(40, 62)); // a running variance must be a float
            gamma[c] = ch.between(1, 300) / 100f;
        }
        float dyScale = Math.scalb(1f, ch.between(70, 115));
        float[] x = new float[rows * channels];
        float[] dy = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            int c = i % channels;
            x[i] = (float) (mean[c] + Math.sqrt(variance[c]) * random.nextGaussian());
            dy[i] = (float) (dyScale * random.nextGaussian());
        }
        return new Case(channels, rows, x, dy, mean, variance, gamma, ch.oneIn(2));
    }

    @Test
    void gradientsStayFiniteWhereFloatProductsOverflow() {
        Property.check("backward where v·g overflows float", 60, GradientSumOverflowTest::generate, k -> {
            int c = k.channels();
            for (boolean training : new boolean[] {false, true}) {
                BatchNorm bn = BatchNorm.builder(c).gamma(k.gamma()).runningMean(k.mean())
                        .runningVariance(k.variance()).activation(k.relu() ? Activation.RELU : Activation.NONE)
                        .build();
                float[] y = new float[k.x().length];
                float[] dx = new float[k.x().length];
                double[] mean = new double[c];
                double[] variance = new double[c];
                Gradients grads;
                if (training) {
                    Moments batch = bn.train(k.x(), 0, y, 0, k.rows());
                    grads = bn.backward(k.x(), 0, k.dy(), 0, dx, 0, k.rows(), batch);
                    for (int i = 0; i < c; i++) {
                        mean[i] = batch.meanAsDouble(i);
                        variance[i] = batch.varianceAsDouble(i);
                    }
                } else {
                    bn.inference(k.x(), 0, y, 0, k.rows());
                    grads = bn.backwardInference(k.x(), 0, k.dy(), 0, dx, 0, k.rows());
                    for (int i = 0; i < c; i++) {
                        mean[i] = k.mean()[i];
                        variance[i] = k.variance()[i];
                    }
                }
                for (int i = 0; i < c; i++) {
                    assertTrue(Float.isFinite(grads.dGamma()[i]) && Float.isFinite(grads.dBeta()[i]),
                            (training ? "backward" : "backwardInference") + ", channel " + i + ": dγ "
                                    + grads.dGamma()[i] + ", dβ " + grads.dBeta()[i]);
                }
                GradientOracle.Expected e = GradientOracle.backward(k.x(), 0, k.dy(), 0, k.rows(), c, mean, variance,
                        k.gamma(), BatchNorm.builder(c).build().epsilon(),
                        BackwardPropertyTest.keep(y, 0, y.length, k.relu()), training);
                BackwardPropertyTest.assertMatches(e, grads, dx, 0, k.rows(), c);
            }
        });
    }
}
