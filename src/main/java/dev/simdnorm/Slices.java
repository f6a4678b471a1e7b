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

    private final int rows;
    private final int rowsPerSlice;

    Slices(int rows, int channels) {
        int blockRows = Layout.blockRows(channels);
        this.rows = rows;
        this.rowsPerSlice = Math.max(1, SLICE_FLOATS / channels / blockRows) * blockRows;
    }

    int count() {
        return (int) (((long) rows + rowsPerSlice - 1) / rowsPerSlice);
    }

    int start(int slice) {
        return slice * rowsPerSlice;
    }

    int rows(int slice) {
        return Math.min(rowsPerSlice, rows - slice * rowsPerSlice);
    }
}
