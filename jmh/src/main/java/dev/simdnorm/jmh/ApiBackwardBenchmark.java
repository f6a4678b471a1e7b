package dev.simdnorm.jmh;

import dev.simdnorm.Activation;
import dev.simdnorm.BatchNorm;
import dev.simdnorm.Gradients;
import dev.simdnorm.KernelSelection;
import dev.simdnorm.Moments;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The backward passes through the public API, with and without a fused ReLU: {@code backwardMoments} (returning
 * {@code Gradients}), {@code backwardInto} (dγ and dβ into the caller's arrays) and {@code backwardInference}. Run
 * with {@code -prof gc} for their allocation; the ceiling, reading x and dy, is in {@link BackwardCeilingBenchmark}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
@State(Scope.Thread)
public class ApiBackwardBenchmark extends Workload {

    @Param({"1x14x14x256", "8x28x28x256", "32x56x56x64", "64x32x32x3"})
    public String shape;

    @Param({"NONE", "RELU"})
    public String activation;

    BatchNorm layer;
    Moments batch;
    double[] batchMean;
    double[] batchVariance;
    float[] dGamma;
    float[] dBeta;

    @Setup
    public void setup() {
        Shape s = Shape.parse(shape);
        init(null, s.rows(), s.c());
        initBackward();
        layer = BatchNorm.builder(s.c()).activation(Activation.valueOf(activation)).build();
        batch = Moments.of(x, 0, rows, channels);
        batchMean = new double[channels];
        batchVariance = new double[channels];
        for (int c = 0; c < channels; c++) {
            batchMean[c] = batch.meanAsDouble(c);
            batchVariance[c] = batch.varianceAsDouble(c);
        }
        dGamma = new float[channels];
        dBeta = new float[channels];
        if (!KernelSelection.warmUp(Duration.ofSeconds(60))) {
            throw new IllegalStateException("the kernels did not warm up in 60 s");
        }
    }

    @Benchmark
    public Gradients backwardMoments() {
        return layer.backward(x, 0, dy, 0, y, 0, rows, batch);
    }

    @Benchmark
    public float[] backwardInto() {
        layer.backward(x, 0, dy, 0, y, 0, rows, batchMean, batchVariance, dGamma, dBeta);
        return dGamma;
    }

    @Benchmark
    public Gradients backwardInference() {
        return layer.backwardInference(x, 0, dy, 0, y, 0, rows);
    }
}
