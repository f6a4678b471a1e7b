package dev.simdnorm.jmh;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;

import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * ONNX Runtime's LayerNormalization (opset 17), RMSNormalization (opset 23) and GroupNormalization (opset 21), one
 * node each on the data's own layout (rows of the last axis; NCHW images), and the residual forms, its contrib
 * operators SkipLayerNormalization and SkipSimplifiedLayerNormalization, writing y and h. Inputs and outputs are
 * direct buffers made once; the outputs are pinned, so a run writes into them.
 */
final class OnnxRuntimeNormPeer implements NormPeer {

    private final int threads;
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private OrtSession session;
    private Op op;
    private final Map<String, OnnxTensor> inputs = new HashMap<>();
    private final Map<String, OnnxTensor> outputs = new HashMap<>();

    public OnnxRuntimeNormPeer(int threads) {
        this.threads = threads;
    }

    @Override
    public String name() {
        return switch (op) {
            case LAYER_NORM -> "ONNX Runtime LayerNormalization (opset 17)";
            case RMS_NORM -> "ONNX Runtime RMSNormalization (opset 23)";
            case GROUP_NORM -> "ONNX Runtime GroupNormalization (opset 21)";
            case SKIP_LAYER_NORM -> "ONNX Runtime SkipLayerNormalization (com.microsoft)";
            case SKIP_RMS_NORM -> "ONNX Runtime SkipSimplifiedLayerNormalization (com.microsoft)";
            case null -> "ONNX Runtime";
        };
    }

    @Override
    public boolean supports(Op op) {
        return true;
    }

    @Override
    public void load(Case c, float[] x, float[] gamma, float[] beta, float epsilon) throws Exception {
        op = c.op();
        long[] dims = op == Op.GROUP_NORM ? new long[]{c.n(), c.channels(), c.spatial()}
                : op.skip() ? new long[]{1, c.rows(), c.size()} : new long[]{c.rows(), c.size()};
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(threads);
        options.setInterOpNumThreads(1);
        options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
        session = env.createSession(OnnxModel.normalization(op, dims, c.parameters(), epsilon, c.groups()), options);
        long[] p = {c.parameters()};
        if (op.skip()) {
            int n = x.length / 2;
            inputs.put("X", tensor(java.util.Arrays.copyOf(x, n), dims));
            inputs.put("skip", tensor(java.util.Arrays.copyOfRange(x, n, x.length), dims));
            inputs.put("gamma", tensor(gamma, p));
            if (op == Op.SKIP_LAYER_NORM) {
                inputs.put("beta", tensor(beta, p));
            }
            outputs.put("Y", tensor(new float[n], dims));
            outputs.put("H", tensor(new float[n], dims));
            return;
        }
        inputs.put("X", tensor(x, dims));
        inputs.put("scale", tensor(gamma, p));
        if (op != Op.RMS_NORM) {
            inputs.put("B", tensor(beta, p));
        }
        outputs.put("Y", tensor(new float[x.length], dims));
    }

    private OnnxTensor tensor(float[] values, long[] dims) throws Exception {
        return OnnxRuntimePeer.tensor(env, values, dims);
    }

    @Override
    public void run() throws Exception {
        session.run(inputs, outputs).close();
    }

    @Override
    public float[] y() {
        FloatBuffer b = outputs.get("Y").getFloatBuffer();
        float[] out = new float[b.remaining()];
        b.get(out);
        return out;
    }

    @Override
    public void close() throws Exception {
        for (OnnxTensor t : inputs.values()) {
            t.close();
        }
        for (OnnxTensor t : outputs.values()) {
            t.close();
        }
        if (session != null) {
            session.close();
        }
    }
}
