package dev.simdnorm.jmh;

import dev.simdnorm.GroupNorm;
import dev.simdnorm.KernelSelection;
import dev.simdnorm.TensorLayout;
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
 * GroupNorm and InstanceNorm through the public API on BatchNorm's network shapes, NHWC and NCHW, with
 * {@code System.arraycopy} of the same bytes in the same run: 32 groups (3 on the three-channel shape, which is then
 * InstanceNorm), and InstanceNorm itself. GroupNorm reads x twice (statistics, then the map) and writes y once, like a
 * BatchNorm training step. The scalar kernels in {@link GroupNormScalarBenchmark}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx3g"})
@State(Scope.Thread)
public class GroupNormBenchmark {

    @Param({"1x14x14x256", "8x28x28x256", "32x56x56x64", "64x32x32x3"})
    public String shape;

    @Param({"NHWC", "NCHW"})
    public TensorLayout layout;

    int n;
    int spatial;
    float[] x;
    float[] y;
    GroupNorm groupNorm;
    GroupNorm instanceNorm;

    @Setup
    public void setup() {
        Shape s = Shape.parse(shape);
        n = s.n();
        spatial = s.spatial();
        float[] nhwc = s.data(1);
        x = layout == TensorLayout.NHWC ? nhwc : s.toNchw(nhwc);
        y = Workload.placedApart(x);
        SplittableRandom random = new SplittableRandom(2);
        float[] gamma = new float[s.c()];
        float[] beta = new float[s.c()];
        for (int c = 0; c < s.c(); c++) {
            gamma[c] = (float) (1 + 0.1 * random.nextGaussian());
            beta[c] = (float) (0.1 * random.nextGaussian());
        }
        groupNorm = GroupNorm.builder(s.c(), s.c() % 32 == 0 ? 32 : s.c()).gamma(gamma).beta(beta).build();
        instanceNorm = GroupNorm.instanceNorm(s.c()).gamma(gamma).beta(beta).build();
        if (!KernelSelection.warmUp(Duration.ofSeconds(60))) {
            throw new IllegalStateException("the kernels did not warm up in 60 s");
        }
    }

    @Benchmark
    public float[] groupNorm() {
        groupNorm.apply(x, 0, y, 0, layout, n, spatial);
        return y;
    }

    @Benchmark
    public float[] instanceNorm() {
        instanceNorm.apply(x, 0, y, 0, layout, n, spatial);
        return y;
    }

    @Benchmark
    public float[] arraycopy() {
        System.arraycopy(x, 0, y, 0, x.length);
        return y;
    }
}
