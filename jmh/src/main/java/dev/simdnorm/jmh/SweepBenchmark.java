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
 * A diagnostic: the kernels alone over the C sweep of {@link ApiSweepBenchmark} (C ∈ {1, 3, 16, 17, 64, 100, 256,
 * 1000} at 16 KiB, 256 KiB, 4 MiB and 256 MiB). The report divides each public call's time by its kernel's.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx3g"})
@State(Scope.Thread)
public class SweepBenchmark extends Workload {

    @Param({"1", "3", "16", "17", "64", "100", "256", "1000"})
    public int channels;

    @Param({"16", "256", "4096", "262144"})
    public int kib;

    /** The kernel; {@code -p impl=vector,scalar} adds the scalar kernel's rows. */
    @Param({"vector"})
    public String impl;

    @Setup
    public void setup() {
        init(impl, Math.max(1, kib * 1024 / (4 * channels)), channels);
    }

    @Benchmark
    public float[] normalize() {
        return super.normalize();
    }

    @Benchmark
    public double[] statistics() {
        return super.statistics();
    }

    @Benchmark
    public float[] trainStep() {
        return super.trainStep();
    }

    @Benchmark
    public double[][] statisticsReturned() {
        return super.statisticsReturned();
    }

    @Benchmark
    public double[][] trainStepReturned() {
        return super.trainStepReturned();
    }
}
