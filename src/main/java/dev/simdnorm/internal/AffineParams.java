package dev.simdnorm.internal;

/**
 * Per-channel parameters of an affine map, laid out by the kernel that made them ({@link Kernel#prepare}): for the
 * scalar kernel one entry per channel, for the vector kernel the channel pattern repeated over a period of whole
 * vectors. Either way the first {@code channels} entries are the per-channel values in channel order, which is all
 * the NCHW operations read. Never modified after construction.
 *
 * @param channels C
 * @param center   centre (hi part), per laid-out position
 * @param centerLo low part of the centre, or null for none
 * @param scale    scale, per laid-out position
 * @param shift    shift, per laid-out position
 */
public record AffineParams(int channels, float[] center, float[] centerLo, float[] scale, float[] shift) {
}
