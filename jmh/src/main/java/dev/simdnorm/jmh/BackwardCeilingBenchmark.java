package dev.simdnorm.jmh;

import dev.simdnorm.BatchNorm;
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
 * The ceiling for {@link BackwardBenchmark}'s shapes, reading x and dy ({@code readTwo}), and the backward pass
 * through the public API ({@code BatchNorm.backward}, the kernel this JVM selected: argument checks, the forward map
 * rebuilt from the batch moments, both passes).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
@State(Scope.Thread)
public class BackwardCeilingBenchmark extends Workload {

    @Param({"1x14x14x256", "8x28x28x256", "32x56x56x64", "64x32x32x3"})
    public String shape;

    BatchNorm layer;
    Moments batch;

    @Setup
    public void setup() {
        Shape s = Shape.parse(shape);
        init(null, s.rows(), s.c());
        initBackward();
        layer = BatchNorm.builder(s.c()).build();
        batch = Moments.of(x, 0, rows, channels);
    }

    @Benchmark
    public float readTwo() {
        return super.readTwo();
    }

    @Benchmark
    public float[] batchNormBackward() {
        layer.backward(x, 0, dy, 0, y, 0, rows, batch);
        return y;
    }
}
