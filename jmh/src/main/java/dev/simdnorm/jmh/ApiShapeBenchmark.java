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
 * The public API on the network shapes (N,H,W,C), NHWC and NCHW, with the kernels this JVM chose (the vector kernels,
 * after the warm-up). {@link ApiShapeScalarBenchmark} runs the same calls on the scalar kernels; the ceilings of the
 * same bytes are in {@link ShapeCeilingBenchmark} and the kernels alone in {@link ShapeBenchmark}: run them in one
 * JMH run ({@code Shape}) and compare ratios.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
@State(Scope.Thread)
public class ApiShapeBenchmark extends Api {

    @Param({"1x14x14x256", "8x28x28x256", "32x56x56x64", "64x32x32x3"})
    public String shape;

    @Param({"NHWC", "NCHW"})
    public String layout;

    @Setup
    public void setup() {
        initApi(Shape.parse(shape), layout);
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

    @Benchmark
    public float[] apply() {
        return super.apply();
    }
}
