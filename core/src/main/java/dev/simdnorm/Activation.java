package dev.simdnorm;

/** An activation fused into the normalize pass, so that it costs no extra memory traffic. Immutable, thread-safe. */
public enum Activation {
    /** The identity: y is the affine output. */
    NONE,
    /** {@code y < 0 ? 0 : y}, as TensorFlow's {@code std::max(y, 0)}: a NaN stays NaN and −0 stays −0. */
    RELU
}
