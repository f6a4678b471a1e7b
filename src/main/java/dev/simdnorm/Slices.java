package dev.simdnorm;

import dev.simdnorm.internal.Layout;

/**
 * The fixed cut of a tensor's rows into slices, the unit of parallel work. It depends only on the row and channel
 * counts, never on the threads, which is what makes parallel results reproducible bit for bit.
 */
final class Slices {

    /**
     * Floats per slice, about 1 MiB: large enough that a slice's fixed costs (its first block's sample, its scratch,
     * its merge) vanish against its data, small enough to spread a few MiB over two threads. Whole statistics blocks.
     */
    static final int SLICE_FLOATS = 1 << 18;

    private final long rows;
    private final int rowsPerSlice;

    Slices(long rows, int channels) {
        int blockRows = Layout.blockRows(channels);
        this.rows = rows;
        this.rowsPerSlice = Math.max(1, SLICE_FLOATS / channels / blockRows) * blockRows;
    }

    /** The number of slices; a tensor of 2⁶³ bytes has 2⁴³ floats, at most 2⁴³ slices of one row: C ≥ 2⁴³/2³¹. */
    int count() {
        return Math.toIntExact((rows + rowsPerSlice - 1) / rowsPerSlice);
    }

    /** The first row of a slice. */
    long start(int slice) {
        return (long) slice * rowsPerSlice;
    }

    /** The rows of a slice. */
    int rows(int slice) {
        return (int) Math.min(rowsPerSlice, rows - start(slice));
    }
}
