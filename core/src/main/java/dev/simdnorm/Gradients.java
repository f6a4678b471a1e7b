package dev.simdnorm;

import java.util.Arrays;

/**
 * The gradients of a loss with respect to a layer's parameters, per channel: {@code dγ = Σ(x − μ)·g/√(σ² + ε)} and
 * {@code dβ = Σg}, where g is the upstream gradient dy (masked by the ReLU, if fused). Returned by
 * {@link BatchNorm#backward} and {@link BatchNorm#backwardInference}, next to the input gradient they write.
 *
 * <p>Instances are immutable (the getters return copies) and safe to share between threads.
 */
public final class Gradients {

    private final float[] gamma;
    private final float[] beta;

    Gradients(float[] gamma, float[] beta) {
        this.gamma = gamma;
        this.beta = beta;
    }

    /**
     * Returns the number of channels.
     *
     * @return the number of channels
     */
    public int channels() {
        return gamma.length;
    }

    /**
     * Returns a copy of dγ, the gradient with respect to the scale γ.
     *
     * @return a copy of dγ, one value per channel
     */
    public float[] dGamma() {
        return gamma.clone();
    }

    /**
     * Returns a copy of dβ, the gradient with respect to the offset β.
     *
     * @return a copy of dβ, one value per channel
     */
    public float[] dBeta() {
        return beta.clone();
    }

    @Override
    public String toString() {
        return "Gradients[dGamma=" + Arrays.toString(gamma) + ", dBeta=" + Arrays.toString(beta) + "]";
    }
}
