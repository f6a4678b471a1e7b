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
 * {@code System.arraycopy} of each {@link NormPeerBenchmark} row's bytes: the ceiling, run beside it (RMSNorm's rows
 * take LayerNorm's; a residual form's, x and the residual in one copy, twice the bytes).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx3g"})
@State(Scope.Thread)
public class NormCeilingBenchmark {

    @Param({"layer:64:16", "layer:64:256", "layer:64:4096", "layer:64:262144",
        "layer:768:16", "layer:768:256", "layer:768:4096", "layer:768:262144",
        "layer:4096:16", "layer:4096:256", "layer:4096:4096", "layer:4096:262144",
        "layer:16384:16", "layer:16384:256", "layer:16384:4096", "layer:16384:262144",
        "group:1x14x14x256:32", "group:8x28x28x256:32", "group:32x56x56x64:32", "group:64x32x32x3:3",
        "skip-layer:64:16", "skip-layer:64:256", "skip-layer:64:4096", "skip-layer:64:262144",
        "skip-layer:768:16", "skip-layer:768:256", "skip-layer:768:4096", "skip-layer:768:262144",
        "skip-layer:4096:16", "skip-layer:4096:256", "skip-layer:4096:4096", "skip-layer:4096:262144",
        "skip-layer:16384:16", "skip-layer:16384:256", "skip-layer:16384:4096", "skip-layer:16384:262144"})
    public String row;

    private float[] x;
    private float[] y;

    @Setup
    public void setup() {
        NormPeer.Case c = NormPeer.Case.parse(row);
        x = NormPeers.data(c);
        y = new float[x.length];
    }

    @Benchmark
    public float[] arraycopy() {
        System.arraycopy(x, 0, y, 0, x.length);
        return y;
    }
}
