package dev.simdnorm.jmh;

import java.util.List;

/**
 * The family's peers by name; each framework's class is compiled only under the profile that puts the framework on
 * the class path ({@code -Ppeers}, or {@code -Pnd4j} for ND4J), so they are made by reflection, as {@link Peers}.
 */
final class NormPeers {

    /** Every name {@link #create} knows, in the order of the tables. */
    static final List<String> NAMES = List.of("simdnorm", "onnxruntime", "pytorch", "tensorflow", "nd4j");

    private NormPeers() {
    }

    /**
     * The named peer with the case's x loaded (seeded: N(2, 1), as {@code RowNormBenchmark}) and parameters
     * γ = 1 + 0.1·N(0, 1), β = 0.1·N(0, 1), ε 1e-5, or null when the framework lacks the operator.
     *
     * @throws IllegalStateException when the framework is not on the class path
     */
    static NormPeer loaded(String name, int threads, NormPeer.Case c, float[] x) throws Exception {
        NormPeer peer = create(name, threads);
        if (!peer.supports(c.op())) {
            peer.close();
            return null;
        }
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        float[] gamma = new float[c.parameters()];
        float[] beta = new float[c.parameters()];
        for (int j = 0; j < gamma.length; j++) {
            gamma[j] = (float) (1 + 0.1 * random.nextGaussian());
            beta[j] = (float) (0.1 * random.nextGaussian());
        }
        peer.load(c, x, gamma, beta, 1e-5f);
        return peer;
    }

    /** The case's x: N(2, 1), seeded. */
    static float[] data(NormPeer.Case c) {
        java.util.SplittableRandom random = new java.util.SplittableRandom(1);
        float[] x = new float[c.floats()];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (random.nextGaussian() + 2);
        }
        return x;
    }

    /**
     * The named peer.
     *
     * @param name    one of {@link #NAMES}
     * @param threads the framework's intra-op threads
     * @throws IllegalStateException when its framework is not on the class path
     */
    static NormPeer create(String name, int threads) throws ReflectiveOperationException {
        String type = switch (name) {
            case "simdnorm" -> null;
            case "onnxruntime" -> "OnnxRuntimeNormPeer";
            case "pytorch" -> "PyTorchNormPeer";
            case "tensorflow" -> "TensorFlowNormPeer";
            case "nd4j" -> "Nd4jNormPeer";
            default -> throw new IllegalArgumentException("no peer named " + name + "; known: " + NAMES);
        };
        if (type == null) {
            return new SimdnormNormPeer();
        }
        try {
            return (NormPeer) Class.forName("dev.simdnorm.jmh." + type).getConstructor(int.class)
                    .newInstance(threads);
        } catch (ClassNotFoundException | LinkageError e) {
            throw new IllegalStateException(name + " is not on the class path: run with -Ppeers (-Pnd4j for ND4J)", e);
        } catch (java.lang.reflect.InvocationTargetException e) {
            if (!(e.getCause() instanceof LinkageError)) {
                throw e;
            }
            // Its class compiled under the other profile, its framework not on this class path.
            throw new IllegalStateException(name + " is not on the class path: run with -Ppeers (-Pnd4j for ND4J)", e);
        }
    }
}
