package dev.simdnorm.jmh;

import dev.simdnorm.KernelSelection;
import dev.simdnorm.Moments;
import dev.simdnorm.Precision;
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
 * {@code Moments.of} in both precisions through the public API, NHWC, with the read-only vector sum of the same floats
 * in the same run: the double mode against its ceiling (memory, beyond the caches) and against the float mode (in
 * cache, where arithmetic counts). The data are the hard case of dataset statistics: mean 1e4 and standard deviation 1
 * per channel. Working sets (the bytes of x) of 16 KiB, 4 MiB and 256 MiB; rows = working set / (4·C).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx3g"})
@State(Scope.Thread)
public class PrecisionBenchmark {

    @Param({"3", "64", "256", "1000"})
    public int channels;

    @Param({"16", "4096", "262144"})
    public int kib;

    float[] x;
    int rows;

    @Setup
    public void setup() {
        rows = Math.max(1, kib * 1024 / (4 * channels));
        x = new float[rows * channels];
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (1e4 + random.nextGaussian());
        }
        if (!KernelSelection.warmUp(Duration.ofSeconds(60))) {
            throw new IllegalStateException("the kernels did not warm up in 60 s");
        }
    }

    @Benchmark
    public Moments floatMode() {
        return Moments.of(x, 0, rows, channels, Precision.FLOAT);
    }

    @Benchmark
    public Moments doubleMode() {
        return Moments.of(x, 0, rows, channels, Precision.DOUBLE);
    }

    @Benchmark
    public float readSum() {
        return Ceilings.readSum(x, x.length);
    }
}
