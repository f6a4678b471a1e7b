package dev.simdnorm.jmh;

import dev.simdnorm.Activation;
import dev.simdnorm.BatchNorm;
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
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The fused ReLU's cost: {@code inference} and {@code train} with and without it, on mixed-sign data (half the
 * outputs negative, where a branch on the sign would mispredict about every other element), 8x28x28x64 NHWC, and
 * what Java's {@code max} costs a plain map ({@link #plainMap}). The scalar kernels in {@link ReluScalarBenchmark}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
@State(Scope.Thread)
public class ReluBenchmark {

    @Param({"NONE", "RELU"})
    public String activation;

    static final int CHANNELS = 64;
    static final int ROWS = 8 * 28 * 28;

    float[] x;
    float[] y;
    BatchNorm layer;
    /** Floats per run of {@link #plainMap}'s inner loop: eight periods, as the scalar kernels' runs at C = 64. */
    static final int RUN = 8 * CHANNELS;

    /** {@link #plainMap}'s center, low part, scale and shift over a run, in double. */
    double[] q;

    @Setup
    public void setup() {
        SplittableRandom random = new SplittableRandom(3);
        x = new float[ROWS * CHANNELS];
        y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        layer = BatchNorm.builder(CHANNELS).activation(Activation.valueOf(activation)).build();
        q = new double[4 * RUN];
        for (int j = 0; j < RUN; j++) {
            q[j] = 0.01 * (j % CHANNELS);
            q[2 * RUN + j] = 1 + 0.001 * (j % CHANNELS);
            q[3 * RUN + j] = 0.05;
        }
        if (!KernelSelection.warmUp(Duration.ofSeconds(60))) {
            throw new IllegalStateException("the kernels did not warm up in 60 s");
        }
    }

    @Benchmark
    public float[] inference() {
        layer.inference(x, 0, y, 0, ROWS);
        return y;
    }

    @Benchmark
    public Moments train() {
        return layer.train(x, 0, y, 0, ROWS);
    }

    /**
     * A ceiling for the scalar kernels' ReLU: their map as a plain loop ({@link Ceilings#plainMap}), with
     * {@code max(t, +0)} where {@code activation} is RELU; its two rows' ratio is the least the fallback's fused ReLU
     * costs in plain Java. The same loop in either fork (it does not call the library).
     */
    @Benchmark
    public float[] plainMap() {
        Ceilings.plainMap(x, y, ROWS * CHANNELS / RUN, RUN, q, activation.equals("RELU"));
        return y;
    }
}
