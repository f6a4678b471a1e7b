package dev.simdnorm;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** What each convention's momentum means, its defaults, and the conversions between them. */
class ConventionTest {

    @Test
    void defaultsAreEachFrameworksOwn() {
        // Keras 3 BatchNormalization(momentum=0.99, epsilon=1e-3); torch.nn.BatchNorm2d(eps=1e-5, momentum=0.1);
        // ONNX BatchNormalization attributes epsilon=1e-5, momentum=0.9. (TF and TF fused: the conformance files.)
        assertEquals(0.99f, Convention.KERAS.defaultMomentum());
        assertEquals(0.001f, Convention.KERAS.defaultEpsilon());
        assertEquals(0.1f, Convention.PYTORCH.defaultMomentum());
        assertEquals(1e-5f, Convention.PYTORCH.defaultEpsilon());
        assertEquals(0.9f, Convention.ONNX.defaultMomentum());
        assertEquals(1e-5f, Convention.ONNX.defaultEpsilon());
        BatchNorm torch = BatchNorm.builder(2).convention(Convention.PYTORCH).build();
        assertEquals(0.1f, torch.momentum());
        assertEquals(1e-5f, torch.epsilon());
        assertEquals(Convention.PYTORCH, torch.convention());
        // An explicit value wins over the convention's default, in either order of the builder's calls.
        BatchNorm set = BatchNorm.builder(2).epsilon(0.5f).momentum(0.3f).convention(Convention.ONNX).build();
        assertEquals(0.5f, set.epsilon());
        assertEquals(0.3f, set.momentum());
        assertEquals(Float.NaN, BatchNorm.builder(2).convention(Convention.PYTORCH).cumulativeAverage().build()
                .momentum());
    }

    @Test
    void convertingMomentumKeepsItsWeights() {
        // README: PyTorch momentum m = TF decay 1 − m = TF fused exponential_avg_factor m; ONNX momentum = TF decay.
        assertEquals(0.9f, Convention.PYTORCH.convertMomentum(0.1f, Convention.TENSORFLOW));
        assertEquals(0.01f, Convention.TENSORFLOW.convertMomentum(0.99f, Convention.PYTORCH));
        assertEquals(0.01f, Convention.KERAS.convertMomentum(0.99f, Convention.TF_FUSED));
        assertEquals(0.1f, Convention.PYTORCH.convertMomentum(0.1f, Convention.TF_FUSED));
        assertEquals(0.9f, Convention.ONNX.convertMomentum(0.9f, Convention.TENSORFLOW));
        assertEquals(0.1f, Convention.ONNX.convertMomentum(0.9f, Convention.PYTORCH));
        for (Convention from : Convention.values()) {
            for (Convention to : Convention.values()) {
                float m = 0.37f;
                assertEquals(m, to.convertMomentum(from.convertMomentum(m, to), from), from + " -> " + to);
            }
        }
    }

    @Test
    void convertedLayersUpdateAlike() {
        // The same weights, whatever the convention that carries them: PyTorch m = 0.25 and ONNX 0.75 are exact
        // binary fractions, so both updates round the same products, and their biased-variance rules differ only
        // where PyTorch applies Bessel's factor: the means must agree bit for bit.
        float[] x = new float[4 * 50];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.cos(i * 0.7) * 3 + i % 4;
        }
        BatchNorm torch = BatchNorm.builder(4).convention(Convention.PYTORCH).momentum(0.25f).build();
        BatchNorm onnx = BatchNorm.builder(4).convention(Convention.ONNX)
                .momentum(Convention.PYTORCH.convertMomentum(0.25f, Convention.ONNX)).build();
        float[] y = new float[x.length];
        for (int step = 0; step < 3; step++) {
            torch.train(x, 0, y, 0, 50);
            onnx.train(x, 0, y, 0, 50);
        }
        assertEquals(java.util.Arrays.toString(onnx.runningMean()), java.util.Arrays.toString(torch.runningMean()));
    }

    @Test
    void pyTorchRunningVarianceRoundsAsAten() {
        // ATen (batch_norm_cpu_update_stats_template) rounds the running variance twice: momentum_·unbiased_var and
        // the float (1 − momentum_)·running_var summed in double, then stored to float. Built here: a momentum m and
        // a batch {0, 2s} whose unbiased variance v = 2s² makes m·v + (1 − m)·r fall just past a float midpoint, by
        // less than half a double ulp, so one rounding (an FMA) and two differ. The oracle is ATen's line itself.
        int cases = 0;
        for (long j = 2049; j < 4096; j += 2) {
            for (int p : new int[] {45, 47}) {
                long m24 = ((1L << p) + j * j - 1) / (j * j);
                long excess = m24 * j * j - (1L << p);
                if (m24 < (1L << 23) || m24 >= (1L << 24) || excess <= 0 || (excess << 29) >= (1L << p)) {
                    continue;
                }
                float m = Math.scalb((float) m24, -24);
                float s = Math.scalb((float) j, -(p + 1) / 2);
                float old = 1f - m;
                float r = 1f / old; // nudged until (1 − m)·r is exactly 1 in float
                for (int i = 0; i < 50 && old * r != 1f; i++) {
                    r = old * r < 1f ? Math.nextUp(r) : Math.nextDown(r);
                }
                if (old * r != 1f) {
                    continue;
                }
                BatchNorm bn = BatchNorm.builder(1).convention(Convention.PYTORCH).momentum(m)
                        .runningVariance(new float[] {r}).build();
                float v = bn.train(new float[] {0f, 2 * s}, 0, new float[2], 0, 2).sampleVariance(0);
                // The oracle below takes v from the library: first check it, 2s² exactly (mean s, two deviations ±s).
                assertEquals(2.0 * s * s, v, "sample variance of {0, 2s}, s = " + s);
                float aten = (float) ((double) m * (double) v + (double) (old * r));
                assertEquals(aten, bn.runningVariance()[0], "m " + m + ", r " + r + ", v " + v);
                cases++;
            }
        }
        assertEquals(true, cases > 0, "no case built");
    }
}
