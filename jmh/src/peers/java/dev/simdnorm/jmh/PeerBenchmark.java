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
 * simdnorm and the peers on the same NHWC data, op only: x and the parameters are already in each framework's memory
 * ({@link Peer#load}), and outputs are pre-allocated where the framework lets a caller do so (simdnorm, ONNX
 * Runtime's pinned outputs); TensorFlow and PyTorch allocate y per call, as their users' code does. The ceiling,
 * {@code System.arraycopy} over the same bytes, is {@link PeerCeilingBenchmark}, in the same run.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Dai.djl.offline=true", "-Xmx4g"})
@State(Scope.Thread)
public class PeerBenchmark {

    @Param({"simdnorm", "tensorflow", "tensorflow-tf1", "pytorch", "onnxruntime-nhwc", "onnxruntime-nchw", "nd4j"})
    public String framework;

    @Param({"1x14x14x256", "8x28x28x256", "32x56x56x64", "64x32x32x3"})
    public String shape;

    @Param({"1", "2"})
    public int threads;

    private Peer peer;

    @Setup
    public void setup() throws Exception {
        Shape s = Shape.parse(shape);
        peer = Peers.create(framework, threads);
        if (peer == null) {
            throw new IllegalStateException(framework + " is not on the class path: run with -Ppeers, or -Pnd4j for ND4J");
        }
        float[] gamma = new float[s.c()];
        float[] beta = new float[s.c()];
        float[] mean = new float[s.c()];
        float[] variance = new float[s.c()];
        java.util.Arrays.fill(gamma, 1.5f);
        java.util.Arrays.fill(beta, -0.25f);
        java.util.Arrays.fill(variance, 1);
        peer.load(s, s.data(42), gamma, beta, mean, variance, 0.001f, 0.01f);
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
