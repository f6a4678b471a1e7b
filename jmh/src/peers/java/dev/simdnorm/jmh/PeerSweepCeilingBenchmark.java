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
 * {@code System.arraycopy} over the bytes of each {@link PeerSweepBenchmark} configuration, to run in the same JMH
 * run as simdnorm's sweep ({@code PeerSweep(Benchmark|CeilingBenchmark)}), so that its rows are also a ratio.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g"})
@State(Scope.Thread)
public class PeerSweepCeilingBenchmark extends Workload {

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
}
