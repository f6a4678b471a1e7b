package dev.simdnorm.jmh;

import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * The TF1 idiom simdnorm started from, built from TensorFlow's raw ops: {@code tf.nn.moments(x, [0,1,2])} (mean,
 * then the mean of the squared difference: the biased variance), the running update {@code pop·decay +
 * batch·(1 − decay)}, and {@code tf.nn.batch_normalization} in its folded form
 * {@code x·inv + (offset − mean·inv)} with
 * {@code inv = rsqrt(var + ε)·scale}. Inputs are fed tensors made once, like {@link TensorFlowPeer}.
 */
final class TensorFlowIdiomPeer implements Peer {

    private final int threads;
    private TensorFlowInputs in;
    private Operand<TFloat32> inferenceY;
    private Operand<TFloat32> trainY;
    private Operand<TFloat32> newMean;
    private Operand<TFloat32> newVariance;
    private float[] runningMean;
    private float[] runningVariance;
    private boolean lastTraining;

    public TensorFlowIdiomPeer(int threads) {
        this.threads = threads;
    }

    @Override
    public String name() {
        return "TensorFlow, TF1 idiom from raw ops, NHWC, oneDNN " + TensorFlowInputs.onednn();
    }

    @Override
    public boolean unbiasedRunningVariance() {
        return false;
    }

    @Override
    public void load(Shape shape, float[] xs, float[] gamma, float[] beta, float[] runningMean,
                     float[] runningVariance, float epsilon, float weightOfNew) {
        in = new TensorFlowInputs(shape, xs, gamma, beta, runningMean, runningVariance);
        Ops tf = in.tf;
        Operand<TFloat32> eps = tf.constant(epsilon);
        inferenceY = normalize(tf, in.mean, in.variance, eps);
        // tf.nn.moments: the mean, then the mean of the squared difference from the (gradient-stopped) mean.
        Operand<TFloat32> mean = tf.math.mean(in.x, tf.constant(new int[]{0, 1, 2}));
        Operand<TFloat32> variance = tf.math.mean(tf.math.squaredDifference(in.x, tf.stopGradient(mean)),
                tf.constant(new int[]{0, 1, 2}));
        trainY = normalize(tf, mean, variance, eps);
        Operand<TFloat32> decay = tf.constant(1 - weightOfNew);
        Operand<TFloat32> keep = tf.constant(weightOfNew);
        newMean = tf.math.add(tf.math.mul(in.mean, decay), tf.math.mul(mean, keep));
        newVariance = tf.math.add(tf.math.mul(in.variance, decay), tf.math.mul(variance, keep));
        in.open(threads);
        this.runningMean = null;
        this.runningVariance = null;
    }

    /** tf.nn.batch_normalization: {@code x·inv + (offset − mean·inv)}, {@code inv = rsqrt(var + ε)·scale}. */
    private Operand<TFloat32> normalize(Ops tf, Operand<TFloat32> mean, Operand<TFloat32> variance,
                                        Operand<TFloat32> eps) {
        Operand<TFloat32> inv = tf.math.mul(tf.math.rsqrt(tf.math.add(variance, eps)), in.scale);
        return tf.math.add(tf.math.mul(in.x, inv), tf.math.sub(in.offset, tf.math.mul(mean, inv)));
    }

    @Override
    public void inference() {
        in.feed().fetch(inferenceY).run().close();
        lastTraining = false;
    }

    @Override
    public void endToEnd(float[] x, float[] y) {
        try (TFloat32 xs = TFloat32.tensorOf(in.xShape(), DataBuffers.of(x, true, false));
             Result r = in.feed(xs).fetch(inferenceY).run()) {
            ((TFloat32) r.get(0)).copyTo(DataBuffers.of(y, false, false));
        }
        lastTraining = false;
    }

    @Override
    public void train() {
        try (Result r = in.feed().fetch(trainY).fetch(newMean).fetch(newVariance).run()) {
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
        try (Result r = in.feed().fetch(lastTraining ? trainY : inferenceY).run()) {
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
