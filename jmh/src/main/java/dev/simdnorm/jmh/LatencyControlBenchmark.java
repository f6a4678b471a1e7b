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
import org.openjdk.jmh.infra.Blackhole;

import java.util.concurrent.TimeUnit;

/**
 * The machine's own latency tail, for {@link LatencyBenchmark}: a fixed amount of pure CPU work
 * ({@link Blackhole#consumeCPU}, calibrated to about {@code micros} µs), touching no memory and allocating nothing,
 * sampled call by call as the library's calls are. Whatever p99 over p50 a call of that length shows here, the
 * machine (preemption, interrupts, the hypervisor) adds to every call of that length.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 1, time = 10)
@Fork(value = 1)
@State(Scope.Thread)
public class LatencyControlBenchmark {

    @Param({"1", "3", "10", "30", "100"})
    public int micros;

    long tokens;

    @Setup
    public void setup() {
        long probe = 100_000;
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 200; i++) {
            long start = System.nanoTime();
            Blackhole.consumeCPU(probe);
            best = Math.min(best, System.nanoTime() - start);
        }
        tokens = Math.max(1, micros * 1000L * probe / best);
    }

    @Benchmark
    public void work() {
        Blackhole.consumeCPU(tokens);
    }
}
