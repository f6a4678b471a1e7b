package dev.simdnorm.jmh;

import dev.simdnorm.KernelSelection;
import dev.simdnorm.LayerNorm;
import dev.simdnorm.RmsNorm;
import dev.simdnorm.internal.Kernel;
import dev.simdnorm.internal.KernelProvider;
import dev.simdnorm.internal.RowParams;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * A diagnostic of the decode row (one row of 4,096 floats, {@link RowNormBenchmark}'s size 4096 at 16 KiB): the
 * public calls beside their parts, in the same run as the copy of x into y. RMSNorm: its kernels as the call takes
 * them ({@code sumSquares}, the scale, {@code scaleRows}) and each pass alone; LayerNorm: its statistics (the float
 * blocks of {@code momentsNchw}) and its map pass's ceiling ({@link Ceilings#rowAffine}). 2 KiB between x and y, as
 * the other benchmarks.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
@State(Scope.Thread)
public class DecodeRowBenchmark {

    private static final int SIZE = 4096;
    private static final float EPSILON = 1e-5f;

    float[] x = new float[SIZE];
    /** 2 KiB between x and y, kept alive (why: {@link Workload#placedApart}). */
    float[] gap = new float[512];
    float[] y = new float[SIZE];
    float[] gamma = new float[SIZE];
    float[] beta = new float[SIZE];
    double[] sums = new double[1];
    double[] m2 = new double[1];
    /** RMSNorm's map of the row: its scale, γ. */
    RowParams scaled;
    LayerNorm layerNorm;
    RmsNorm rmsNorm;
    Kernel kernel;

    @Setup
    public void setup() {
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < SIZE; i++) {
            x[i] = (float) (random.nextGaussian() + 2);
            gamma[i] = (float) (1 + 0.1 * random.nextGaussian());
            beta[i] = (float) (0.1 * random.nextGaussian());
        }
        layerNorm = LayerNorm.builder(SIZE).gamma(gamma).beta(beta).epsilon(EPSILON).build();
        rmsNorm = RmsNorm.builder(SIZE).gamma(gamma).epsilon(EPSILON).build();
        if (!KernelSelection.warmUp(Duration.ofSeconds(60))) {
            throw new IllegalStateException("the kernels did not warm up in 60 s");
        }
        kernel = KernelProvider.rows();
        scaled = new RowParams().positions(gamma, null);
        rmsNormKernels(); // the call's scale, so that scaleRows alone times the call's map
    }

    @Benchmark
    public float[] rmsNorm() {
        rmsNorm.apply(x, 0, y, 0, 1);
        return y;
    }

    /** RMSNorm's two passes as the call makes them, without its checks and dispatch. */
    @Benchmark
    public float[] rmsNormKernels() {
        kernel.sumSquares(x, 0, 1, SIZE, sums);
        scaled.scale()[0] = (float) (1 / Math.sqrt(sums[0] / SIZE + EPSILON));
        kernel.scaleRows(x, 0, y, 0, 1, SIZE, scaled.positions(gamma, null)); // as a call: widened anew (scalar)
        return y;
    }

    @Benchmark
    public double[] sumSquares() {
        kernel.sumSquares(x, 0, 1, SIZE, sums);
        return sums;
    }

    @Benchmark
    public float[] scaleRows() {
        kernel.scaleRows(x, 0, y, 0, 1, SIZE, scaled.positions(gamma, null));
        return y;
    }

    @Benchmark
    public float[] layerNorm() {
        layerNorm.apply(x, 0, y, 0, 1);
        return y;
    }

    /** LayerNorm's statistics of the row, as the call takes them (one NCHW channel of one plane). */
    @Benchmark
    public double[] layerNormStatistics() {
        KernelProvider.statisticsNchw().momentsNchw(x, 0, 1, 1, SIZE, 0, 1, sums, m2);
        return m2;
    }

    /** LayerNorm's map pass's ceiling: x, γ and β read, y written, 64 KiB over a 48 KiB L1. */
    @Benchmark
    public float[] rowAffine() {
        Ceilings.rowAffine(x, y, 1, SIZE, gamma, beta);
        return y;
    }

    @Benchmark
    public float[] arraycopy() {
        System.arraycopy(x, 0, y, 0, SIZE);
        return y;
    }
}
