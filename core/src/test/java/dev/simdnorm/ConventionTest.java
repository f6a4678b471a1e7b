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
}
