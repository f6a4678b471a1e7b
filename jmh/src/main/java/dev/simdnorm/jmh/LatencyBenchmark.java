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
 * Per-call latency of the public API in steady state ({@code Mode.SampleTime}: p50, p99), 10 s per row, on the
 * network shapes (NHWC) and the C sweep at 16 KiB and 256 KiB (rows written {@code 16KiB/C=3}). A JIT that compiled
 * a call two ways, or a vector boxed in one, shows as p99 far above p50. {@code arraycopy} of the same bytes, in the
 * same run (a fork of its own, as JMH gives each method), is the machine's own p99 over p50: what a shared, preempted
 * core adds to any call of that length. Each sample includes the timer's own cost (tens of ns), which raises p50 and
 * lowers p99/p50 on sub-µs calls.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 1, time = 10)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
@State(Scope.Thread)
public class LatencyBenchmark extends Api {

    @Param({"1x14x14x256", "8x28x28x256", "32x56x56x64", "64x32x32x3",
            "16KiB/C=1", "16KiB/C=3", "16KiB/C=16", "16KiB/C=17", "16KiB/C=64", "16KiB/C=100", "16KiB/C=256",
            "16KiB/C=1000", "256KiB/C=1", "256KiB/C=3", "256KiB/C=16", "256KiB/C=17", "256KiB/C=64",
            "256KiB/C=100", "256KiB/C=256", "256KiB/C=1000"})
    public String row;

    @Setup
    public void setup() {
        initApi(shape(row), "NHWC");
    }

    /** A network shape, or a sweep row {@code <kib>KiB/C=<channels>} as a shape of one image. */
    static Shape shape(String row) {
        if (!row.contains("KiB")) {
            return Shape.parse(row);
        }
        int kib = Integer.parseInt(row.substring(0, row.indexOf("KiB")));
        int c = Integer.parseInt(row.substring(row.indexOf("C=") + 2));
        return new Shape(1, 1, Math.max(1, kib * 1024 / (4 * c)), c);
    }

    @Benchmark
    public float[] arraycopy() {
        return super.arraycopy();
    }

    @Benchmark
    public float[] inference() {
        return super.inference();
    }

    @Benchmark
    public Moments train() {
        return super.train();
    }

    /** {@link #train} writing the batch statistics into arrays made once: the same work, no allocation. */
    @Benchmark
    public double[] trainInto() {
        return super.trainInto();
    }

    @Benchmark
    public Moments moments() {
        return super.moments();
    }
}
