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
 * {@code System.arraycopy} over the same bytes, is {@link ShapeCeilingBenchmark#arraycopy}, in the same run.
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
    private float[] x;
    private float[] y;

    @Setup
    public void setup() throws Exception {
        Shape s = Shape.parse(shape);
        x = s.data(42);
        peer = Peers.loaded(framework, threads, s, x);
        if (framework.equals("onnxruntime-nchw")) {
            x = s.toNchw(x); // its users hold NCHW data
        }
        y = new float[x.length];
    }

    @TearDown
    public void tearDown() throws Exception {
        peer.close();
    }

    @Benchmark
    public void inference() throws Exception {
        peer.inference();
    }

    /** From a {@code float[]} to a {@code float[]}, the copies into and out of the framework's memory included. */
    @Benchmark
    public float[] endToEnd() throws Exception {
        peer.endToEnd(x, y);
        return y;
    }

    @Benchmark
    public void train() throws Exception {
        peer.train();
    }
}
