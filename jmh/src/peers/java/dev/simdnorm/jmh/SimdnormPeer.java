package dev.simdnorm.jmh;

import dev.simdnorm.BatchNorm;
import dev.simdnorm.Convention;
import dev.simdnorm.KernelSelection;
import dev.simdnorm.Parallelism;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * simdnorm's {@link BatchNorm} under one framework's convention, through the same interface as the peers. With more
 * than one thread it runs on a pool of that many; {@link Parallelism} still keeps tensors under its threshold
 * (simdnorm.parallel.minFloats, 2^20 floats) on the calling thread, as it would for a user.
 */
final class SimdnormPeer implements Peer {

    private final Convention convention;
    private final ExecutorService pool;
    private final Parallelism parallelism;
    private BatchNorm layer;
    private float[] x;
    private float[] y;
    private int rows;
    private float[] trainedMean;
    private float[] trainedVariance;

    SimdnormPeer(Convention convention, int threads) {
        this.convention = convention;
        pool = threads > 1 ? Executors.newFixedThreadPool(threads) : null;
        parallelism = threads > 1 ? Parallelism.of(pool, threads) : Parallelism.sequential();
    }

    @Override
    public String name() {
        return "simdnorm, " + convention + " convention";
    }

    @Override
    public boolean unbiasedRunningVariance() {
        return convention == Convention.TF_FUSED || convention == Convention.PYTORCH;
    }

    @Override
    public void load(Shape shape, float[] xs, float[] gamma, float[] beta, float[] runningMean,
                     float[] runningVariance, float epsilon, float weightOfNew) {
        // Each convention's own momentum parameter: the weight of the batch (TF_FUSED's factor, PyTorch's momentum)
        // or of the old value (ONNX, Keras, the TF1 decay).
        boolean ofNew = convention == Convention.TF_FUSED || convention == Convention.PYTORCH;
        layer = BatchNorm.builder(shape.c()).convention(convention).epsilon(epsilon)
                .momentum(ofNew ? weightOfNew : 1 - weightOfNew).gamma(gamma).beta(beta)
                .runningMean(runningMean).runningVariance(runningVariance).build();
        x = xs;
        y = new float[xs.length];
        rows = shape.rows();
        trainedMean = null;
        // Measure the kernels this JVM chose, not the scalar ones that run during their warm-up.
        if (!KernelSelection.warmUp(Duration.ofSeconds(60))) {
            throw new IllegalStateException("the kernels did not warm up in 60 s");
        }
    }

    @Override
    public void inference() {
        layer.inference(x, 0, y, 0, rows, parallelism);
    }

    /** Nothing to copy: simdnorm works on the caller's arrays. */
    @Override
    public void endToEnd(float[] x, float[] y) {
        layer.inference(x, 0, y, 0, rows, parallelism);
    }

    @Override
    public void train() {
        layer.train(x, 0, y, 0, rows, parallelism);
        if (trainedMean == null) {
            trainedMean = layer.runningMean();
            trainedVariance = layer.runningVariance();
        }
    }

    @Override
    public float[] y() {
        return y.clone();
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
        if (pool != null) {
            pool.shutdown();
        }
    }
}
