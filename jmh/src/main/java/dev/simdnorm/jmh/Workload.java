package dev.simdnorm.jmh;

import dev.simdnorm.KernelSelection;
import dev.simdnorm.TensorLayout;
import dev.simdnorm.internal.AffineParams;
import dev.simdnorm.internal.GradientParams;
import dev.simdnorm.internal.Kernel;
import dev.simdnorm.internal.LanePeriod;

import java.time.Duration;

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
    float[] runningMean;
    float[] runningVariance;
    AffineParams inferenceParams;
    /** The training map, refilled by every train step as the engine does. */
    AffineParams batchParams;
    /** Backward only ({@link #initBackward}): the upstream gradient, sums and coefficients, a hi/lo-centered map. */
    float[] dy;
    double[] sumDy;
    double[] sumDeviationDy;
    float[] deviationScale;
    float[] offset;
    AffineParams trainParams;
    GradientParams gradientParams;

    void init(String impl, int rows, int channels) {
        this.kernel = impl == null ? null : Kernels.named(impl);
        if (impl != null) {
            // The kernels as a user's JVM compiles them: after the warm-up, whose calls are part of their profile.
            KernelSelection.warmUp(Duration.ofSeconds(60));
        }
        this.rows = rows;
        this.channels = channels;
        x = new Shape(1, 1, rows, channels).data(42);
        y = placedApart(x);
        center = new float[channels];
        centerLo = new float[channels];
        scale = new float[channels];
        shift = new float[channels];
        mean = new double[channels];
        m2 = new double[channels];
        runningMean = new float[channels];
        runningVariance = new float[channels];
        for (int c = 0; c < channels; c++) {
            center[c] = 0.1f * c;
            scale[c] = 1.5f;
            shift[c] = -0.25f;
        }
        inferenceParams = laidOut(channels, center, null, scale, shift);
        batchParams = new AffineParams(channels);
    }

    /** Keeps the gap {@link #placedApart} leaves between x and y through the GC's copies. */
    private static float[] gap;

    /**
     * A copy of x allocated 2 KiB (plus a header) past x's end, so y does not start 16 bytes past x modulo 4 KiB, as a
     * plain {@code x.clone()} does whenever x's length is a multiple of 4 KiB (16 and 256 KiB, 1x14x14x256,
     * 64x32x32x3).
     * There a copy's loads wait on its stores (4 KiB aliasing) and {@code System.arraycopy} takes 1.6–1.8× its usual
     * time at 16 KiB (jmh/probes/PlacementProbe.java). Arrays over half a G1 region start at a region's start and are
     * not moved by this; their placement (x and y at the same offset modulo 4 KiB) is not a slow one.
     */
    static float[] placedApart(float[] x) {
        gap = new float[512];
        return x.clone();
    }

    /** Parameters laid out as the kernels read them, from per-channel arrays. */
    static AffineParams laidOut(int channels, float[] center, float[] low, float[] scale, float[] shift) {
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
     * The work of BatchNorm.train without the public layer: statistics, the map (a hi/lo center and a scale laid out
     * for the kernel), normalize (two passes over x), and the running update of the TensorFlow convention.
     */
    float[] trainStep() {
        kernel.moments(x, 0, rows, channels, mean, m2);
        kernel.normalize(x, 0, y, 0, rows, batchParams(), false);
        runningUpdate();
        return y;
    }

    /** {@code R = R·0.99 + B·0.01} in float, for the mean and the biased variance, as the layer's default. */
    void runningUpdate() {
        for (int c = 0; c < channels; c++) {
            runningMean[c] = runningMean[c] * 0.99f + (float) mean[c] * 0.01f;
            runningVariance[c] = runningVariance[c] * 0.99f + (float) (m2[c] / rows) * 0.01f;
        }
    }

    /** The normalizing map of the batch statistics in {@code mean} and {@code m2}, laid out for the kernel. */
    private AffineParams batchParams() {
        float[] hi = batchParams.center();
        float[] lo = batchParams.centerLow();
        float[] s = batchParams.scale();
        for (int c = 0; c < channels; c++) {
            hi[c] = (float) mean[c];
            lo[c] = (float) (mean[c] - hi[c]);
            s[c] = (float) (1.0 / Math.sqrt(m2[c] / rows + 0.001));
        }
        LanePeriod.repeat(hi, channels, batchParams.period());
        LanePeriod.repeat(lo, channels, batchParams.period());
        LanePeriod.repeat(s, channels, batchParams.period());
        return batchParams;
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
            y = placedApart(x);
        }
    }

    float[] normalizeNchw() {
        kernel.normalizeNchw(x, 0, y, 0, n, spatial, inferenceParams, false);
        return y;
    }

    double[] statisticsNchw() {
        kernel.momentsNchw(x, 0, n, channels, spatial, 0, channels, mean, m2);
        return m2;
    }

    /** {@link #statisticsReturned} on NCHW data. */
    double[][] statisticsNchwReturned() {
        double[] mean = new double[channels];
        double[] m2 = new double[channels];
        kernel.momentsNchw(x, 0, n, channels, spatial, 0, channels, mean, m2);
        return new double[][] {mean, m2};
    }

    /** {@link #trainStepReturned} on NCHW data. */
    double[][] trainStepNchwReturned() {
        trainStepNchw();
        return new double[][] {mean.clone(), m2.clone()};
    }

    float[] trainStepNchw() {
        kernel.momentsNchw(x, 0, n, channels, spatial, 0, channels, mean, m2);
        kernel.normalizeNchw(x, 0, y, 0, n, spatial, batchParams(), false);
        runningUpdate();
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

    /**
     * {@link #statistics} into two fresh arrays of C doubles, returned, as {@code Moments.of} must: the kernel doing
     * the whole of the public call's work (its result is new memory on every call, which the kernel alone reuses).
     */
    double[][] statisticsReturned() {
        double[] mean = new double[channels];
        double[] m2 = new double[channels];
        kernel.moments(x, 0, rows, channels, mean, m2);
        return new double[][] {mean, m2};
    }

    /** {@link #trainStep} returning copies of the batch moments, as {@code train} returns a new {@code Moments}. */
    double[][] trainStepReturned() {
        trainStep();
        return new double[][] {mean.clone(), m2.clone()};
    }

    /** What the statistics kernel's arithmetic alone reaches over the same floats (three operations per float). */
    float deviationSum() {
        return Ceilings.deviationSum(x, x.length, 0.5f);
    }

    /** Adds what the backward pass reads: dy (other data of the same shape) and a training map with a low part. */
    void initBackward() {
        dy = new Shape(1, 1, rows, channels).data(43);
        sumDy = new double[channels];
        sumDeviationDy = new double[channels];
        deviationScale = new float[channels];
        offset = new float[channels];
        for (int c = 0; c < channels; c++) {
            centerLo[c] = 1e-9f * c;
            deviationScale[c] = -0.01f;
            offset[c] = 0.001f;
        }
        trainParams = laidOut(channels, center, centerLo, scale, shift);
        gradientParams = gradient(channels, deviationScale, offset);
    }

    /** Backward, first pass: Σdy and Σ(x − μ)·dy per channel; one read of x and of dy. */
    double[] gradientSums() {
        kernel.gradientSums(x, 0, dy, 0, rows, trainParams, false, sumDy, sumDeviationDy);
        return sumDeviationDy;
    }

    /** Backward, second pass of a training step: dx (into y) from x and dy; two reads and a write per float. */
    float[] inputGradient() {
        kernel.inputGradient(x, 0, dy, 0, y, 0, rows, trainParams, gradientParams, false);
        return y;
    }

    /**
     * The work of BatchNorm.backward without the public layer: the sums, the coefficients in double laid out for the
     * kernel, then dx: two passes over x and dy.
     */
    float[] backward() {
        kernel.gradientSums(x, 0, dy, 0, rows, trainParams, false, sumDy, sumDeviationDy);
        float[] e = gradientParams.deviationScale();
        float[] o = gradientParams.offset();
        for (int c = 0; c < channels; c++) {
            double k = scale[c];
            e[c] = (float) (-k * (sumDeviationDy[c] / (rows * 1.001)));
            o[c] = (float) (-k * (sumDy[c] / rows));
        }
        gradientParams.layOut();
        kernel.inputGradient(x, 0, dy, 0, y, 0, rows, trainParams, gradientParams, false);
        return y;
    }

    /** Coefficients of the input gradient laid out as the kernels read them. */
    static GradientParams gradient(int channels, float[] deviationScale, float[] offset) {
        GradientParams g = new GradientParams(channels);
        System.arraycopy(deviationScale, 0, g.deviationScale(), 0, channels);
        System.arraycopy(offset, 0, g.offset(), 0, channels);
        g.layOut();
        return g;
    }

    /** Ceiling for the backward passes: reading x and dy with a 4-accumulator vector sum. */
    float readTwo() {
        return Ceilings.readTwo(x, dy, x.length);
    }
}
