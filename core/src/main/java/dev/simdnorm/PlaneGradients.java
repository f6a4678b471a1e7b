package dev.simdnorm;

import dev.simdnorm.internal.AffineParams;
import dev.simdnorm.internal.GradientParams;
import dev.simdnorm.internal.Kernel;
import dev.simdnorm.internal.KernelProvider;

/**
 * The two backward passes of {@link BatchNormGradient} over an NCHW tensor, through the NHWC kernels: the rows of
 * each {@link Slices} slice (the NHWC pass's cut) copied into this thread's NHWC buffers for the sums, added in the
 * same {@link MergeTree}, and dx taken in chunks of rows copied the same way and written back in NCHW. The kernels
 * see the NHWC pass's rows in its slices, so the results are its bits. A call allocates two small work objects and
 * nothing proportional to the tensor up to 2¹⁴ channels: a thread keeps its buffers, as {@link SegmentStaging} does,
 * up to 16 MiB each; a slice of more channels (256 rows) is staged through arrays of its own. The caller has checked
 * every argument.
 */
final class PlaneGradients {

    /** Floats of each of a dx chunk's buffers: x, dy and dx, 64 KiB each, within L2 together. */
    private static final int CHUNK_FLOATS = 16 * 1024;

    /** A thread's dx chunk buffers, x, dy and dx apart (the scalar ReLU runs need dx apart from both). */
    private static final ThreadLocal<float[][]> CHUNKS = ThreadLocal.withInitial(() -> new float[3][CHUNK_FLOATS]);

    private PlaneGradients() {
    }

    /** {@link Engine#gradientSums} over the {@code n·spatial} rows of an NCHW tensor. */
    static void gradientSums(float[] x, int xOffset, float[] dy, int dyOffset, int n, int spatial,
                             AffineParams forward, boolean relu, Parallelism parallelism, double[] sumG,
                             double[] sumVG) {
        int channels = forward.channels();
        int rows = n * spatial;
        int rowsPerSlice = Slices.rowsPerSlice(channels);
        int count = Slices.count(rows, rowsPerSlice);
        SlicePartials work = new SlicePartials(KernelProvider.gradients(), x, xOffset, dy, dyOffset, rows, spatial,
                forward, relu, rowsPerSlice);
        if (count <= 1) { // as the NHWC pass: one kernel call over every row, into the sums themselves
            work.leaf(0, sumG, sumVG);
            return;
        }
        MergeTree.evaluate(work, count, channels, sumG, sumVG, parallelism, (long) rows * channels);
    }

    /**
     * {@link Engine#inputGradient} over an NCHW tensor, or with {@code inDouble} {@link InputGradientInDouble}'s (on
     * the calling thread, as the NHWC pass takes it); each element alone, so any cut into chunks gives the same bits.
     */
    static void inputGradient(float[] x, int xOffset, float[] dy, int dyOffset, float[] dx, int dxOffset, int n,
                              int spatial, AffineParams forward, GradientParams correction, boolean relu,
                              Parallelism parallelism, boolean inDouble, double[] deviationScale, double[] offset,
                              double[] variance) {
        Kernel kernel = KernelProvider.gradients();
        int channels = forward.channels();
        int rows = n * spatial;
        long floats = (long) rows * channels;
        int rowsPerSlice = Slices.rowsPerSlice(channels);
        int count = Slices.count(rows, rowsPerSlice);
        Chunks chunks = (first, last) -> {
            int chunkRows = Math.max(1, CHUNK_FLOATS / channels);
            for (int at = first, k; at < last; at += k) {
                k = Math.min(chunkRows, last - at);
                float[][] b = buffers(k * channels);
                if (relu || correction != null) { // else x is not read (nor is it by the double path, not taken)
                    toRows(x, xOffset, channels, spatial, at, k, b[0]);
                }
                toRows(dy, dyOffset, channels, spatial, at, k, b[1]);
                if (inDouble) {
                    InputGradientInDouble.inputGradient(b[0], 0, b[1], 0, b[2], 0, k, rows, forward, correction,
                            deviationScale, offset, variance, relu);
                } else {
                    kernel.inputGradient(b[0], 0, b[1], 0, b[2], 0, k, forward, correction, relu);
                }
                fromRows(b[2], dx, dxOffset, channels, spatial, at, k);
            }
        };
        if (inDouble || !parallelism.spreads(floats)) {
            chunks.run(0, rows);
            return;
        }
        parallelism.forEach(count, floats, s -> {
            int first = s * rowsPerSlice;
            chunks.run(first, first + Slices.rows(rows, rowsPerSlice, s));
        });
    }

    /** The dx pass over rows [first, last). */
    @FunctionalInterface
    private interface Chunks {
        void run(int first, int last);
    }

    /** This thread's three chunk buffers, each at least {@code floats} long (a row of more channels than a chunk). */
    private static float[][] buffers(int floats) {
        float[][] b = CHUNKS.get();
        if (b[0].length < floats) {
            b = new float[3][floats];
            if (floats <= SegmentStaging.RETAINED_FLOATS) {
                CHUNKS.set(b);
            }
        }
        return b;
    }

    /**
     * Copies rows [first, first + count) of an NCHW tensor from {@code offset} (row r: image r / spatial, position
     * r % spatial) into {@code rows} from index 0, NHWC.
     */
    static void toRows(float[] a, int offset, int channels, int spatial, int first, int count, float[] rows) {
        copy(a, offset, channels, spatial, first, count, rows, true);
    }

    /** The inverse of {@link #toRows}: NHWC rows from index 0 of {@code rows} into the NCHW tensor. */
    static void fromRows(float[] rows, float[] a, int offset, int channels, int spatial, int first, int count) {
        copy(a, offset, channels, spatial, first, count, rows, false);
    }

    /** Rows [first, first + count) between the NCHW tensor a and the NHWC rows, into the rows or out of them. */
    private static void copy(float[] a, int offset, int channels, int spatial, int first, int count, float[] rows,
                             boolean intoRows) {
        for (int r = first, end = first + count, o = 0; r < end; ) {
            int image = r / spatial;
            int from = r - image * spatial;
            int to = Math.min(spatial, from + (end - r));
            int plane = offset + image * channels * spatial;
            for (int c = 0; c < channels; c++) {
                int i = plane + c * spatial;
                if (intoRows) {
                    for (int s = from, b = o + c; s < to; s++, b += channels) {
                        rows[b] = a[i + s];
                    }
                } else {
                    for (int s = from, b = o + c; s < to; s++, b += channels) {
                        a[i + s] = rows[b];
                    }
                }
            }
            o += (to - from) * channels;
            r += to - from;
        }
    }

    /** One slice of the sums: its rows staged in this thread's slice buffers, the kernel's sums over them. */
    private record SlicePartials(Kernel kernel, float[] x, int xOffset, float[] dy, int dyOffset, int rows,
                                 int spatial, AffineParams forward, boolean relu, int rowsPerSlice)
            implements MergeTree.Work {

        @Override
        public long leaf(int slice, double[] sumG, double[] sumVG) {
            int channels = forward.channels();
            int first = slice * rowsPerSlice;
            int n = Slices.rows(rows, rowsPerSlice, slice);
            float[] xRows = SegmentStaging.sliceBuffer(n * channels);
            float[] dyRows = SegmentStaging.asideBuffer(n * channels);
            toRows(x, xOffset, channels, spatial, first, n, xRows);
            toRows(dy, dyOffset, channels, spatial, first, n, dyRows);
            kernel.gradientSums(xRows, 0, dyRows, 0, n, forward, relu, sumG, sumVG);
            return n;
        }

        @Override
        public void combine(long left, double[] sumG, double[] sumVG, long right, double[] rightG, double[] rightVG) {
            MergeTree.add(forward.channels(), sumG, sumVG, rightG, rightVG);
        }
    }
}
