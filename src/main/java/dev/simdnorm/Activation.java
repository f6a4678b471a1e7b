package dev.simdnorm;

/** An activation fused into the normalize pass, so that it costs no extra memory traffic. */
public enum Activation {
    /** The identity: y is the affine output. */
    NONE,
    /** {@code max(y, 0)}; a NaN stays NaN. */
    RELU
}
