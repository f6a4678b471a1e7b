package dev.simdnorm.jmh;

import org.tensorflow.Result;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.nn.FusedBatchNorm;
import org.tensorflow.types.TFloat32;

/**
 * TensorFlow's FusedBatchNormV3 on NHWC data through TensorFlow Java (a Graph and a Session). The inputs are tensors
 * made once and fed each run; TensorFlow allocates the outputs, which each run frees. Whether oneDNN's rewrites run
 * is decided by the environment variable TF_ENABLE_ONEDNN_OPTS of the whole process (on unless it is 0).
 */
final class TensorFlowPeer implements Peer {

    private final int threads;
    private TensorFlowInputs in;
    private FusedBatchNorm<TFloat32, TFloat32> inferenceOp;
    private FusedBatchNorm<TFloat32, TFloat32> trainOp;
    private float[] runningMean;
    private float[] runningVariance;
    private boolean lastTraining;

    public TensorFlowPeer(int threads) {
        this.threads = threads;
    }

    @Override
    public String name() {
        return "TensorFlow FusedBatchNormV3, NHWC, oneDNN " + TensorFlowInputs.onednn();
    }

    @Override
    public boolean unbiasedRunningVariance() {
        return true;
    }

    @Override
    public void load(Shape shape, float[] xs, float[] gamma, float[] beta, float[] runningMean,
                     float[] runningVariance, float epsilon, float weightOfNew) {
        in = new TensorFlowInputs(shape, xs, gamma, beta, runningMean, runningVariance);
        inferenceOp = in.tf.nn.fusedBatchNorm(in.x, in.scale, in.offset, in.mean, in.variance,
                FusedBatchNorm.epsilon(epsilon), FusedBatchNorm.dataFormat("NHWC"), FusedBatchNorm.isTraining(false));
        // exponential_avg_factor f: the outputs batch_mean and batch_variance are then (1 − f)·R + f·B.
        trainOp = in.tf.nn.fusedBatchNorm(in.x, in.scale, in.offset, in.mean, in.variance,
                FusedBatchNorm.epsilon(epsilon), FusedBatchNorm.dataFormat("NHWC"), FusedBatchNorm.isTraining(true),
                FusedBatchNorm.exponentialAvgFactor(weightOfNew));
        in.open(threads);
        this.runningMean = null;
        this.runningVariance = null;
    }

    @Override
    public void inference() {
        in.feed().fetch(inferenceOp.y()).run().close();
        lastTraining = false;
    }

    @Override
    public void endToEnd(float[] x, float[] y) {
        try (TFloat32 xs = TFloat32.tensorOf(in.xShape(), DataBuffers.of(x, true, false));
             Result r = in.feed(xs).fetch(inferenceOp.y()).run()) {
            ((TFloat32) r.get(0)).copyTo(DataBuffers.of(y, false, false));
        }
        lastTraining = false;
    }

    @Override
    public void train() {
        try (Result r = in.feed().fetch(trainOp.y()).fetch(trainOp.batchMean()).fetch(trainOp.batchVariance()).run()) {
            if (runningMean == null) {
                runningMean = TensorFlowInputs.read(r, 1);
                runningVariance = TensorFlowInputs.read(r, 2);
            }
        }
        lastTraining = true;
    }

    /** Runs the last op again and copies its y out: a graph run is a pure function of the fed tensors. */
    @Override
    public float[] y() {
        try (Result r = in.feed().fetch((lastTraining ? trainOp : inferenceOp).y()).run()) {
            return TensorFlowInputs.read(r, 0);
        }
    }

    @Override
    public float[] runningMean() {
        return runningMean;
    }

    @Override
    public float[] runningVariance() {
        return runningVariance;
    }

    @Override
    public void close() {
        in.close();
    }
}
