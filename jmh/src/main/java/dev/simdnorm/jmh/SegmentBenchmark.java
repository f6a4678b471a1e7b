package dev.simdnorm.jmh;

import dev.simdnorm.BatchNorm;
import dev.simdnorm.ChannelAffine;
import dev.simdnorm.KernelSelection;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The public API on the four shapes with the tensor in a {@code float[]} ({@code array}), in a heap segment over that
 * array ({@code heapSegment}, handed to the kernels without a copy) and in native memory ({@code native}, staged
 * through heap buffers), all in one run so that the ratios are the segment overloads' cost.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx3g"})
@State(Scope.Thread)
public class SegmentBenchmark {

    @Param({"1x14x14x256", "8x28x28x256", "32x56x56x64", "64x32x32x3"})
    public String shape;

    @Param({"array", "heapSegment", "native"})
    public String storage;

    private Arena arena;
    private int rows;
    private int channels;
    private float[] x;
    private float[] y;
    private MemorySegment xs;
    private MemorySegment ys;
    private BatchNorm bn;
    private ChannelAffine map;

    @Setup
    public void setup() {
        Shape s = Shape.parse(shape);
        rows = s.n() * s.h() * s.w();
        channels = s.c();
        x = s.data(42);
        y = Workload.placedApart(x);
        arena = Arena.ofShared();
        if (storage.equals("native")) {
            xs = arena.allocate((long) x.length * Float.BYTES, 64);
            ys = arena.allocate((long) x.length * Float.BYTES, 64);
            MemorySegment.copy(x, 0, xs, ValueLayout.JAVA_FLOAT, 0, x.length);
            MemorySegment.copy(y, 0, ys, ValueLayout.JAVA_FLOAT, 0, y.length);
        } else {
            xs = MemorySegment.ofArray(x);
            ys = MemorySegment.ofArray(y);
        }
        bn = BatchNorm.builder(channels).build();
        map = ChannelAffine.normalizing(Moments.of(x, 0, rows, channels), bn.gamma(), bn.beta(), 1e-3f);
        if (!KernelSelection.warmUp(Duration.ofSeconds(60))) {
            throw new IllegalStateException("the kernels did not warm up in 60 s");
        }
    }

    @TearDown
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public Object normalize() {
        if (storage.equals("array")) {
            map.apply(x, 0, y, 0, rows);
            return y;
        }
        map.apply(xs, ys, rows);
        return ys;
    }

    @Benchmark
    public Moments statistics() {
        return storage.equals("array") ? Moments.of(x, 0, rows, channels) : Moments.of(xs, rows, channels);
    }

    @Benchmark
    public Moments trainStep() {
        return storage.equals("array") ? bn.train(x, 0, y, 0, rows) : bn.train(xs, ys, rows);
    }
}
