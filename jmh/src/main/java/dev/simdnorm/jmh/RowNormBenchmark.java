package dev.simdnorm.jmh;

import dev.simdnorm.KernelSelection;
import dev.simdnorm.LayerNorm;
import dev.simdnorm.RmsNorm;
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
 * LayerNorm and RMSNorm through the public API, with {@code System.arraycopy} of the same bytes in the same run:
 * rows of {@code size} floats filling {@code kib} KiB of x (at least one row; size 4096 at 16 KiB is one decode step
 * of an LLM). The residual form reads x and the residual and writes y and h: twice a copy's bytes. Ceilings:
 * {@code rowAffine} for LayerNorm's normalize pass, {@code rowScale} for RMSNorm's, {@code residualAffine} for the
 * residual form's add and normalize passes (each without statistics, which any of them also needs). The scalar
 * kernels in {@link RowNormScalarBenchmark}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx3g"})
@State(Scope.Thread)
public class RowNormBenchmark {

    @Param({"64", "768", "4096", "16384"})
    public int size;

    @Param({"16", "256", "4096", "262144"})
    public int kib;

    int rows;
    float[] x;
    float[] y;
    float[] residual;
    float[] h;
    /** 2 KiB between x, y, the residual and h, kept alive (why: {@link Workload#placedApart}). */
    float[][] gaps = new float[3][];
    float[] gamma;
    float[] beta;
    LayerNorm layerNorm;
    RmsNorm rmsNorm;

    @Setup
    public void setup() {
        rows = Math.max(1, kib * 1024 / (4 * size));
        SplittableRandom random = new SplittableRandom(1);
        x = new float[rows * size];
        gaps[0] = new float[512];
        y = new float[x.length];
        gaps[1] = new float[512];
        residual = new float[x.length];
        gaps[2] = new float[512];
        h = new float[x.length];
        gamma = new float[size];
        beta = new float[size];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (random.nextGaussian() + 2);
            residual[i] = (float) random.nextGaussian();
        }
        for (int j = 0; j < size; j++) {
            gamma[j] = (float) (1 + 0.1 * random.nextGaussian());
            beta[j] = (float) (0.1 * random.nextGaussian());
        }
        layerNorm = LayerNorm.builder(size).gamma(gamma).beta(beta).build();
        rmsNorm = RmsNorm.builder(size).gamma(gamma).build();
        if (!KernelSelection.warmUp(Duration.ofSeconds(60))) {
            throw new IllegalStateException("the kernels did not warm up in 60 s");
        }
    }

    @Benchmark
    public float[] layerNorm() {
        layerNorm.apply(x, 0, y, 0, rows);
        return y;
    }

    @Benchmark
    public float[] rmsNorm() {
        rmsNorm.apply(x, 0, y, 0, rows);
        return y;
    }

    /** The pre-norm residual step: h = x + residual, y = LayerNorm(h); twice the bytes of the others. */
    @Benchmark
    public float[] layerNormResidual() {
        layerNorm.apply(x, 0, residual, 0, y, 0, h, 0, rows);
        return y;
    }

    /**
     * A ceiling for LayerNorm's normalize pass alone: {@code y = x·γ + β}, reading x, γ and β and writing y. At size
     * 4096 and one row its 64 KiB exceed a 48 KiB L1 where the copy's 32 KiB do not.
     */
    @Benchmark
    public float[] rowAffine() {
        Ceilings.rowAffine(x, y, rows, size, gamma, beta);
        return y;
    }

    /** A ceiling for RMSNorm's normalize pass alone: {@code y = x·γ}, reading x and γ and writing y. */
    @Benchmark
    public float[] rowScale() {
        Ceilings.rowScale(x, y, rows, size, gamma);
        return y;
    }

    /**
     * A ceiling for the residual form's passes without statistics: {@code h = x + residual}, then
     * {@code y = h·γ + β}.
     */
    @Benchmark
    public float[] residualAffine() {
        Ceilings.residualAffine(x, residual, h, y, rows, size, gamma, beta);
        return y;
    }

    /**
     * A copy of the residual form's bytes, the target's denominator: x into y and the residual into h, the four arrays
     * the form touches (in cache, four arrays overflow L1 or L2 where one copy's two do not, so this is slower than
     * twice {@link #arraycopy}).
     */
    @Benchmark
    public float[] residualCopy() {
        System.arraycopy(x, 0, y, 0, x.length);
        System.arraycopy(residual, 0, h, 0, x.length);
        return h;
    }

    @Benchmark
    public float[] arraycopy() {
        System.arraycopy(x, 0, y, 0, x.length);
        return y;
    }
}
