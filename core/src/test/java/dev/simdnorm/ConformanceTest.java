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
 * max(|v|, 1), per quantity and convention (its last table). Ours is bounded by {@link Oracle} from the data: the
 * statistics bound, the affine bound for outputs, and for running statistics the float update's 5u per step on top
 * of the batch statistics' bound. Framework and library may differ by the sum of the two, which is what each check
 * allows.
 *
 * <p>Each file runs through a layer of its {@link Convention}, with the file's momentum in the framework's own meaning:
 * training outputs, batch moments (PyTorch reports the unbiased variance), the running-update rule bit for bit on the
 * file's own inputs, our running statistics within the bound, and inference from our running statistics.
 */
class ConformanceTest {

    /** Documented framework deviations (README table): y, mean, variance, running, inference. */
    static final Map<String, double[]> DEVIATION = Map.of(
            "tf-idiom", new double[] {9.5e-7, 2.0e-7, 2.4e-7, 1.6e-7, 2.2e-7},
            "tf-fused", new double[] {2.7e-6, 4.4e-7, 3.7e-7, 2.2e-7, 2.6e-7},
            "pytorch", new double[] {2.5e-6, 4.4e-7, 3.7e-7, 2.0e-7, 2.1e-7},
            "onnx", new double[] {0, 0, 0, 0, 6.5e-7});

    static final Map<String, Convention> CONVENTIONS = Map.of("tf-idiom", Convention.TENSORFLOW,
            "tf-fused", Convention.TF_FUSED, "pytorch", Convention.PYTORCH, "onnx", Convention.ONNX);

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
        Convention conv = CONVENTIONS.get(convention);
        float momentum = (float) (double) (Double) f.get("momentum");
        // Our defaults and the meaning of momentum are the frameworks' own, as the files record them.
        assertEquals(conv.defaultEpsilon(), eps, name + ": default epsilon");
        assertEquals(conv.defaultMomentum(), momentum, name + ": default momentum");
        assertEquals(conv.momentumWeighsNewBatch(), "weight of new batch value".equals(f.get("momentum_meaning")),
                name + ": meaning of momentum");
        BatchNorm bn = BatchNorm.builder(channels).convention(conv).momentum(momentum).gamma(gamma).beta(beta)
                .epsilon(eps).runningMean(rm).runningVariance(rv).build();
        // The running update's weights in double, to carry our error bound through the steps.
        double fresh = conv.momentumWeighsNewBatch() ? momentum : 1 - (double) momentum;
        double old = 1 - fresh;
        boolean unbiased = "unbiased".equals(f.get("batch_var_kind"));
        double bessel = conv == Convention.TF_FUSED || conv == Convention.PYTORCH ? rows / Math.max(rows - 1.0, 1) : 1;
        int step = 0;
        float[] filePrevRm = rm;
        float[] filePrevRv = rv;
        double[] rmErr = new double[channels];
        double[] rvErr = new double[channels];
        for (Object step0 : (List<Object>) f.get("train_steps")) {
            Map<String, Object> s = (Map<String, Object>) step0;
            String where = name + " step " + step++;
            float[] x = floats(s.get("x"));
            float[] y = new float[x.length];
            Moments batch = bn.train(x, 0, y, 0, rows);
            // The update rule itself, bit for bit, fed the file's own previous running values and batch statistics
            // (README: each framework's values are reproduced exactly by the float arithmetic it lists).
            float[] rmRule = filePrevRm.clone();
            float[] rvRule = filePrevRv.clone();
            float[] fileRm = floats(s.get("running_mean_after"));
            float[] fileRv = floats(s.get("running_var_after"));
            bn.updateRunning(rmRule, rvRule, floats(s.get("batch_mean")), floats(s.get("batch_var")), rows, step);
            assertArrayEquals(fileRm, rmRule, where + ": running mean rule, bit for bit");
            assertArrayEquals(fileRv, rvRule, where + ": running variance rule, bit for bit");
            // Our update is the same float arithmetic as the framework's, on our batch statistics: their bound
            // (the variance's scaled by Bessel's factor where the rule uses it), carried through the weights, plus
            // 6u per step on the terms: 5u of the float update (BatchNormPropertyTest derives it) and u for the
            // float weights against the decimal ones used here, which at the files' momenta are within u.
            Oracle.Stats o = Oracle.moments(x, 0, rows, channels);
            float[] ourRm = bn.runningMean();
            float[] ourRv = bn.runningVariance();
            for (int c = 0; c < channels; c++) {
                rmErr[c] = old * rmErr[c] + fresh * o.meanTolerance(c)
                        + 6 * Oracle.U * (Math.abs(filePrevRm[c]) * old + Math.abs(o.mean()[c]) * fresh);
                rvErr[c] = old * rvErr[c] + fresh * bessel * o.varianceTolerance(c)
                        + 6 * Oracle.U * (Math.abs(filePrevRv[c]) * old + o.variance(c) * bessel * fresh);
                within(fileRm[c], ourRm[c], dev[3] * Math.max(Math.abs(fileRm[c]), 1) + rmErr[c],
                        where + " running mean[" + c + "]");
                within(fileRv[c], ourRv[c], dev[3] * Math.max(Math.abs(fileRv[c]), 1) + rvErr[c],
                        where + " running variance[" + c + "]");
            }
            filePrevRm = fileRm;
            filePrevRv = fileRv;
            double[] meanTol = new double[channels];
            double[] varTol = new double[channels];
            for (int c = 0; c < channels; c++) {
                meanTol[c] = o.meanTolerance(c);
                varTol[c] = o.varianceTolerance(c) * (unbiased ? rows / (rows - 1.0) : 1);
            }
            close(floats(s.get("batch_mean")), batch.means(), dev[1], meanTol, where + " batch mean");
            close(floats(s.get("batch_var")), unbiased ? batch.sampleVariances() : batch.variances(), dev[2], varTol,
                    where + " batch variance");
            float[] fileY = floats(s.get("y"));
            for (int i = 0; i < fileY.length; i++) {
                int c = i % channels;
                double var = o.variance(c);
                double scale = gamma[c] / Math.sqrt(var + eps);
                double exact = Oracle.normalize(x[i], o.mean()[c], var, gamma[c], beta[c], eps);
                double ours = o.trainingMapTolerance(c, x[i], scale, exact, eps);
                within(fileY[i], y[i], dev[0] * Math.max(Math.abs(fileY[i]), 1) + ours, where + " training y[" + i + "]");
            }
        }
        Map<String, Object> inf = (Map<String, Object>) f.get("inference");
        float[] x = floats(inf.get("x"));
        float[] y = new float[x.length];
        bn.inference(x, 0, y, 0, rows);
        float[] mean = bn.runningMean();
        float[] var = bn.runningVariance();
        float[] fileY = floats(inf.get("y"));
        for (int i = 0; i < fileY.length; i++) {
            int c = i % channels;
            double scale = gamma[c] / Math.sqrt((double) var[c] + eps);
            double exact = Oracle.normalize(x[i], mean[c], var[c], gamma[c], beta[c], eps);
            // The running statistics are ours: within our bound of exact, the file's within its documented
            // deviation. Their difference moves y by |s|·Δμ + |x − μ|·|s|·Δσ²/(2(σ² + ε)).
            double dMean = rmErr[c] + dev[3] * Math.max(Math.abs(mean[c]), 1);
            double dVar = rvErr[c] + dev[3] * Math.max(var[c], 1);
            double statsErr = Math.abs(scale) * (dMean + Math.abs(x[i] - mean[c]) * 0.5 * dVar
                    / ((double) var[c] + eps));
            double ours = Oracle.affineTolerance(x[i], mean[c], scale, exact, 0, Oracle.U) + statsErr;
            within(fileY[i], y[i], dev[4] * Math.max(Math.abs(fileY[i]), 1) + ours, name + " inference y[" + i + "]");
        }
        assertEquals(x.length, rows * channels);
    }

    static void close(float[] expected, float[] actual, double deviation, double[] ours, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            within(expected[i], actual[i], deviation * Math.max(Math.abs(expected[i]), 1) + ours[i],
                    what + "[" + i + "]");
        }
    }

    static void within(float framework, float actual, double tolerance, String what) {
        if (!(Math.abs(framework - actual) <= tolerance)) {
            throw new AssertionError(what + ": " + actual + ", framework " + framework + " ± " + tolerance);
        }
    }
}
