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

/** The ceilings for {@link SweepBenchmark}, on the same bytes: arraycopy and a read-only vector sum. */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx3g"})
@State(Scope.Thread)
public class SweepCeilingBenchmark extends Workload {

    @Param({"1", "3", "16", "17", "64", "100", "256", "1000"})
    public int channels;

    @Param({"16", "256", "4096", "262144"})
    public int kib;

    @Setup
    public void setup() {
        init(null, Math.max(1, kib * 1024 / (4 * channels)), channels);
    }

    @Benchmark
    public float[] arraycopy() {
        return super.arraycopy();
    }

    @Benchmark
    public float[] vectorCopy() {
        return super.vectorCopy();
    }

    @Benchmark
    public float readSum() {
        return super.readSum();
    }

    @Benchmark
    public float deviationSum() {
        return super.deviationSum();
    }
}
