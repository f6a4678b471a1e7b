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

    /** The number of slices; a tensor of 2⁶³ bytes has 2⁴³ floats, at most 2⁴³ slices of one row: C ≥ 2⁴³/2³¹. */
    static int count(long rows, int rowsPerSlice) {
        return Math.toIntExact((rows + rowsPerSlice - 1) / rowsPerSlice);
    }

    /** The rows of slice {@code slice}. */
    static int rows(long rows, int rowsPerSlice, int slice) {
        return (int) Math.min(rowsPerSlice, rows - (long) slice * rowsPerSlice);
    }
}
