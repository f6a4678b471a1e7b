package dev.simdnorm.jmh;

import dev.simdnorm.BatchNorm;
import dev.simdnorm.ChannelAffine;
import dev.simdnorm.KernelSelection;
import dev.simdnorm.Moments;
import dev.simdnorm.Parallelism;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The parallel overloads at 1 and more threads over the same bytes, C = 64, through the public API. Run with
 * {@code -jvmArgsAppend -Dsimdnorm.parallel.minFloats=0} to see below the threshold where it would stay sequential;
 * {@code threads = 1} is {@link Parallelism#sequential()}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx3g"})
@State(Scope.Benchmark)
public class ParallelBenchmark {

    @Param({"64"})
    public int channels;

    /** Working set (the bytes of x) in KiB. */
    @Param({"256", "1024", "4096", "16384", "65536"})
    public int kib;

    @Param({"1", "2"})
    public int threads;

    private ExecutorService pool;
    private Parallelism parallelism;
    private int rows;
    private float[] x;
    private float[] y;
    private BatchNorm bn;
    private ChannelAffine map;

    @Setup
    public void setup() {
        rows = kib * 1024 / (4 * channels);
        x = new Shape(1, 1, rows, channels).data(42);
        y = x.clone();
        pool = Executors.newFixedThreadPool(Math.max(1, threads - 1));
        parallelism = threads == 1 ? Parallelism.sequential() : Parallelism.of(pool, threads);
        bn = BatchNorm.builder(channels).build();
        map = ChannelAffine.normalizing(Moments.of(x, 0, rows, channels), bn.gamma(), bn.beta(), 1e-3f);
        KernelSelection.warmUp(java.time.Duration.ofSeconds(60));
    }

    @TearDown
    public void tearDown() {
        pool.shutdownNow();
    }

    @Benchmark
    public Moments statistics() {
        return Moments.of(x, 0, rows, channels, parallelism);
    }

    @Benchmark
    public float[] normalize() {
        map.apply(x, 0, y, 0, rows, parallelism);
        return y;
    }

    @Benchmark
    public Moments trainStep() {
        return bn.train(x, 0, y, 0, rows, parallelism);
    }
}
