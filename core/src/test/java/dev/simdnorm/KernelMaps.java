package dev.simdnorm;

import dev.simdnorm.internal.AffineParams;
import dev.simdnorm.internal.GradientParams;

/** Kernel parameters laid out from per-channel arrays, for tests that call the kernels directly. */
final class KernelMaps {

    private KernelMaps() {
    }

    /** The affine map's parameters; {@code low} may be null for a map without a low part (+0). */
    static AffineParams affine(int channels, float[] center, float[] low, float[] scale, float[] shift) {
        AffineParams p = new AffineParams(channels);
        System.arraycopy(center, 0, p.center(), 0, channels);
        if (low != null) {
            System.arraycopy(low, 0, p.centerLow(), 0, channels);
        }
        System.arraycopy(scale, 0, p.scale(), 0, channels);
        System.arraycopy(shift, 0, p.shift(), 0, channels);
        p.layOut();
        return p;
    }

    /** The training step's input-gradient coefficients. */
    static GradientParams gradient(int channels, float[] deviationScale, float[] offset) {
        GradientParams g = new GradientParams(channels);
        System.arraycopy(deviationScale, 0, g.deviationScale(), 0, channels);
        System.arraycopy(offset, 0, g.offset(), 0, channels);
        g.layOut();
        return g;
    }
}
