package dev.simdnorm;

import dev.simdnorm.internal.AffineParams;
import dev.simdnorm.internal.GradientParams;
import dev.simdnorm.internal.DoubleRowStatistics;
import dev.simdnorm.internal.Kernel;
import dev.simdnorm.internal.KernelProvider;
import dev.simdnorm.internal.MomentMerge;
import dev.simdnorm.internal.RowStatistics;

import java.lang.foreign.MemorySegment;

/**
 * The engine behind the public classes: it receives arguments the public entry points have already checked, and owns
 * what happens between them and the kernels: which kernel runs ({@link KernelProvider}, read once per pass), the
 * slices and their {@link MergeTree}, the groups of NCHW channels and images, and (through {@link SegmentStaging})
 * memory segments. It checks nothing and never calls back into the public layer.
 *
 * <p>Sequential calls allocate nothing: their working objects are per thread and reused. Parallel calls allocate a few
 * objects per task and one pair of per-channel arrays per slice.
 */
final class Engine {

    private Engine() {
    }

    // --------------------------------------------------------------------------------------------- statistics

    /** The mean and M2 of {@code rows} NHWC rows into {@code mean} and {@code m2}, summed in float. */
    static void moments(float[] x, int offset, int rows, int channels, Parallelism parallelism, double[] mean,
                        double[] m2) {
        moments(x, offset, rows, channels, Precision.FLOAT, parallelism, mean, m2);
    }

    /** The mean and M2 of {@code rows} NHWC rows into {@code mean} and {@code m2}. */
    static void moments(float[] x, int offset, int rows, int channels, Precision precision, Parallelism parallelism,
                        double[] mean, double[] m2) {
        boolean inDouble = precision == Precision.DOUBLE;
        Kernel kernel = inDouble ? KernelProvider.statisticsInDouble() : KernelProvider.statistics();
        int rowsPerSlice = inDouble ? Slices.rowsPerSliceInDouble(channels) : Slices.rowsPerSlice(channels);
        int count = Slices.count(rows, rowsPerSlice);
        if (count == 1 && !inDouble) {
            kernel.moments(x, offset, rows, channels, mean, m2);
            return;
        }
        Works works = Works.acquire();
        try {
            double[] origin = inDouble ? works.origin(x, offset, channels) : null;
            float[] firstCenter = inDouble ? null : works.firstCenter(channels);
            if (firstCenter != null) {
                kernel.firstCenter(x, offset, rows, channels, firstCenter);
            }
            RowMoments work = works.rowMoments.set(kernel, origin, firstCenter, x, offset, rows, channels,
                    rowsPerSlice);
            MergeTree.evaluate(work, count, channels, mean, m2, parallelism, (long) rows * channels);
            if (origin != null && DoubleRowStatistics.moveFarOrigins(origin, mean, m2, rows, channels)) {
                MergeTree.evaluate(work, count, channels, mean, m2, parallelism, (long) rows * channels);
            }
            addOrigin(origin, mean, channels);
        } finally {
            works.release();
        }
    }

    /**
     * One slice of NHWC rows through the kernel: in float around the tensor's first center, or in double with the
     * means as offsets from {@code origin}.
     */
    private static void rowMoments(Kernel kernel, double[] origin, float[] firstCenter, float[] x, int offset,
                                   int rows, int channels, double[] mean, double[] m2) {
        if (origin != null) {
            kernel.momentsInDouble(x, offset, rows, channels, origin, mean, m2);
        } else {
            kernel.moments(x, offset, rows, channels, firstCenter, mean, m2);
        }
    }

    /** The means from their offsets, in double mode (null origin: float mode, nothing to do). */
    private static void addOrigin(double[] origin, double[] mean, int channels) {
        if (origin != null) {
            for (int c = 0; c < channels; c++) {
                mean[c] += origin[c];
            }
        }
    }

    /** {@link #moments(MemorySegment, long, int, Precision, Parallelism, double[], double[])} in float. */
    static void moments(MemorySegment x, long rows, int channels, Parallelism parallelism, double[] mean,
                        double[] m2) {
        moments(x, rows, channels, Precision.FLOAT, parallelism, mean, m2);
    }

    /** The mean and M2 of {@code rows} NHWC rows of a segment not over a {@code float[]}, a slice staged at a time. */
    static void moments(MemorySegment x, long rows, int channels, Precision precision, Parallelism parallelism,
                        double[] mean, double[] m2) {
        moments(x, 0, rows, channels, precision, parallelism, mean, m2);
    }

    /**
     * As {@link #moments(MemorySegment, long, int, Precision, Parallelism, double[], double[])}, of the rows from row
     * {@code firstRow} of x: a part of a segment without a slice of it (a new object per call that escape analysis
     * does not remove where the work is not inlined).
     */
    static void moments(MemorySegment x, long firstRow, long rows, int channels, Precision precision,
                        Parallelism parallelism, double[] mean, double[] m2) {
        long first = firstRow * channels;
        float[] array = SegmentStaging.array(x);
        if (array != null) {
            moments(array, Math.toIntExact(SegmentStaging.arrayOffset(x) + first), Math.toIntExact(rows), channels,
                    precision, parallelism, mean, m2);
            return;
        }
        boolean inDouble = precision == Precision.DOUBLE;
        Kernel kernel = inDouble ? KernelProvider.statisticsInDouble() : KernelProvider.statistics();
        int rowsPerSlice = inDouble ? Slices.rowsPerSliceInDouble(channels) : Slices.rowsPerSlice(channels);
        int count = Slices.count(rows, rowsPerSlice);
        Works works = Works.acquire();
        try {
            double[] origin = inDouble ? works.origin(SegmentStaging.read(x, first, channels), 0, channels) : null;
            float[] firstCenter = inDouble ? null : works.firstCenter(channels);
            if (firstCenter != null) {
                // The sample of the first rows, as from an array: the same center, so the same bits.
                int sampled = (int) Math.min(rows, RowStatistics.SAMPLE_ROWS);
                kernel.firstCenter(SegmentStaging.read(x, first, sampled * channels), 0, sampled, channels,
                        firstCenter);
            }
            StagedRowMoments work = works.stagedRowMoments.set(kernel, origin, firstCenter, x, first, rows, channels,
                    rowsPerSlice);
            MergeTree.evaluate(work, count, channels, mean, m2, SegmentStaging.parallelismFor(x, parallelism),
                    rows * channels);
            if (origin != null && DoubleRowStatistics.moveFarOrigins(origin, mean, m2, rows, channels)) {
                MergeTree.evaluate(work, count, channels, mean, m2, SegmentStaging.parallelismFor(x, parallelism),
                        rows * channels);
            }
            addOrigin(origin, mean, channels);
        } finally {
            works.release();
        }
    }

    /** {@link #moments(float[], int, TensorShape, Precision, Parallelism, double[], double[])} in float. */
    static void moments(float[] x, int offset, TensorShape shape, Parallelism parallelism, double[] mean,
                        double[] m2) {
        moments(x, offset, shape, Precision.FLOAT, parallelism, mean, m2);
    }

    /** The mean and M2 of a tensor of {@code shape}, NHWC (as rows) or NCHW (by planes). */
    static void moments(float[] x, int offset, TensorShape shape, Precision precision, Parallelism parallelism,
                        double[] mean, double[] m2) {
        if (shape.layout() == TensorLayout.NHWC) {
            moments(x, offset, shape.n() * shape.spatial(), shape.channels(), precision, parallelism, mean, m2);
        } else {
            momentsNchw(x, offset, shape.n(), shape.channels(), shape.spatial(), precision, parallelism, mean, m2);
        }
    }

    /** {@link #momentsNchw(float[], int, int, int, int, Precision, Parallelism, double[], double[])} in float. */
    static void momentsNchw(float[] x, int offset, int n, int channels, int spatial, Parallelism parallelism,
                            double[] mean, double[] m2) {
        momentsNchw(x, offset, n, channels, spatial, Precision.FLOAT, parallelism, mean, m2);
    }

    /**
     * The mean and M2 of an NCHW tensor: in groups of whole channels (about a slice of data each), whose moments do
     * not depend on one another, so any grouping gives the same bits.
     */
    static void momentsNchw(float[] x, int offset, int n, int channels, int spatial, Precision precision,
                            Parallelism parallelism, double[] mean, double[] m2) {
        boolean inDouble = precision == Precision.DOUBLE;
        Kernel kernel = inDouble ? KernelProvider.statisticsInDouble() : KernelProvider.statisticsNchw();
        long floats = (long) n * channels * spatial;
        if (!parallelism.spreads(floats)) {
            planeMoments(kernel, inDouble, x, offset, n, channels, spatial, 0, channels, mean, m2);
            return;
        }
        int group = Math.max(1, Slices.SLICE_FLOATS / (n * spatial));
        parallelism.forEach(Math.ceilDiv(channels, group), floats, g -> planeMoments(kernel, inDouble, x, offset, n,
                channels, spatial, g * group, Math.min(channels, (g + 1) * group), mean, m2));
    }

    /** Channels [from, to) of an NCHW tensor through the kernel, in the precision asked for. */
    private static void planeMoments(Kernel kernel, boolean inDouble, float[] x, int offset, int n, int channels,
                                     int spatial, int from, int to, double[] mean, double[] m2) {
        if (inDouble) {
            kernel.momentsNchwInDouble(x, offset, n, channels, spatial, from, to, mean, m2);
        } else {
            kernel.momentsNchw(x, offset, n, channels, spatial, from, to, mean, m2);
        }
    }

    /** Slices of NHWC rows whose moments are merged in the tree: the merge, shared by arrays and segments. */
    private abstract static class SliceMoments implements MergeTree.Work {
        Kernel kernel;
        /** In double mode, the origin of the means, which the leaves and the tree keep as offsets; else null. */
        double[] origin;
        /**
         * In float mode, the center of the tensor's first block, every slice's first center; else null. The first
         * slice would sample the same; the others skip their own sample's pass, about 1/8 of a slice read twice.
         */
        float[] firstCenter;
        long rows;
        int channels;
        int rowsPerSlice;

        void set(Kernel kernel, double[] origin, float[] firstCenter, long rows, int channels, int rowsPerSlice) {
            this.kernel = kernel;
            this.origin = origin;
            this.firstCenter = firstCenter;
            this.rows = rows;
            this.channels = channels;
            this.rowsPerSlice = rowsPerSlice;
        }

        @Override
        public void combine(long left, double[] mean, double[] m2, long right, double[] rightMean, double[] rightM2) {
            MomentMerge.merge(left, mean, m2, right, rightMean, rightM2, channels);
        }

        void clear() {
            kernel = null;
            origin = null;
            firstCenter = null;
        }
    }

    /** One slice of NHWC rows of an array: the kernel's moments. */
    private static final class RowMoments extends SliceMoments {
        private float[] x;
        private int offset;

        RowMoments set(Kernel kernel, double[] origin, float[] firstCenter, float[] x, int offset, long rows,
                       int channels, int rowsPerSlice) {
            set(kernel, origin, firstCenter, rows, channels, rowsPerSlice);
            this.x = x;
            this.offset = offset;
            return this;
        }

        @Override
        public long leaf(int slice, double[] mean, double[] m2) {
            int n = Slices.rows(rows, rowsPerSlice, slice);
            rowMoments(kernel, origin, firstCenter, x, offset + slice * rowsPerSlice * channels, n, channels, mean,
                    m2);
            return n;
        }

        @Override
        void clear() {
            super.clear();
            x = null;
        }
    }

    /** One slice of NHWC rows of a segment, staged through this thread's buffer: the kernel's moments. */
    private static final class StagedRowMoments extends SliceMoments {
        private MemorySegment x;
        /** The float of x where the rows start. */
        private long first;

        StagedRowMoments set(Kernel kernel, double[] origin, float[] firstCenter, MemorySegment x, long first,
                             long rows, int channels, int rowsPerSlice) {
            set(kernel, origin, firstCenter, rows, channels, rowsPerSlice);
            this.x = x;
            this.first = first;
            return this;
        }

        @Override
        public long leaf(int slice, double[] mean, double[] m2) {
            int n = Slices.rows(rows, rowsPerSlice, slice);
            float[] staged = SegmentStaging.read(x, first + (long) slice * rowsPerSlice * channels, n * channels);
            rowMoments(kernel, origin, firstCenter, staged, 0, n, channels, mean, m2);
            return n;
        }

        @Override
        void clear() {
            super.clear();
            x = null;
        }
    }

    // ---------------------------------------------------------------------------------------------- normalize

    /** The map over {@code rows} NHWC rows; each element alone, so any cut into slices gives the same bits. */
    static void normalize(float[] x, int xOffset, float[] y, int yOffset, int rows, AffineParams params,
                          boolean relu, Parallelism parallelism) {
        if (params.wideCenter() && DeviationOverflow.planes(x, xOffset, y, yOffset, rows, 1, params, relu)) {
            return;
        }
        Kernel kernel = KernelProvider.normalizing();
        int channels = params.channels();
        long floats = (long) rows * channels;
        if (!parallelism.spreads(floats)) {
            kernel.normalize(x, xOffset, y, yOffset, rows, params, relu);
            return;
        }
        int rowsPerSlice = Slices.rowsPerSlice(channels);
        parallelism.forEach(Slices.count(rows, rowsPerSlice), floats, s -> {
            int at = s * rowsPerSlice * channels;
            kernel.normalize(x, xOffset + at, y, yOffset + at, Slices.rows(rows, rowsPerSlice, s), params, relu);
        });
    }

    /** The map over a tensor of {@code shape} and {@code floats} floats, NHWC (as rows) or NCHW (by planes). */
    static void normalize(float[] x, int xOffset, float[] y, int yOffset, TensorShape shape, int floats,
                          AffineParams params, boolean relu, Parallelism parallelism) {
        if (floats == 0) {
            return; // (n·channels may not fit in an int when spatial is 0)
        }
        if (shape.layout() == TensorLayout.NHWC) {
            normalize(x, xOffset, y, yOffset, shape.n() * shape.spatial(), params, relu, parallelism);
        } else {
            normalizeNchw(x, xOffset, y, yOffset, shape.n(), shape.spatial(), params, relu, parallelism);
        }
    }

    /** The map over an NCHW tensor, in groups of whole images (about a slice of data each) when spread. */
    static void normalizeNchw(float[] x, int xOffset, float[] y, int yOffset, int n, int spatial,
                              AffineParams params, boolean relu, Parallelism parallelism) {
        if (params.wideCenter() && DeviationOverflow.planes(x, xOffset, y, yOffset, n, spatial, params, relu)) {
            return;
        }
        Kernel kernel = KernelProvider.normalizingNchw();
        int image = params.channels() * spatial;
        long floats = (long) n * image;
        if (!parallelism.spreads(floats)) {
            kernel.normalizeNchw(x, xOffset, y, yOffset, n, spatial, params, relu);
            return;
        }
        int group = Math.max(1, Slices.SLICE_FLOATS / image);
        parallelism.forEach(Math.ceilDiv(n, group), floats, g -> {
            int from = g * group;
            kernel.normalizeNchw(x, xOffset + from * image, y, yOffset + from * image, Math.min(group, n - from),
                    spatial, params, relu);
        });
    }

    /** The map over {@code rows} NHWC rows of segments, directly or staged (see {@link SegmentStaging}). */
    static void normalize(MemorySegment x, MemorySegment y, long rows, AffineParams params, boolean relu,
                          Parallelism parallelism) {
        normalize(x, y, 0, rows, params, relu, parallelism);
    }

    /**
     * As {@link #normalize(MemorySegment, MemorySegment, long, AffineParams, boolean, Parallelism)}, of the rows from
     * row {@code firstRow} of x and of y (a part of a segment without a slice of it, as {@code moments}).
     */
    static void normalize(MemorySegment x, MemorySegment y, long firstRow, long rows, AffineParams params,
                          boolean relu, Parallelism parallelism) {
        Kernel kernel = KernelProvider.normalizing();
        int channels = params.channels();
        float[] xa = SegmentStaging.array(x);
        float[] ya = SegmentStaging.array(y);
        if (xa != null && ya != null) {
            long first = firstRow * channels;
            normalize(xa, Math.toIntExact(SegmentStaging.arrayOffset(x) + first), ya,
                    Math.toIntExact(SegmentStaging.arrayOffset(y) + first), Math.toIntExact(rows), params, relu,
                    parallelism);
            return;
        }
        Parallelism p = SegmentStaging.parallelismFor(y, SegmentStaging.parallelismFor(x, parallelism));
        long floats = rows * channels;
        int rowsPerSlice = Slices.rowsPerSlice(channels);
        int count = Slices.count(rows, rowsPerSlice);
        if (!p.spreads(floats)) {
            for (int s = 0; s < count; s++) {
                SegmentStaging.normalize(kernel, x, firstRow + (long) s * rowsPerSlice, y,
                        Slices.rows(rows, rowsPerSlice, s), params, relu);
            }
            return;
        }
        p.forEach(count, floats, s -> SegmentStaging.normalize(kernel, x, firstRow + (long) s * rowsPerSlice, y,
                Slices.rows(rows, rowsPerSlice, s), params, relu));
    }

    // ----------------------------------------------------------------------------------------------- backward

    /**
     * The first backward pass: each channel's {@code Σg} and {@code Σv·g} into {@code sumG} and {@code sumVG}, slice
     * by slice, the slices' sums added in the {@link MergeTree}.
     */
    static void gradientSums(float[] x, int xOffset, float[] dy, int dyOffset, int rows, AffineParams forward,
                             boolean relu, Parallelism parallelism, double[] sumG, double[] sumVG) {
        Kernel kernel = KernelProvider.gradients();
        int channels = forward.channels();
        int rowsPerSlice = Slices.rowsPerSlice(channels);
        int count = Slices.count(rows, rowsPerSlice);
        if (count <= 1) {
            kernel.gradientSums(x, xOffset, dy, dyOffset, rows, forward, relu, sumG, sumVG);
            return;
        }
        Works works = Works.acquire();
        try {
            GradientPartials work = works.gradients.set(kernel, x, xOffset, dy, dyOffset, rows, forward, relu,
                    rowsPerSlice);
            MergeTree.evaluate(work, count, channels, sumG, sumVG, parallelism, (long) rows * channels);
        } finally {
            works.release();
        }
    }

    /** The second backward pass; each element alone, so any cut into slices gives the same bits. */
    static void inputGradient(float[] x, int xOffset, float[] dy, int dyOffset, float[] dx, int dxOffset, int rows,
                              AffineParams forward, GradientParams correction, boolean relu,
                              Parallelism parallelism) {
        Kernel kernel = KernelProvider.gradients();
        int channels = forward.channels();
        long floats = (long) rows * channels;
        if (!parallelism.spreads(floats)) {
            kernel.inputGradient(x, xOffset, dy, dyOffset, dx, dxOffset, rows, forward, correction, relu);
            return;
        }
        int rowsPerSlice = Slices.rowsPerSlice(channels);
        parallelism.forEach(Slices.count(rows, rowsPerSlice), floats, s -> {
            int at = s * rowsPerSlice * channels;
            kernel.inputGradient(x, xOffset + at, dy, dyOffset + at, dx, dxOffset + at,
                    Slices.rows(rows, rowsPerSlice, s), forward, correction, relu);
        });
    }

    /** One slice of the first backward pass: the kernel's sums. */
    private static final class GradientPartials implements MergeTree.Work {
        private Kernel kernel;
        private float[] x;
        private int xOffset;
        private float[] dy;
        private int dyOffset;
        private int rows;
        private AffineParams forward;
        private boolean relu;
        private int rowsPerSlice;

        GradientPartials set(Kernel kernel, float[] x, int xOffset, float[] dy, int dyOffset, int rows,
                             AffineParams forward, boolean relu, int rowsPerSlice) {
            this.kernel = kernel;
            this.x = x;
            this.xOffset = xOffset;
            this.dy = dy;
            this.dyOffset = dyOffset;
            this.rows = rows;
            this.forward = forward;
            this.relu = relu;
            this.rowsPerSlice = rowsPerSlice;
            return this;
        }

        @Override
        public long leaf(int slice, double[] sumG, double[] sumVG) {
            int n = Slices.rows(rows, rowsPerSlice, slice);
            int at = slice * rowsPerSlice * forward.channels();
            kernel.gradientSums(x, xOffset + at, dy, dyOffset + at, n, forward, relu, sumG, sumVG);
            return n;
        }

        @Override
        public void combine(long left, double[] sumG, double[] sumVG, long right, double[] rightG, double[] rightVG) {
            MergeTree.add(forward.channels(), sumG, sumVG, rightG, rightVG);
        }

        void clear() {
            kernel = null;
            x = null;
            dy = null;
            forward = null;
        }
    }

    /**
     * This thread's work objects, reused by its sequential and parallel calls. A call that starts while the thread's
     * objects are in use (an executor that runs other work inside {@code execute}, say) gets fresh ones. Released
     * objects hold no caller memory.
     */
    private static final class Works {
        private static final ThreadLocal<Works> CURRENT = ThreadLocal.withInitial(Works::new);

        final RowMoments rowMoments = new RowMoments();
        final StagedRowMoments stagedRowMoments = new StagedRowMoments();
        final GradientPartials gradients = new GradientPartials();
        private double[] origin = new double[0];
        private float[] firstCenter = new float[0];
        private boolean inUse;

        /** An array of at least {@code channels} floats for the first center of a tensor's slices. */
        float[] firstCenter(int channels) {
            if (firstCenter.length < channels) {
                firstCenter = new float[channels];
            }
            return firstCenter;
        }

        /** The first row of x from {@code offset}, in double: the origin of the means in double mode. */
        double[] origin(float[] x, int offset, int channels) {
            if (origin.length < channels) {
                origin = new double[channels];
            }
            for (int c = 0; c < channels; c++) {
                origin[c] = x[offset + c];
            }
            return origin;
        }

        static Works acquire() {
            Works works = CURRENT.get();
            if (works.inUse) {
                works = new Works();
            }
            works.inUse = true;
            return works;
        }

        void release() {
            rowMoments.clear();
            stagedRowMoments.clear();
            gradients.clear();
            inUse = false;
        }
    }
}
