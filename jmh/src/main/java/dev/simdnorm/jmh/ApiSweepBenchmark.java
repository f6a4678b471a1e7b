package dev.simdnorm.jmh;

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

import java.util.concurrent.TimeUnit;

/**
 * The C sweep through the public API, NHWC: C ∈ {1, 3, 16, 17, 64, 100, 256, 1000} at working sets (the bytes of x)
 * of about 16 KiB, 256 KiB, 4 MiB and 256 MiB; rows = working set / (4·C), at least 1. The ceilings are in
 * {@link SweepCeilingBenchmark}, the kernels alone in {@link SweepBenchmark}, the scalar kernels in
 * {@link ApiSweepScalarBenchmark}: run them in one JMH run ({@code Sweep}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx3g"})
@State(Scope.Thread)
public class ApiSweepBenchmark extends Api {

    @Param({"1", "3", "16", "17", "64", "100", "256", "1000"})
    public int channels;

    @Param({"16", "256", "4096", "262144"})
    public int kib;

    @Setup
    public void setup() {
        initApi(new Shape(1, 1, Math.max(1, kib * 1024 / (4 * channels)), channels), "NHWC");
    }

    @Benchmark
    public float[] inference() {
        return super.inference();
    }

    @Benchmark
    public float[] inferenceInPlace() {
        return super.inferenceInPlace();
    }

    @Benchmark
    public Moments train() {
        return super.train();
    }

    @Benchmark
    public Moments moments() {
        return super.moments();
    }
}
