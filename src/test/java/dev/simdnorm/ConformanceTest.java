package dev.simdnorm;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Reference vectors produced by TensorFlow, PyTorch and ONNX Runtime themselves (src/test/resources/conformance,
 * copied with their README from the project's shared data).
 *
 * <p>Tolerances: the README measured each framework's largest deviation from exact float64 arithmetic, relative to
 * max(|v|, 1), per quantity and convention (its last table). Ours is bounded in {@link Oracle}: a few u. A comparison
 * of the two may differ by the sum, so each check allows the framework's documented deviation plus 8u, both relative
 * to max(|v|, 1) and, for outputs, to max(|x − μ|·|scale|, |y|, 1), the size of the terms that were rounded.
 *
 * <p>The TF1 idiom passes entirely: training outputs, batch moments, running statistics and inference. For the other
 * conventions, everything that does not depend on their running-update rule passes too: training outputs, batch
 * moments (PyTorch reports the unbiased variance) and inference from the file's running statistics.
 */
class ConformanceTest {

    static final double U = Oracle.U;

    /** Documented framework deviations (README table): y, mean, variance, running, inference. */
    static final Map<String, double[]> DEVIATION = Map.of(
            "tf-idiom", new double[] {9.5e-7, 2.0e-7, 2.4e-7, 1.6e-7, 2.2e-7},
            "tf-fused", new double[] {2.7e-6, 4.4e-7, 3.7e-7, 2.2e-7, 2.6e-7},
            "pytorch", new double[] {2.5e-6, 4.4e-7, 3.7e-7, 2.0e-7, 2.1e-7},
            "onnx", new double[] {0, 0, 0, 0, 6.5e-7});

    static Stream<String> files() {
        String[] shapes = {"2x3x3x5", "1x4x4x16", "3x5x5x17", "8x2x2x3", "2x4x4x64", "1x2x3x1"};
        return Stream.of("tensorflow/tf-idiom", "tensorflow/tf-fused", "pytorch/pytorch", "onnxruntime/onnx")
                .flatMap(p -> Stream.of(shapes).map(s -> p + "_" + s + ".json"));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> load(String name) throws IOException {
        try (InputStream in = ConformanceTest.class.getResourceAsStream("/conformance/" + name)) {
            assertNotNull(in, "missing resource conformance/" + name);
            return (Map<String, Object>) Json.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @SuppressWarnings("unchecked")
    static float[] floats(Object list) {
        List<Object> l = (List<Object>) list;
        float[] out = new float[l.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) (double) (Double) l.get(i);
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    @ParameterizedTest(name = "{0}")
    @MethodSource("files")
    void matchesFramework(String name) throws IOException {
        Map<String, Object> f = load(name);
        String convention = (String) f.get("convention");
        double[] dev = DEVIATION.get(convention);
        float[] shape = floats(f.get("shape"));
        int channels = (int) shape[3];
        int rows = (int) (shape[0] * shape[1] * shape[2]);
        float eps = (float) (double) (Double) f.get("epsilon");
        float[] gamma = floats(f.get("gamma"));
        float[] beta = floats(f.get("beta"));
        float[] rm = floats(f.get("running_mean_init"));
        float[] rv = floats(f.get("running_var_init"));
        boolean tfIdiom = convention.equals("tf-idiom");
        BatchNorm bn = BatchNorm.builder(channels).gamma(gamma).beta(beta).epsilon(eps).runningMean(rm)
                .runningVariance(rv).build();
        int step = 0;
        float[] filePrevRm = rm;
        float[] filePrevRv = rv;
        for (Object o : (List<Object>) f.get("train_steps")) {
            Map<String, Object> s = (Map<String, Object>) o;
            String where = name + " step " + step++;
            float[] x = floats(s.get("x"));
            float[] y = new float[x.length];
            Moments batch;
            if (tfIdiom) {
                batch = bn.train(x, 0, y, 0, rows);
                // The update rule itself, bit for bit, fed the file's own previous running values and batch
                // statistics (README: TF's values are reproduced exactly by fl(fl(R·0.99f) + fl(B·0.01f))).
                float[] rmRule = filePrevRm.clone();
                float[] rvRule = filePrevRv.clone();
                float[] fileRm = floats(s.get("running_mean_after"));
                float[] fileRv = floats(s.get("running_var_after"));
                bn.updateRunning(rmRule, rvRule, floats(s.get("batch_mean")), floats(s.get("batch_var")));
                assertArrayEquals(fileRm, rmRule, where + ": running mean rule, bit for bit");
                assertArrayEquals(fileRv, rvRule, where + ": running variance rule, bit for bit");
                filePrevRm = fileRm;
                filePrevRv = fileRv;
                close(fileRm, bn.runningMean(), dev[3], where + " running mean");
                close(fileRv, bn.runningVariance(), dev[3], where + " running variance");
            } else {
                batch = Moments.of(x, 0, rows, channels);
                ChannelAffine.normalizing(batch, gamma, beta, eps).apply(x, 0, y, 0, rows);
            }
            close(floats(s.get("batch_mean")), batch.means(), dev[1], where + " batch mean");
            boolean unbiased = "unbiased".equals(f.get("batch_var_kind"));
            close(floats(s.get("batch_var")), unbiased ? batch.sampleVariances() : batch.variances(), dev[2],
                    where + " batch variance");
            float[] scale = new float[channels];
            for (int c = 0; c < channels; c++) {
                scale[c] = ChannelAffine.scale(gamma[c], batch.variance(c), eps);
            }
            closeOutput(floats(s.get("y")), y, x, batch.means(), scale, dev[0], where + " training y");
        }
        Map<String, Object> inf = (Map<String, Object>) f.get("inference");
        float[] x = floats(inf.get("x"));
        float[] y = new float[x.length];
        if (!tfIdiom) {
            List<Object> steps = (List<Object>) f.get("train_steps");
            if (!steps.isEmpty()) {
                Map<String, Object> last = (Map<String, Object>) steps.get(steps.size() - 1);
                bn.setRunningMean(floats(last.get("running_mean_after")));
                bn.setRunningVariance(floats(last.get("running_var_after")));
            }
        }
        bn.inference(x, 0, y, 0, rows);
        float[] scale = new float[channels];
        float[] mean = bn.runningMean();
        float[] var = bn.runningVariance();
        for (int c = 0; c < channels; c++) {
            scale[c] = ChannelAffine.scale(gamma[c], var[c], eps);
        }
        closeOutput(floats(inf.get("y")), y, x, mean, scale, dev[4], name + " inference y");
        assertEquals(x.length, rows * channels);
    }

    static void close(float[] expected, float[] actual, double deviation, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double tol = (deviation + 8 * U) * Math.max(Math.abs(expected[i]), 1);
            if (!(Math.abs(expected[i] - actual[i]) <= tol)) {
                throw new AssertionError(what + "[" + i + "]: " + actual[i] + ", framework " + expected[i] + " ± "
                        + tol);
            }
        }
    }

    static void closeOutput(float[] expected, float[] actual, float[] x, float[] mean, float[] scale,
                            double deviation, String what) {
        int channels = mean.length;
        for (int i = 0; i < expected.length; i++) {
            int c = i % channels;
            double size = Math.max(Math.max(Math.abs(x[i] - mean[c]) * Math.abs(scale[c]), Math.abs(expected[i])), 1);
            double tol = deviation * Math.max(Math.abs(expected[i]), 1) + 8 * U * size;
            if (!(Math.abs(expected[i] - actual[i]) <= tol)) {
                throw new AssertionError(what + "[" + i + "]: " + actual[i] + ", framework " + expected[i] + " ± "
                        + tol);
            }
        }
    }
}
