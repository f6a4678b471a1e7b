package dev.simdnorm.jmh;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.LayerNorm;
import org.nd4j.linalg.factory.Nd4j;

/**
 * ND4J's {@code layer_norm} op over the last axis of [rows, size], into an output made once. ND4J has no RMSNorm or
 * GroupNorm op; its layer_norm takes no ε (libnd4j standardizes with its own). Needs {@code OMP_NUM_THREADS} equal to
 * the thread count, as {@link Nd4jPeer}.
 */
final class Nd4jNormPeer implements NormPeer {

    private final int threads;
    private INDArray x;
    private INDArray y;
    private INDArray gamma;
    private INDArray beta;

    public Nd4jNormPeer(int threads) {
        this.threads = threads;
        // The oneDNN AVX-512 build, as Nd4jPeer: set before ND4J's backend loads with the first Nd4j call.
        if (System.getProperty(Nd4jPeer.PLATFORM_EXTENSION) == null) {
            System.setProperty(Nd4jPeer.PLATFORM_EXTENSION, "-onednn-avx512");
        }
    }

    @Override
    public String name() {
        return "ND4J layer_norm, " + System.getProperty(Nd4jPeer.PLATFORM_EXTENSION, "no platform extension");
    }

    @Override
    public boolean supports(Op op) {
        return op == Op.LAYER_NORM;
    }

    @Override
    public void load(Case c, float[] xs, float[] gamma, float[] beta, float epsilon) {
        if (!String.valueOf(threads).equals(System.getenv("OMP_NUM_THREADS"))) {
            throw new IllegalStateException("ND4J on " + threads + " thread(s) needs OMP_NUM_THREADS=" + threads
                    + " in the environment of the run");
        }
        Nd4j.getEnvironment().setMaxThreads(threads);
        long[] dims = {c.rows(), c.size()};
        x = Nd4j.create(xs, dims, 'c');
        y = Nd4j.create(new float[xs.length], dims, 'c');
        this.gamma = Nd4j.create(gamma, new long[]{c.size()}, 'c');
        this.beta = Nd4j.create(beta, new long[]{c.size()}, 'c');
    }

    @Override
    public void run() {
        Nd4j.exec(new LayerNorm(x, gamma, beta, y, true, 1));
    }

    @Override
    public float[] y() {
        return y.data().asFloat();
    }

    @Override
    public void close() {
    }
}
