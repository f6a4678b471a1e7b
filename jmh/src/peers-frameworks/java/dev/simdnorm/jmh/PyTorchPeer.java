package dev.simdnorm.jmh;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.pytorch.jni.JniUtils;

/**
 * PyTorch's batch_norm through DJL on NHWC data: {@code x.transpose(0,3,1,2)} is a view of shape NCHW with
 * channels-last strides, which PyTorch's channels-last kernel takes; y is transposed back, also a view. PyTorch
 * allocates y each call; the running statistics are updated in place, as in {@code torch.nn.BatchNorm2d}.
 */
final class PyTorchPeer implements Peer {

    private static boolean interOpSet;

    private final int threads;
    private NDManager manager;
    private NDArray x;
    private ai.djl.ndarray.types.Shape shape;
    private NDArray gamma;
    private NDArray beta;
    private NDArray runningMean;
    private NDArray runningVariance;
    private float[] loadedMean;
    private float[] loadedVariance;
    private float epsilon;
    private float momentum;
    private float[] y;
    private float[] trainedMean;
    private float[] trainedVariance;

    /**
     * Loads the engine and sets its intra-op threads. The engine must be loaded before its thread counts are set
     * (../shared/peers.md), and the inter-op count can be set only once per process.
     */
    static synchronized void useThreads(int threads) {
        Engine.getEngine("PyTorch");
        JniUtils.setNumThreads(threads);
        if (!interOpSet) {
            JniUtils.setNumInteropThreads(1);
            interOpSet = true;
        }
    }

    public PyTorchPeer(int threads) {
        this.threads = threads;
    }

    @Override
    public String name() {
        return "PyTorch (DJL), channels-last view";
    }

    @Override
    public boolean unbiasedRunningVariance() {
        return true;
    }

    @Override
    public void load(Shape shape, float[] xs, float[] gamma, float[] beta, float[] runningMean,
                     float[] runningVariance, float epsilon, float weightOfNew) {
        useThreads(threads);
        manager = NDManager.newBaseManager("PyTorch");
        ai.djl.ndarray.types.Shape c = new ai.djl.ndarray.types.Shape(shape.c());
        this.shape = new ai.djl.ndarray.types.Shape(shape.n(), shape.h(), shape.w(), shape.c());
        x = manager.create(xs, this.shape).transpose(0, 3, 1, 2);
        this.gamma = manager.create(gamma, c);
        this.beta = manager.create(beta, c);
        this.runningMean = manager.create(runningMean, c);
        this.runningVariance = manager.create(runningVariance, c);
        loadedMean = runningMean.clone();
        loadedVariance = runningVariance.clone();
        this.epsilon = epsilon;
        this.momentum = 1 - weightOfNew; // DJL: m·old + (1 − m)·batch
        trainedMean = null;
    }

    private void run(boolean training, boolean keep) {
        try (NDManager call = manager.newSubManager()) {
            NDList out = BatchNorm.batchNorm(x, runningMean, runningVariance, gamma, beta, 1, momentum, epsilon,
                    training);
            NDArray result = out.head();
            result.attach(call);
            if (keep) {
                y = result.transpose(0, 2, 3, 1).toFloatArray();
            }
        }
    }

    @Override
    public void inference() {
        run(false, false);
        lastTraining = false;
    }

    @Override
    public void endToEnd(float[] xs, float[] y) {
        try (NDManager call = manager.newSubManager()) {
            NDArray in = call.create(xs, shape).transpose(0, 3, 1, 2);
            NDArray result = BatchNorm.batchNorm(in, runningMean, runningVariance, gamma, beta, 1, momentum, epsilon,
                    false).head();
            result.attach(call);
            System.arraycopy(result.transpose(0, 2, 3, 1).toFloatArray(), 0, y, 0, y.length);
        }
        lastTraining = false;
    }

    @Override
    public void train() {
        run(true, false);
        if (trainedMean == null) {
            trainedMean = runningMean.toFloatArray();
            trainedVariance = runningVariance.toFloatArray();
        }
        lastTraining = true;
    }

    private boolean lastTraining;

    /** Runs the last op again, from the running statistics it started from, and copies its y out. */
    @Override
    public float[] y() {
        if (lastTraining) {
            runningMean.set(java.nio.FloatBuffer.wrap(loadedMean));
            runningVariance.set(java.nio.FloatBuffer.wrap(loadedVariance));
        }
        run(lastTraining, true);
        return y;
    }

    @Override
    public float[] runningMean() {
        return trainedMean;
    }

    @Override
    public float[] runningVariance() {
        return trainedVariance;
    }

    @Override
    public void close() {
        manager.close();
    }
}
