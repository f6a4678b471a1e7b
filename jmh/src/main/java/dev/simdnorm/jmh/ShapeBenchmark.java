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
 * Normalize, statistics and the train step on the network shapes (N,H,W,C), vector and scalar, NHWC and NCHW. The
 * ceilings for the same shapes are in {@link ShapeCeilingBenchmark}; run both in one JMH run and compare ratios
 * (README).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
@State(Scope.Thread)
public class ShapeBenchmark extends Workload {

    @Param({"1x14x14x256", "8x28x28x256", "32x56x56x64", "64x32x32x3"})
    public String shape;

    @Param({"vector", "scalar"})
    public String impl;

    /** The same N, H, W and C as NHWC or as NCHW, whose ceilings (the same bytes) are the same. */
    @Param({"NHWC", "NCHW"})
    public String layout;

    private boolean nchw;

    @Setup
    public void setup() {
        init(impl, Shape.parse(shape), layout);
        nchw = layout.equals("NCHW");
    }

    @Benchmark
    public float[] normalize() {
        return nchw ? normalizeNchw() : super.normalize();
    }

    @Benchmark
    public double[] statistics() {
        return nchw ? statisticsNchw() : super.statistics();
    }

    @Benchmark
    public float[] trainStep() {
        return nchw ? trainStepNchw() : super.trainStep();
    }
}
