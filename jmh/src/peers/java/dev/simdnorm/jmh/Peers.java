package dev.simdnorm.jmh;

import dev.simdnorm.Convention;

import java.util.List;

/**
 * The peers by name. Each framework's classes are compiled only under the profile that puts the framework on the
 * class path ({@code -Ppeers}: TensorFlow, PyTorch, ONNX Runtime; {@code -Pnd4j}: ND4J, whose JavaCPP 1.5.7 cannot
 * share a class path with TensorFlow's 1.5.11), so they are made by reflection.
 */
final class Peers {

    /** Every name {@link #create} knows, in the order of the tables. */
    static final List<String> NAMES = List.of("simdnorm", "tensorflow", "tensorflow-onednn-off", "tensorflow-tf1",
            "tensorflow-tf1-onednn-off", "pytorch", "onnxruntime-nhwc", "onnxruntime-nchw", "nd4j");

    /** TensorFlow's switch for its oneDNN rewrites, read from the environment when its library loads. */
    static final String ONEDNN = "TF_ENABLE_ONEDNN_OPTS";

    private Peers() {
    }

    /**
     * The named peer with x loaded and the benchmarks' parameters (γ 1.5, β −0.25, running mean 0 and variance 1,
     * ε 0.001, weight of the batch 0.01).
     *
     * @throws IllegalStateException when the framework is not on the class path
     */
    static Peer loaded(String name, int threads, Shape shape, float[] x) throws Exception {
        Peer peer = create(name, threads);
        if (peer == null) {
            throw new IllegalStateException(name + " is not on the class path: run with -Ppeers, or -Pnd4j for ND4J");
        }
        int c = shape.c();
        float[] gamma = new float[c];
        float[] beta = new float[c];
        float[] variance = new float[c];
        java.util.Arrays.fill(gamma, 1.5f);
        java.util.Arrays.fill(beta, -0.25f);
        java.util.Arrays.fill(variance, 1);
        peer.load(shape, x, gamma, beta, new float[c], variance, 0.001f, 0.01f);
        return peer;
    }

    /**
     * The named peer, or null when its framework is not on the class path.
     *
     * @param name    one of {@link #NAMES}
     * @param threads the framework's intra-op threads
     */
    static Peer create(String name, int threads) throws ReflectiveOperationException {
        String type = switch (name) {
            case "simdnorm" -> null;
            case "tensorflow", "tensorflow-onednn-off" -> "TensorFlowPeer";
            case "tensorflow-tf1", "tensorflow-tf1-onednn-off" -> "TensorFlowIdiomPeer";
            case "pytorch" -> "PyTorchPeer";
            case "onnxruntime-nhwc" -> "OnnxRuntimePeer";
            case "onnxruntime-nchw" -> "OnnxRuntimePeer$Nchw";
            case "nd4j" -> "Nd4jPeer";
            default -> throw new IllegalArgumentException("no peer named " + name + "; known: " + NAMES);
        };
        if (name.startsWith("tensorflow") && name.endsWith("-onednn-off") != "0".equals(System.getenv(ONEDNN))) {
            // TensorFlow reads the variable once per process: the name must say what the process runs.
            throw new IllegalStateException(name + " needs " + ONEDNN + (name.endsWith("-onednn-off") ? "=0" : " unset")
                    + " in the environment of the run");
        }
        if (type == null) {
            return new SimdnormPeer(Convention.TENSORFLOW, threads);
        }
        Class<?> c;
        try {
            c = Class.forName("dev.simdnorm.jmh." + type);
        } catch (ClassNotFoundException e) {
            return null;
        }
        return (Peer) c.getConstructor(int.class).newInstance(threads);
    }
}
