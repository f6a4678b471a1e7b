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
