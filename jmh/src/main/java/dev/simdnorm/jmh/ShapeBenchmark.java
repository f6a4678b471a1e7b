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
 * A diagnostic: the kernels alone (normalize, statistics, and the train step's two passes with its map) on the network
 * shapes, NHWC and NCHW, without the public API around them. The public calls are in {@link ApiShapeBenchmark}; the
 * report divides each public call's time by its kernel's, which shows what the public layer costs.
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

    /** The kernel; {@code -p impl=vector,scalar} adds the scalar kernel's rows. */
    @Param({"vector"})
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

    @Benchmark
    public double[][] statisticsReturned() {
        return nchw ? statisticsNchwReturned() : super.statisticsReturned();
    }

    @Benchmark
    public double[][] trainStepReturned() {
        return nchw ? trainStepNchwReturned() : super.trainStepReturned();
    }
}
