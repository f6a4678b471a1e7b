package dev.simdnorm.internal.vector;

import dev.simdnorm.internal.AffineParams;
import dev.simdnorm.internal.KernelWorkout;

/**
 * The warm-up workout of the vector kernel: the kernel's calls, and the paths that small calls do not reach through
 * it (the memory-order walk of normalize, and the vector steps of a later statistics block).
 */
public final class VectorWorkout extends KernelWorkout {

    /** A workout of the vector kernel. */
    public VectorWorkout() {
        super(VectorKernel.create(null));
    }

    @Override
    protected void normalizeInMemoryOrder(float[] x, float[] y, int rows, AffineParams p, boolean relu) {
        VectorNormalize.walk(x, 0, y, 0, rows * p.channels(), p, relu, true);
    }

    @Override
    protected void mergeLaterBlock(double[] mean, double[] m2, int channels, float[] center, float[] r, float[] q) {
        VectorStatistics.INSTANCE.mergeBlock(5, mean, m2, channels, 10, center, r, q);
    }

    @Override
    protected void centeredBlock(float[] r, float[] q, int channels) {
        VectorStatistics.INSTANCE.centered(r, q, channels, 10);
    }
}
