package dev.simdnorm.jmh;

import dev.simdnorm.GroupNorm;
import dev.simdnorm.KernelSelection;
import dev.simdnorm.LayerNorm;
import dev.simdnorm.RmsNorm;
import dev.simdnorm.TensorLayout;

import java.time.Duration;

/**
 * simdnorm's public API on the calling thread: {@code LayerNorm}, {@code RmsNorm}, {@code GroupNorm} (NCHW), and the
 * residual forms of the first two writing y and h.
 */
final class SimdnormNormPeer implements NormPeer {

    private Case c;
    private float[] x;
    private float[] y;
    private float[] h;
    private int residual;
    private LayerNorm layerNorm;
    private RmsNorm rmsNorm;
    private GroupNorm groupNorm;

    @Override
    public String name() {
        return "simdnorm, " + KernelSelection.active().name() + " kernels";
    }

    @Override
    public boolean supports(Op op) {
        return true;
    }

    @Override
    public void load(Case c, float[] x, float[] gamma, float[] beta, float epsilon) {
        this.c = c;
        this.x = x;
        this.residual = c.op().skip() ? x.length / 2 : 0;
        this.y = new float[x.length - residual];
        this.h = new float[residual];
        switch (c.op()) {
            case LAYER_NORM, SKIP_LAYER_NORM -> layerNorm = LayerNorm.builder(c.size()).epsilon(epsilon).gamma(gamma)
                    .beta(beta).build();
            case RMS_NORM, SKIP_RMS_NORM -> rmsNorm = RmsNorm.builder(c.size()).epsilon(epsilon).gamma(gamma).build();
            case GROUP_NORM -> groupNorm = GroupNorm.builder(c.channels(), c.groups()).epsilon(epsilon).gamma(gamma)
                    .beta(beta).build();
        }
        if (!KernelSelection.warmUp(Duration.ofSeconds(60))) {
            throw new IllegalStateException("the kernels did not warm up in 60 s");
        }
    }

    @Override
    public void run() {
        switch (c.op()) {
            case LAYER_NORM -> layerNorm.apply(x, 0, y, 0, c.rows());
            case RMS_NORM -> rmsNorm.apply(x, 0, y, 0, c.rows());
            case GROUP_NORM -> groupNorm.apply(x, 0, y, 0, TensorLayout.NCHW, c.n(), c.spatial());
            case SKIP_LAYER_NORM -> layerNorm.apply(x, 0, x, residual, y, 0, h, 0, c.rows());
            case SKIP_RMS_NORM -> rmsNorm.apply(x, 0, x, residual, y, 0, h, 0, c.rows());
        }
    }

    @Override
    public float[] y() {
        return y.clone();
    }

    @Override
    public void close() {
    }
}
