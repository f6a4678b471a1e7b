package dev.simdnorm;

import dev.simdnorm.internal.LanePeriod;

/**
 * The fixed cut of a tensor's rows into slices, the unit of parallel work and the leaves of the {@link MergeTree}. It
 * depends only on the row and channel counts, never on the threads, which is what makes parallel results reproducible
 * bit for bit.
 */
final class Slices {

    /**
     * Floats per slice, about 1 MiB: large enough that a slice's fixed costs (its first block's sample, its merge)
     * vanish against its data, small enough to spread a few MiB over two threads. Whole statistics blocks.
     */
    static final int SLICE_FLOATS = 1 << 18;

    private Slices() {
    }

    /** Rows per slice for C channels: whole statistics blocks of about {@link #SLICE_FLOATS} floats. */
    static int rowsPerSlice(int channels) {
        int blockRows = LanePeriod.blockRows(channels);
        return Math.max(1, SLICE_FLOATS / channels / blockRows) * blockRows;
    }

    /**
     * Rows per slice of the double-precision statistics: {@link #rowsPerSlice}, but at least four of its blocks where
     * they fit in 4 MiB (C up to 1024; fewer, at least one, beyond). A slice's first block is read twice: its first
     * 128 rows around the first row, for a center, then the whole block around that center. Where a slice is one
     * block (C ≥ about 1000) half of it is read again from cache while memory idles: C = 1000 read at 0.74–0.88 of the
     * read-only sum at 256 MiB in slices of one block, 0.87–0.92 in slices of four (docs/performance.md).
     */
    static int rowsPerSliceInDouble(int channels) {
        int blockRows = LanePeriod.blockRowsInDouble(channels);
        long blocks = Math.min(4, Math.max(1, 4L * SLICE_FLOATS / ((long) channels * blockRows)));
        return Math.max(rowsPerSlice(channels), (int) blocks * blockRows);
    }

    /** The number of slices; a tensor of 2⁶³ bytes has 2⁴³ floats, at most 2⁴³ slices of one row: C ≥ 2⁴³/2³¹. */
    static int count(long rows, int rowsPerSlice) {
        return Math.toIntExact((rows + rowsPerSlice - 1) / rowsPerSlice);
    }

    /** The rows of slice {@code slice}. */
    static int rows(long rows, int rowsPerSlice, int slice) {
        return (int) Math.min(rowsPerSlice, rows - (long) slice * rowsPerSlice);
    }
}
