package dev.simdnorm.jmh;

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

import java.util.concurrent.TimeUnit;

/**
 * The backward pass of a training step on the network shapes, vector and scalar: both passes, and each alone. The
 * ceiling, reading x and dy, is in {@link BackwardCeilingBenchmark}; run both in one JMH run ({@code Backward}) and
 * compare ratios: {@code gradientSums} reads what {@code readTwo} reads, {@code backward} reads it twice and writes dx.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
@State(Scope.Thread)
public class BackwardBenchmark extends Workload {

    @Param({"1x14x14x256", "8x28x28x256", "32x56x56x64", "64x32x32x3"})
    public String shape;

    /** The kernel; {@code -p impl=vector,scalar} adds the scalar kernel's rows. */
    @Param({"vector"})
    public String impl;

    @Setup
    public void setup() {
        Shape s = Shape.parse(shape);
        init(impl, s.rows(), s.c());
        initBackward();
    }

    @Benchmark
    public float[] backward() {
        return super.backward();
    }

    @Benchmark
    public double[] gradientSums() {
        return super.gradientSums();
    }

    @Benchmark
    public float[] inputGradient() {
        return super.inputGradient();
    }
}
