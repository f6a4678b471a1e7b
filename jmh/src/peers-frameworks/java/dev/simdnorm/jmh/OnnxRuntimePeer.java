package dev.simdnorm.jmh;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * ONNX Runtime's BatchNormalization: on NHWC data between two Transposes, or on NCHW data (x transposed once in
 * {@link #load}, y transposed back only by {@link #y}): the fastest BN kernel measured here, as an upper bound.
 * Inputs and outputs are direct buffers made once; outputs are pinned, so a run writes into them.
 */
class OnnxRuntimePeer implements Peer {

    private final boolean nhwc;
    private final int threads;
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private OrtSession inferenceSession;
    private OrtSession trainSession;
    private Shape shape;
    private boolean lastTraining;
    private long[] dims;
    private final Map<String, OnnxTensor> inputs = new HashMap<>();
    private final Map<String, OnnxTensor> inferenceOutputs = new HashMap<>();
    private final Map<String, OnnxTensor> trainOutputs = new HashMap<>();

    /** NHWC data between two Transposes. */
    public OnnxRuntimePeer(int threads) {
        this(true, threads);
    }

    OnnxRuntimePeer(boolean nhwc, int threads) {
        this.nhwc = nhwc;
        this.threads = threads;
    }

    /** BatchNormalization alone, on the same data laid out NCHW. */
    public static final class Nchw extends OnnxRuntimePeer {
        public Nchw(int threads) {
            super(false, threads);
        }
    }

    @Override
    public String name() {
        return nhwc ? "ONNX Runtime, NHWC via Transpose" : "ONNX Runtime, NCHW data";
    }

    @Override
    public boolean unbiasedRunningVariance() {
        return false;
    }

    @Override
    public void load(Shape shape, float[] x, float[] gamma, float[] beta, float[] runningMean,
                     float[] runningVariance, float epsilon, float weightOfNew) throws Exception {
        this.shape = shape;
        dims = nhwc ? new long[]{shape.n(), shape.h(), shape.w(), shape.c()}
                : new long[]{shape.n(), shape.c(), shape.h(), shape.w()};
        float momentum = 1 - weightOfNew; // ONNX: R·momentum + B·(1 − momentum)
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(threads);
        options.setInterOpNumThreads(1);
        options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
        inferenceSession = env.createSession(OnnxModel.batchNorm(nhwc, dims, false, epsilon, momentum), options);
        trainSession = env.createSession(OnnxModel.batchNorm(nhwc, dims, true, epsilon, momentum), options);
        long[] c = {shape.c()};
        inputs.put("X", tensor(nhwc ? x : shape.toNchw(x), dims));
        inputs.put("scale", tensor(gamma, c));
        inputs.put("B", tensor(beta, c));
        inputs.put("mean", tensor(runningMean, c));
        inputs.put("var", tensor(runningVariance, c));
        inferenceOutputs.put("Y", tensor(new float[x.length], dims));
        trainOutputs.put("Y", tensor(new float[x.length], dims));
        trainOutputs.put("running_mean", tensor(new float[shape.c()], c));
        trainOutputs.put("running_var", tensor(new float[shape.c()], c));
    }

    private OnnxTensor tensor(float[] values, long[] dims) throws Exception {
        return tensor(env, values, dims);
    }

    /** A tensor over a direct buffer holding a copy of {@code values}. */
    static OnnxTensor tensor(OrtEnvironment env, float[] values, long[] dims) throws Exception {
        FloatBuffer b = ByteBuffer.allocateDirect(values.length * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
        b.put(values).flip();
        return OnnxTensor.createTensor(env, b, dims);
    }

    @Override
    public void inference() throws Exception {
        inferenceSession.run(inputs, inferenceOutputs).close();
        lastTraining = false;
    }

    @Override
    public void endToEnd(float[] x, float[] y) throws Exception {
        try (OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), dims)) {
            Map<String, OnnxTensor> feed = new HashMap<>(inputs);
            feed.put("X", in);
            inferenceSession.run(feed, inferenceOutputs).close();
        }
        inferenceOutputs.get("Y").getFloatBuffer().get(y);
        lastTraining = false;
    }

    @Override
    public void train() throws Exception {
        trainSession.run(inputs, trainOutputs).close();
        lastTraining = true;
    }

    private static float[] read(OnnxTensor t) {
        FloatBuffer b = t.getFloatBuffer();
        float[] out = new float[b.remaining()];
        b.get(out);
        return out;
    }

    /** Copies y out of the last op's output (NCHW data transposed back to NHWC). */
    @Override
    public float[] y() {
        float[] y = read((lastTraining ? trainOutputs : inferenceOutputs).get("Y"));
        return nhwc ? y : toNhwc(y);
    }

    private float[] toNhwc(float[] nchw) {
        float[] out = new float[nchw.length];
        int spatial = shape.spatial();
        int c = shape.c();
        for (int r = 0; r < shape.rows(); r++) {
            for (int ch = 0; ch < c; ch++) {
                out[r * c + ch] = nchw[((r / spatial) * c + ch) * spatial + r % spatial];
            }
        }
        return out;
    }

    @Override
    public float[] runningMean() {
        return read(trainOutputs.get("running_mean"));
    }

    @Override
    public float[] runningVariance() {
        return read(trainOutputs.get("running_var"));
    }

    @Override
    public void close() throws Exception {
        for (Map<String, OnnxTensor> m : java.util.List.of(inputs, inferenceOutputs, trainOutputs)) {
            for (OnnxTensor t : m.values()) {
                t.close();
            }
        }
        inferenceSession.close();
        trainSession.close();
    }
}
