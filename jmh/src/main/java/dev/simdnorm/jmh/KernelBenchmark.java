package dev.simdnorm.jmh;

import dev.simdnorm.internal.AffineParams;
import dev.simdnorm.internal.Kernel;
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
 * Normalize, statistics and the train step on the network shapes, each kernel next to its ceiling in the same run:
 * {@code System.arraycopy} of the same bytes for normalize (read and write), a 4-accumulator read-only vector sum of
 * the same floats for statistics. Compare ratios within one run only (see README).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
@State(Scope.Thread)
public class KernelBenchmark {

    @Param({"1x14x14x256", "8x28x28x256", "32x56x56x64", "64x32x32x3"})
    public String shape;

    @Param({"vector", "scalar"})
    public String impl;

    Kernel kernel;
    int rows;
    int channels;
    float[] x;
    float[] y;
    float[] center;
    float[] centerLo;
    float[] scale;
    float[] shift;
    double[] mean;
    double[] m2;
    AffineParams inferenceParams;

    @Setup
    public void setup() {
        Shape s = Shape.parse(shape);
        kernel = Kernels.named(impl);
        rows = s.rows();
        channels = s.c();
        x = s.data(42);
        y = new float[x.length];
        System.arraycopy(x, 0, y, 0, x.length); // touch the output before measuring
        center = new float[channels];
        centerLo = new float[channels];
        scale = new float[channels];
        shift = new float[channels];
        mean = new double[channels];
        m2 = new double[channels];
        for (int c = 0; c < channels; c++) {
            center[c] = 0.1f * c;
            scale[c] = 1.5f;
            shift[c] = -0.25f;
        }
        inferenceParams = kernel.prepare(channels, center, null, scale, shift);
    }

    /** Inference normalize: one read and one write per float. */
    @Benchmark
    public float[] normalize() {
        kernel.normalize(x, 0, y, 0, rows, inferenceParams, false);
        return y;
    }

    /** Ceiling for normalize: copying the same bytes. */
    @Benchmark
    public float[] arraycopy() {
        System.arraycopy(x, 0, y, 0, x.length);
        return y;
    }

    /** Per-channel statistics: one read per float. */
    @Benchmark
    public double[] statistics() {
        kernel.moments(x, 0, rows, channels, mean, m2);
        return m2;
    }

    /** Ceiling for statistics: reading the same floats. */
    @Benchmark
    public float readSum() {
        return Ceilings.readSum(x, x.length);
    }

    /**
     * A train step as BatchNorm.train runs it: statistics, the fold into a hi/lo centre and a scale (laid out per
     * kernel, as ChannelAffine does), then normalize: two passes over x.
     */
    @Benchmark
    public float[] trainStep() {
        kernel.moments(x, 0, rows, channels, mean, m2);
        for (int c = 0; c < channels; c++) {
            center[c] = (float) mean[c];
            centerLo[c] = (float) (mean[c] - center[c]);
            scale[c] = (float) (1.0 / Math.sqrt(m2[c] / rows + 0.001));
        }
        kernel.normalize(x, 0, y, 0, rows, kernel.prepare(channels, center, centerLo, scale, shift), false);
        return y;
    }
}
