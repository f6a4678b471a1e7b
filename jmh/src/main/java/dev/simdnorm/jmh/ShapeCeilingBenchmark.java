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
 * The ceilings for the network shapes of {@link ApiShapeBenchmark} and {@link ShapeBenchmark}: copying the same
 * bytes ({@code System.arraycopy}, and a Vector API copy), a read-only vector sum, and the statistics' arithmetic
 * alone.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
@State(Scope.Thread)
public class ShapeCeilingBenchmark extends Workload {

    @Param({"1x14x14x256", "8x28x28x256", "32x56x56x64", "64x32x32x3"})
    public String shape;

    @Setup
    public void setup() {
        Shape s = Shape.parse(shape);
        init(null, s.rows(), s.c());
    }

    @Benchmark
    public float[] arraycopy() {
        return super.arraycopy();
    }

    @Benchmark
    public float readSum() {
        return super.readSum();
    }
}
