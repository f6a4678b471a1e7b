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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * LayerNorm, RMSNorm and GroupNorm: simdnorm's public API and the peers' operators on the same data, one thread, op
 * only (x and the parameters already in each framework's memory). The rows of {@code RowNormBenchmark} (size × KiB
 * of x), the network shapes with 32 groups (64x32x32x3 with 3), NCHW, and the residual forms on those rows (x of
 * the KiB given, and as much of the residual). A framework without the operator fails
 * its setup, and its rows are absent; the ceiling, {@code System.arraycopy} of the same bytes, is
 * {@link NormCeilingBenchmark} in the same run.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Dai.djl.offline=true", "-Xmx6g"})
@State(Scope.Thread)
public class NormPeerBenchmark {

    @Param({"simdnorm", "onnxruntime", "pytorch", "tensorflow", "nd4j"})
    public String framework;

    @Param({"layer:64:16", "layer:64:256", "layer:64:4096", "layer:64:262144",
        "layer:768:16", "layer:768:256", "layer:768:4096", "layer:768:262144",
        "layer:4096:16", "layer:4096:256", "layer:4096:4096", "layer:4096:262144",
        "layer:16384:16", "layer:16384:256", "layer:16384:4096", "layer:16384:262144",
        "rms:64:16", "rms:64:256", "rms:64:4096", "rms:64:262144",
        "rms:768:16", "rms:768:256", "rms:768:4096", "rms:768:262144",
        "rms:4096:16", "rms:4096:256", "rms:4096:4096", "rms:4096:262144",
        "rms:16384:16", "rms:16384:256", "rms:16384:4096", "rms:16384:262144",
        "group:1x14x14x256:32", "group:8x28x28x256:32", "group:32x56x56x64:32", "group:64x32x32x3:3",
        "skip-layer:64:16", "skip-layer:64:256", "skip-layer:64:4096", "skip-layer:64:262144",
        "skip-layer:768:16", "skip-layer:768:256", "skip-layer:768:4096", "skip-layer:768:262144",
        "skip-layer:4096:16", "skip-layer:4096:256", "skip-layer:4096:4096", "skip-layer:4096:262144",
        "skip-layer:16384:16", "skip-layer:16384:256", "skip-layer:16384:4096", "skip-layer:16384:262144",
        "skip-rms:64:16", "skip-rms:64:256", "skip-rms:64:4096", "skip-rms:64:262144",
        "skip-rms:768:16", "skip-rms:768:256", "skip-rms:768:4096", "skip-rms:768:262144",
        "skip-rms:4096:16", "skip-rms:4096:256", "skip-rms:4096:4096", "skip-rms:4096:262144",
        "skip-rms:16384:16", "skip-rms:16384:256", "skip-rms:16384:4096", "skip-rms:16384:262144"})
    public String row;

    private NormPeer peer;

    @Setup
    public void setup() throws Exception {
        NormPeer.Case c = NormPeer.Case.parse(row);
        peer = NormPeers.loaded(framework, 1, c, NormPeers.data(c));
        if (peer == null) {
            throw new UnsupportedOperationException(framework + " has no " + c.op() + " operator");
        }
    }

    @TearDown
    public void tearDown() throws Exception {
        if (peer != null) {
            peer.close();
        }
    }

    @Benchmark
    public void run() throws Exception {
        peer.run();
    }
}
