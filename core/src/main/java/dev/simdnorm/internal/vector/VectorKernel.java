package dev.simdnorm.internal.vector;

import dev.simdnorm.internal.AffineParams;
import dev.simdnorm.internal.DoublePlaneStatistics;
import dev.simdnorm.internal.DoubleRowStatistics;
import dev.simdnorm.internal.GradientParams;
import dev.simdnorm.internal.GradientSums;
import dev.simdnorm.internal.Kernel;
import dev.simdnorm.internal.KernelProvider;
import dev.simdnorm.internal.PlaneStatistics;
import dev.simdnorm.internal.RowMoments;
import dev.simdnorm.internal.RowParams;
import dev.simdnorm.internal.RowSquares;
import dev.simdnorm.internal.RowStatistics;

/**
 * The Vector API kernel. Its package is the only one that imports {@code jdk.incubator.vector}; it is loaded by name,
 * and only after {@link KernelProvider} has checked that the module is readable.
 *
 * <p>Each operation lives in a class of its own ({@link VectorNormalize}, {@link VectorStatistics},
 * {@link VectorDoubleStatistics}, {@link VectorPlanes}, {@link VectorGradients}, {@link VectorRows}) and runs the
 * shared algorithm with vector hooks, so every lane does what the scalar kernel does for that position, in the same
 * order: the two agree bit for bit.
 */
public final class VectorKernel implements Kernel, KernelProvider.VectorWidth {

    private static final VectorKernel INSTANCE = new VectorKernel();

    private VectorKernel() {
    }

    /**
     * The kernel, for {@link KernelProvider}.
     *
     * @param bits the forced width, or null for the preferred species; must match how the species was chosen
     * @return the kernel
     */
    public static VectorKernel create(Integer bits) {
        if (bits != null && bits != Lanes.FLOATS.vectorBitSize()) {
            throw new IllegalStateException("species already fixed at " + Lanes.FLOATS.vectorBitSize() + " bits");
        }
        return INSTANCE;
    }

    @Override
    public String name() {
        return "vector";
    }

    @Override
    public int vectorBits() {
        return Lanes.FLOATS.vectorBitSize();
    }

    @Override
    public void moments(float[] x, int offset, int rows, int channels, double[] mean, double[] m2) {
        RowStatistics.moments(VectorStatistics.INSTANCE, x, offset, rows, channels, mean, m2);
    }

    @Override
    public void moments(float[] x, int offset, int rows, int channels, float[] firstCenter, double[] mean,
                        double[] m2) {
        RowStatistics.moments(VectorStatistics.INSTANCE, x, offset, rows, channels, firstCenter, mean, m2);
    }

    @Override
    public void firstCenter(float[] x, int offset, int rows, int channels, float[] center) {
        RowStatistics.firstCenter(VectorStatistics.INSTANCE, x, offset, rows, channels, center);
    }

    @Override
    public void momentsInDouble(float[] x, int offset, int rows, int channels, double[] origin, double[] mean,
                                double[] m2) {
        DoubleRowStatistics.moments(VectorDoubleStatistics::sumRows, x, offset, rows, channels, origin, mean, m2);
    }

    @Override
    public void normalize(float[] x, int xOffset, float[] y, int yOffset, int rows, AffineParams params,
                          boolean relu) {
        VectorNormalize.normalize(x, xOffset, y, yOffset, rows, params, relu);
    }

    @Override
    public void momentsNchw(float[] x, int offset, int n, int channels, int spatial, int fromChannel, int toChannel,
                            double[] mean, double[] m2) {
        PlaneStatistics.moments(VectorPlanes.DEVIATIONS, x, offset, n, channels, spatial, fromChannel, toChannel,
                mean, m2);
    }

    @Override
    public void momentsNchwInDouble(float[] x, int offset, int n, int channels, int spatial, int fromChannel,
                                    int toChannel, double[] mean, double[] m2) {
        DoublePlaneStatistics.moments(VectorDoubleStatistics::sumPlanes, x, offset, n, channels, spatial, fromChannel,
                toChannel, mean, m2);
    }

    @Override
    public void normalizeNchw(float[] x, int xOffset, float[] y, int yOffset, int n, int spatial, AffineParams params,
                              boolean relu) {
        VectorPlanes.normalize(x, xOffset, y, yOffset, n, spatial, params, relu);
    }

    @Override
    public void gradientSums(float[] x, int xOffset, float[] dy, int dyOffset, int rows, AffineParams forward,
                             boolean relu, double[] sumDy, double[] sumDeviationDy) {
        GradientSums.sums(VectorGradients.INSTANCE, x, xOffset, dy, dyOffset, rows, forward, relu, sumDy,
                sumDeviationDy);
    }

    @Override
    public void inputGradient(float[] x, int xOffset, float[] dy, int dyOffset, float[] dx, int dxOffset, int rows,
                              AffineParams forward, GradientParams correction, boolean relu) {
        VectorGradients.inputGradient(x, xOffset, dy, dyOffset, dx, dxOffset, rows, forward, correction, relu);
    }

    @Override
    public void normalizeRows(float[] x, int xOffset, float[] y, int yOffset, int rows, int size, RowParams params) {
        VectorRows.normalize(x, xOffset, y, yOffset, rows, size, params);
    }

    @Override
    public void scaleRows(float[] x, int xOffset, float[] y, int yOffset, int rows, int size, RowParams params) {
        VectorRows.scale(x, xOffset, y, yOffset, rows, size, params.scale(), params.gamma());
    }

    @Override
    public double scaleRowAndSumNext(float[] x, int xOffset, float[] y, int yOffset, int size, RowParams params,
                                     int row, int nextOffset) {
        return VectorRows.scaleAndSumNext(x, xOffset, y, yOffset, size, params.scale()[row], params.gamma(),
                nextOffset);
    }

    @Override
    public void normalizeRowAndSumNext(float[] x, int xOffset, float[] y, int yOffset, int size, RowParams params,
                                       int row, int nextOffset, double[] out) {
        VectorRows.normalizeAndSumNext(x, xOffset, y, yOffset, size, params, row, nextOffset, out);
    }

    @Override
    public void normalizeRowAndSumNextBlock(float[] x, int xOffset, float[] y, int yOffset, int size,
                                            RowParams params, int row, int nextOffset, float center, float[] sums) {
        VectorPlanes.normalizeRowAndSumNext(x, xOffset, y, yOffset, size, params, row, nextOffset, center, sums);
    }

    @Override
    public PlaneStatistics.Deviations planeDeviations() {
        return VectorPlanes.DEVIATIONS;
    }

    @Override
    public void rowMoments(float[] x, int offset, int rows, int size, double[] mean, double[] m2) {
        if (VectorRowTotals.GROUP != 0 && rows >= VectorRowTotals.GROUP) {
            VectorRowTotals.moments(x, offset, rows, size, mean, m2);
        } else {
            RowMoments.moments(VectorRows.DEVIATIONS, x, offset, rows, size, mean, m2);
        }
    }

    @Override
    public void sumSquares(float[] x, int offset, int rows, int size, double[] sums) {
        if (VectorRowTotals.GROUP != 0 && rows >= VectorRowTotals.GROUP) {
            VectorRowTotals.squares(x, offset, rows, size, sums);
        } else {
            RowSquares.sums(VectorRows.SQUARES, x, offset, rows, size, sums);
        }
    }

    @Override
    public void add(float[] a, int aOffset, float[] b, int bOffset, float[] out, int outOffset, int length) {
        VectorRows.add(a, aOffset, b, bOffset, out, outOffset, length);
    }

    @Override
    public boolean trainingValues(AffineParams p, double[] mean, double[] variance, long count, float[] gamma,
                                  float epsilon) {
        return VectorTrainingValues.write(p, mean, variance, count, gamma, epsilon);
    }

    @Override
    public void repeat(float[] a, int channels, int period) {
        VectorPeriods.repeat(a, channels, period);
    }

    @Override
    public void repeat(float[] a, float[] b, float[] c, int channels, int period) {
        VectorPeriods.repeat(a, b, c, channels, period);
    }
}
