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
 * The C sweep of {@link SweepBenchmark} through the peers: C ∈ {1, 3, 16, 17, 64, 100, 256, 1000} at working sets
 * of about 16 KiB, 256 KiB, 4 MiB and 256 MiB, as one image of 1×rows (N = H = 1), op only as in
 * {@link PeerBenchmark}, with its warm-up: a first run with 2 × 300 ms of warm-up left simdnorm's training step in
 * interpreted and C1 code at small sizes (C = 1000 at 16 KiB: about 1 ms per step, where 3 s of warm-up bring it to
 * 30 µs), so the Vector API code must run for seconds before it is measured. 256 configurations per thread count:
 * about 45 minutes. ND4J's oneDNN also needs {@code OMP_NUM_THREADS} set to the thread count: without it OpenMP
 * takes every core.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Dai.djl.offline=true", "-Xmx4g"})
@State(Scope.Thread)
public class PeerSweepBenchmark {

    @Param({"simdnorm", "tensorflow", "pytorch", "onnxruntime-nhwc"})
    public String framework;

    @Param({"1", "3", "16", "17", "64", "100", "256", "1000"})
    public int channels;

    @Param({"16", "256", "4096", "262144"})
    public int kib;

    /** Threads each framework may use, as in {@link PeerBenchmark}. */
    @Param({"1"})
    public int threads;

    private Peer peer;

    @Setup
    public void setup() throws Exception {
        Shape s = new Shape(1, 1, Math.max(1, kib * 1024 / (4 * channels)), channels);
        peer = Peers.loaded(framework, threads, s, s.data(42));
    }

    @TearDown
    public void tearDown() throws Exception {
        peer.close();
    }

    @Benchmark
    public void inference() throws Exception {
        peer.inference();
    }

    @Benchmark
    public void train() throws Exception {
        peer.train();
    }
}
