package dev.simdnorm.jmh;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.norm.LayerNorm;

/**
 * PyTorch's {@code layer_norm} through DJL ({@code LayerNorm.layerNorm}), over the last axis of a [rows, size]
 * tensor. DJL 0.36 exposes no group_norm or rms_norm: those rows are left empty rather than composed of smaller ops.
 * PyTorch allocates y each call, as its users' code does.
 */
final class PyTorchNormPeer implements NormPeer {

    private final int threads;
    private NDManager manager;
    private NDArray x;
    private NDArray gamma;
    private NDArray beta;
    private ai.djl.ndarray.types.Shape normalized;
    private float epsilon;
    private float[] y;

    public PyTorchNormPeer(int threads) {
        this.threads = threads;
    }

    @Override
    public String name() {
        return "PyTorch layer_norm (DJL)";
    }

    @Override
    public boolean supports(Op op) {
        return op == Op.LAYER_NORM;
    }

    @Override
    public void load(Case c, float[] xs, float[] gamma, float[] beta, float epsilon) {
        PyTorchPeer.useThreads(threads);
        manager = NDManager.newBaseManager("PyTorch");
        normalized = new ai.djl.ndarray.types.Shape(c.size());
        x = manager.create(xs, new ai.djl.ndarray.types.Shape(c.rows(), c.size()));
        this.gamma = manager.create(gamma, normalized);
        this.beta = manager.create(beta, normalized);
        this.epsilon = epsilon;
    }

    private void run(boolean keep) {
        try (NDManager call = manager.newSubManager()) {
            NDArray result = LayerNorm.layerNorm(x, normalized, gamma, beta, epsilon).head();
            result.attach(call);
            if (keep) {
                y = result.toFloatArray();
            }
        }
    }

    @Override
    public void run() {
        run(false);
    }

    @Override
    public float[] y() {
        run(true);
        return y;
    }

    @Override
    public void close() {
        if (manager != null) {
            manager.close();
        }
    }
}
