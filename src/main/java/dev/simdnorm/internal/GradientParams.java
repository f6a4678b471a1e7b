package dev.simdnorm.internal;

/**
 * The per-channel coefficients of the input gradient of a training step, laid out by the kernel that made them
 * ({@link Kernel#prepareGradient}) as {@link AffineParams} are. With the forward map's deviation {@code v} and scale
 * {@code s}, the kernels compute {@code dx = fma(g, s, fma(v, deviationScale, offset))}. Never modified after
 * construction.
 *
 * @param channels       C
 * @param deviationScale {@code −k·Σ(v·g)/(n·(σ² + ε))} with {@code k = γ/√(σ² + ε)}, per laid-out position
 * @param offset         {@code −k·Σg/n}, per laid-out position
 */
public record GradientParams(int channels, float[] deviationScale, float[] offset) {
}
