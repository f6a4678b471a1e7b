package dev.simdnorm.jmh;

import dev.simdnorm.TensorLayout;
import dev.simdnorm.internal.AffineParams;
import dev.simdnorm.internal.Kernel;

/**
 * The data and parameters every benchmark runs on: x with per-channel normal data, y allocated and touched before
 * measuring (first-touch page faults cost ~11 µs per 4 KiB page here and would otherwise be timed).
 */
class Workload {

    Kernel kernel;
    int rows;
    int channels;
    float[] x;
    float[] y;
    float[] center;
    float[] centerLo;
    float[] scale;
    float[] shift;
    double[] mean;
    double[] m2;
    AffineParams inferenceParams;

    void init(String impl, int rows, int channels) {
        this.kernel = impl == null ? null : Kernels.named(impl);
        this.rows = rows;
        this.channels = channels;
        x = new Shape(1, 1, rows, channels).data(42);
        y = x.clone();
        center = new float[channels];
        centerLo = new float[channels];
        scale = new float[channels];
        shift = new float[channels];
        mean = new double[channels];
        m2 = new double[channels];
        for (int c = 0; c < channels; c++) {
            center[c] = 0.1f * c;
            scale[c] = 1.5f;
            shift[c] = -0.25f;
        }
        if (kernel != null) {
            inferenceParams = kernel.prepare(channels, center, null, scale, shift);
        }
    }

    /** Inference normalize: one read and one write per float. */
    float[] normalize() {
        kernel.normalize(x, 0, y, 0, rows, inferenceParams, false);
        return y;
    }

    /** Per-channel statistics: one read per float. */
    double[] statistics() {
        kernel.moments(x, 0, rows, channels, mean, m2);
        return m2;
    }

    /**
     * A train step as BatchNorm.train runs it: statistics, the fold into a hi/lo centre and a scale laid out for the
     * kernel (as ChannelAffine does), then normalize: two passes over x.
     */
    float[] trainStep() {
        kernel.moments(x, 0, rows, channels, mean, m2);
        kernel.normalize(x, 0, y, 0, rows, batchParams(), false);
        return y;
    }

    /** The normalizing map of the batch statistics in {@code mean} and {@code m2}, laid out for the kernel. */
    private AffineParams batchParams() {
        for (int c = 0; c < channels; c++) {
            center[c] = (float) mean[c];
            centerLo[c] = (float) (mean[c] - center[c]);
            scale[c] = (float) (1.0 / Math.sqrt(m2[c] / rows + 0.001));
        }
        return kernel.prepare(channels, center, centerLo, scale, shift);
    }

    // ------------------------------------------------------------ NCHW: the same operations on the transposed data

    /** Images N and H·W, for the NCHW operations. */
    int n;
    int spatial;

    /** Like {@link #init} for {@code shape}, with x transposed to NCHW when {@code layout} is "NCHW". */
    void init(String impl, Shape shape, String layout) {
        init(impl, shape.rows(), shape.c());
        n = shape.n();
        spatial = shape.spatial();
        if (TensorLayout.valueOf(layout) == TensorLayout.NCHW) {
            x = shape.toNchw(x);
        }
    }

    float[] normalizeNchw() {
        kernel.normalizeNchw(x, 0, y, 0, n, spatial, inferenceParams, false);
        return y;
    }

    double[] statisticsNchw() {
        kernel.momentsNchw(x, 0, n, channels, spatial, mean, m2);
        return m2;
    }

    float[] trainStepNchw() {
        kernel.momentsNchw(x, 0, n, channels, spatial, mean, m2);
        kernel.normalizeNchw(x, 0, y, 0, n, spatial, batchParams(), false);
        return y;
    }

    /** Ceiling for normalize: copying the same bytes. */
    float[] arraycopy() {
        System.arraycopy(x, 0, y, 0, x.length);
        return y;
    }

    /** What a Java vector loop that copies the same bytes reaches (normalize's ceiling within Java). */
    float[] vectorCopy() {
        Ceilings.vectorCopy(x, y, x.length);
        return y;
    }

    /** Ceiling for statistics: reading the same floats with a 4-accumulator vector sum. */
    float readSum() {
        return Ceilings.readSum(x, x.length);
    }
}
