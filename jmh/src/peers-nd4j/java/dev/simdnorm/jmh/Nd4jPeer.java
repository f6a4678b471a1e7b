package dev.simdnorm.jmh;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.BatchNorm;
import org.nd4j.linalg.factory.Nd4j;

/**
 * ND4J's batchnorm custom op on NHWC data (axis 3), with the oneDNN build of the native backend (the JVM must run
 * with {@code -Dorg.bytedeco.javacpp.platform.extension=-onednn-avx512}; the plain build is about 40× slower). The op
 * does inference only: training computes the batch statistics with {@code mean} and {@code var} (biased), normalizes
 * with them, and updates the running statistics with ND4J's in-place arithmetic. All arrays but the batch statistics,
 * y included, are made once. Threads: {@code setMaxThreads} and {@code OMP_NUM_THREADS} of the process, which must
 * equal the thread count (checked).
 */
final class Nd4jPeer implements Peer {

    /** The system property that selects the oneDNN build; set before ND4J's backend loads. */
    static final String PLATFORM_EXTENSION = "org.bytedeco.javacpp.platform.extension";

    private final int threads;
    private INDArray x;
    private INDArray y;
    private INDArray gamma;
    private INDArray beta;
    private INDArray runningMean;
    private INDArray runningVariance;
    private INDArray scratch;
    private float epsilon;
    private float weightOfNew;
    private float[] trainedMean;
    private float[] trainedVariance;

    public Nd4jPeer(int threads) {
        this.threads = threads;
        // Each JMH fork runs one framework, and the accuracy program makes this peer after the others, so the
        // property reaches ND4J's backend, which loads with the first Nd4j call, and no other framework's loader.
        if (System.getProperty(PLATFORM_EXTENSION) == null) {
            System.setProperty(PLATFORM_EXTENSION, "-onednn-avx512");
        }
    }

    @Override
    public String name() {
        return "ND4J batchnorm, NHWC, " + System.getProperty(PLATFORM_EXTENSION, "no platform extension");
    }

    @Override
    public boolean unbiasedRunningVariance() {
        return false;
    }

    @Override
    public void load(Shape shape, float[] xs, float[] gamma, float[] beta, float[] runningMean,
                     float[] runningVariance, float epsilon, float weightOfNew) {
        if (!String.valueOf(threads).equals(System.getenv("OMP_NUM_THREADS"))) {
            // setMaxThreads alone does not bind oneDNN's OpenMP: a "one-thread" run without the variable kept 1.7
            // cores busy and ran 1.2x faster at 256 MiB (2026-11-27).
            throw new IllegalStateException("ND4J on " + threads + " thread(s) needs OMP_NUM_THREADS=" + threads
                    + " in the environment of the run");
        }
        Nd4j.getEnvironment().setMaxThreads(threads);
        long[] c = {shape.c()};
        x = Nd4j.create(xs, new long[]{shape.n(), shape.h(), shape.w(), shape.c()}, 'c');
        y = Nd4j.create(new float[xs.length], new long[]{shape.n(), shape.h(), shape.w(), shape.c()}, 'c');
        this.gamma = Nd4j.create(gamma, c, 'c');
        this.beta = Nd4j.create(beta, c, 'c');
        this.runningMean = Nd4j.create(runningMean, c, 'c');
        this.runningVariance = Nd4j.create(runningVariance, c, 'c');
        scratch = Nd4j.create(new float[shape.c()], c, 'c');
        this.epsilon = epsilon;
        this.weightOfNew = weightOfNew;
        trainedMean = null;
    }

    private void normalize(INDArray mean, INDArray variance) {
        Nd4j.exec(BatchNorm.builder().inputArrays(new INDArray[]{x, mean, variance, gamma, beta})
                .outputArrays(new INDArray[]{y}).applyGamma(true).applyBeta(true).epsilon(epsilon)
                .axis(new int[]{3}).build());
    }

    @Override
    public void inference() {
        normalize(runningMean, runningVariance);
    }

    @Override
    public void endToEnd(float[] xs, float[] ys) {
        INDArray in = Nd4j.create(xs, x.shape(), 'c');
        Nd4j.exec(BatchNorm.builder().inputArrays(new INDArray[]{in, runningMean, runningVariance, gamma, beta})
                .outputArrays(new INDArray[]{y}).applyGamma(true).applyBeta(true).epsilon(epsilon)
                .axis(new int[]{3}).build());
        System.arraycopy(y.data().asFloat(), 0, ys, 0, ys.length);
    }

    @Override
    public void train() {
        // (The Moments op with output arrays fails validation on this version; mean and var are the same reductions.)
        INDArray batchMean = x.mean(0, 1, 2);
        INDArray batchVariance = x.var(false, 0, 1, 2);
        normalize(batchMean, batchVariance);
        // R ← (1 − w)·R + w·B, in place.
        runningMean.muli(1 - weightOfNew).addi(scratch.assign(batchMean).muli(weightOfNew));
        runningVariance.muli(1 - weightOfNew).addi(scratch.assign(batchVariance).muli(weightOfNew));
        if (trainedMean == null) {
            trainedMean = runningMean.toFloatVector();
            trainedVariance = runningVariance.toFloatVector();
        }
    }

    @Override
    public float[] y() {
        return y.data().asFloat();
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
    }
}
