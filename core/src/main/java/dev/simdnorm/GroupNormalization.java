package dev.simdnorm;

import dev.simdnorm.internal.AffineParams;
import dev.simdnorm.internal.LanePeriod;
import dev.simdnorm.internal.MomentMerge;

import java.lang.foreign.MemorySegment;

/**
 * The engine of a {@link GroupNorm}: it receives checked arguments and, image by image, takes each group's mean and
 * variance, fills the per-channel map {@code y = (x − μ_g)·γ[c]/√(σ_g² + ε) + β[c]} and normalizes the image, so an
 * image is read for its statistics before it is written, also in place.
 *
 * <p>The statistics are BatchNorm's ({@link Engine}): in NHWC each channel's moments over the image's positions,
 * merged over the group's channels by Chan's formula in a fixed order; in NCHW a group's planes are contiguous, so
 * each group is one run of {@code channels/groups · spatial} floats. The map is BatchNorm's training map
 * ({@link ChannelAffine#training}). Every step gives the same bits for any {@link Parallelism}, so images may be
 * spread over threads, or one large image's statistics and map over slices, without changing a result.
 *
 * <p>Working arrays are per thread and per layer: nothing is allocated after a thread's first call.
 */
final class GroupNormalization {

    private final int channels;
    private final int groups;
    private final float epsilon;
    private final float[] gamma;
    private final float[] beta;
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(() -> new Scratch(this));

    GroupNormalization(int channels, int groups, float epsilon, float[] gamma, float[] beta) {
        this.channels = channels;
        this.groups = groups;
        this.epsilon = epsilon;
        this.gamma = gamma;
        this.beta = beta;
    }

    /** Normalizes {@code n} images of {@code channels·spatial} floats, whose total fits in an int. */
    void apply(float[] x, int xOffset, float[] y, int yOffset, TensorLayout layout, int n, int spatial,
               Parallelism parallelism) {
        int image = channels * spatial;
        long floats = (long) n * image;
        if (floats == 0) {
            return;
        }
        if (n > 1 && parallelism.spreads(floats)) {
            // Whole images per task, about a slice of data each; each image alone, as on one thread.
            int perTask = Math.max(1, Slices.SLICE_FLOATS / image);
            parallelism.forEach(Math.ceilDiv(n, perTask), floats, t -> images(x, xOffset, y, yOffset, layout,
                    t * perTask, (int) Math.min(n, (t + 1L) * perTask), spatial, Parallelism.sequential()));
            return;
        }
        images(x, xOffset, y, yOffset, layout, 0, n, spatial, parallelism);
    }

    private void images(float[] x, int xOffset, float[] y, int yOffset, TensorLayout layout, int from, int to,
                        int spatial, Parallelism parallelism) {
        Scratch s = acquire();
        try {
            int image = channels * spatial;
            for (int i = from; i < to; i++) {
                int at = i * image;
                image(s, x, xOffset + at, y, yOffset + at, layout, spatial, parallelism);
            }
        } finally {
            s.inUse = false;
        }
    }

    /**
     * Normalizes {@code n} NCHW images of segments: over {@code float[]}s, as those arrays; otherwise image by image,
     * each read into its thread's staging buffer, normalized there in place by the array path and written to y, whole
     * images per task (the buffer is never held across a task). The same bits as the arrays: each image's work
     * depends only on its floats. Each image fits in an array (checked).
     */
    void applyNchw(MemorySegment x, MemorySegment y, long n, int spatial, Parallelism parallelism) {
        if (doneWithoutStaging(x, y, TensorLayout.NCHW, n, spatial, parallelism)) {
            return;
        }
        int image = channels * spatial;
        long floats = n * image;
        Parallelism p = SegmentStaging.parallelismFor(y, SegmentStaging.parallelismFor(x, parallelism));
        if (n > 1 && p.spreads(floats)) {
            long perTask = Math.max(Math.max(1, Slices.SLICE_FLOATS / image), Math.ceilDiv(n, Integer.MAX_VALUE));
            p.forEach((int) Math.ceilDiv(n, perTask), floats, t -> stagedImages(x, y, t * perTask,
                    Math.min(n, (t + 1) * perTask), spatial));
            return;
        }
        stagedImages(x, y, 0, n, spatial);
    }

    /**
     * Segments whose work needs no staging: an empty tensor (checked first, as n may exceed an int where the images
     * are empty), or segments over {@code float[]}s, normalized as those arrays. Whether the call is done.
     */
    private boolean doneWithoutStaging(MemorySegment x, MemorySegment y, TensorLayout layout, long n, int spatial,
                                       Parallelism parallelism) {
        if (n * channels * (long) spatial == 0) {
            return true;
        }
        float[] xa = SegmentStaging.array(x);
        float[] ya = SegmentStaging.array(y);
        if (xa == null || ya == null) {
            return false;
        }
        apply(xa, SegmentStaging.arrayOffset(x), ya, SegmentStaging.arrayOffset(y), layout, Math.toIntExact(n),
                spatial, parallelism);
        return true;
    }

    /** NCHW images [from, to) of segments, one at a time through this thread's staging buffer, on this thread. */
    private void stagedImages(MemorySegment x, MemorySegment y, long from, long to, int spatial) {
        int image = channels * spatial;
        Scratch s = acquire();
        try {
            for (long i = from; i < to; i++) {
                float[] staged = SegmentStaging.read(x, i * image, image);
                image(s, staged, 0, staged, 0, TensorLayout.NCHW, spatial, Parallelism.sequential());
                SegmentStaging.write(staged, y, i * image, image);
            }
        } finally {
            s.inUse = false;
        }
    }

    /**
     * Normalizes {@code n} NHWC images of segments: over {@code float[]}s, as those arrays; otherwise each image's
     * statistics and map through the segment paths of {@link Engine} (staged in slices), whole images per task where
     * the call spreads over threads, as the arrays do (a single image may spread its own slices). The same bits as
     * the arrays: each image's work depends only on its floats.
     */
    void apply(MemorySegment x, MemorySegment y, long n, int spatial, Parallelism parallelism) {
        if (doneWithoutStaging(x, y, TensorLayout.NHWC, n, spatial, parallelism)) {
            return;
        }
        long image = (long) channels * spatial;
        long floats = n * image;
        Parallelism p = SegmentStaging.parallelismFor(y, SegmentStaging.parallelismFor(x, parallelism));
        if (n > 1 && p.spreads(floats)) {
            long perTask = Math.max(Math.max(1, Slices.SLICE_FLOATS / image), Math.ceilDiv(n, Integer.MAX_VALUE));
            p.forEach((int) Math.ceilDiv(n, perTask), floats, t -> segmentImages(x, y, t * perTask,
                    Math.min(n, (t + 1) * perTask), spatial, Parallelism.sequential()));
            return;
        }
        segmentImages(x, y, 0, n, spatial, p);
    }

    /** NHWC images [from, to) of segments, one after the other on this thread, each image over {@code parallelism}. */
    private void segmentImages(MemorySegment x, MemorySegment y, long from, long to, int spatial,
                               Parallelism parallelism) {
        Scratch s = acquire();
        try {
            for (long i = from; i < to; i++) {
                long firstRow = i * spatial; // image i, without a slice of x and y (two objects an image)
                Engine.moments(x, firstRow, spatial, channels, Precision.FLOAT, parallelism, s.mean, s.m2);
                mergeChannels(s, spatial);
                layOutMap(s, spatial, true);
                Engine.normalize(x, y, firstRow, spatial, s.params, false, parallelism);
            }
        } finally {
            s.inUse = false;
        }
    }

    private void image(Scratch s, float[] x, int xOffset, float[] y, int yOffset, TensorLayout layout, int spatial,
                       Parallelism parallelism) {
        if (layout == TensorLayout.NHWC) {
            Engine.moments(x, xOffset, spatial, channels, parallelism, s.mean, s.m2);
            mergeChannels(s, spatial);
        } else {
            Engine.momentsNchw(x, xOffset, 1, groups, channels / groups * spatial, parallelism, s.groupMean,
                    s.groupM2);
        }
        layOutMap(s, spatial, layout == TensorLayout.NHWC);
        if (layout == TensorLayout.NHWC) {
            Engine.normalize(x, xOffset, y, yOffset, spatial, s.params, false, parallelism);
        } else {
            Engine.normalizeNchw(x, xOffset, y, yOffset, 1, spatial, s.params, false, parallelism);
        }
    }

    /** Each group's moments from its channels' ({@code spatial} values each), merged in channel order. */
    private void mergeChannels(Scratch s, int spatial) {
        int perGroup = channels / groups;
        for (int g = 0, c = 0; g < groups; g++) {
            for (int k = 0; k < perGroup; k++, c++) {
                MomentMerge.merge((long) k * spatial, s.groupMean, s.groupM2, g, spatial, s.mean[c], s.m2[c]);
            }
        }
    }

    /**
     * The per-channel map of the groups' moments: BatchNorm's training map, each channel with its group's, laid out
     * over the period for NHWC ({@code layOut}); NCHW reads one value per channel.
     */
    private void layOutMap(Scratch s, int spatial, boolean layOut) {
        int perGroup = channels / groups;
        long count = (long) perGroup * spatial;
        for (int g = 0, c = 0; g < groups; g++) {
            double variance = s.groupM2[g] / count;
            for (int k = 0; k < perGroup; k++, c++) {
                s.mean[c] = s.groupMean[g];
                s.m2[c] = variance; // now the variance each channel's map takes
            }
        }
        ChannelAffine.training(s.params, s.mean, s.m2, count, gamma, epsilon, layOut);
    }

    /** This thread's scratch, or a fresh one if an executor ran this layer again inside a call on this thread. */
    private Scratch acquire() {
        Scratch s = scratch.get();
        if (s.inUse) {
            s = new Scratch(this);
        }
        s.inUse = true;
        return s;
    }

    /** A thread's working arrays for one layer. */
    private static final class Scratch {
        final double[] mean;
        final double[] m2;
        final double[] groupMean;
        final double[] groupM2;
        final AffineParams params;
        boolean inUse;

        Scratch(GroupNormalization layer) {
            mean = new double[layer.channels];
            m2 = new double[layer.channels];
            groupMean = new double[layer.groups];
            groupM2 = new double[layer.groups];
            params = new AffineParams(layer.channels);
            // The shift holds β, laid out, as ChannelAffine.training expects; the training maps never write it.
            System.arraycopy(layer.beta, 0, params.shift(), 0, layer.channels);
            LanePeriod.repeat(params.shift(), layer.channels, params.period());
        }
    }
}
