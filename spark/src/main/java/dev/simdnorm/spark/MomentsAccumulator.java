package dev.simdnorm.spark;

import java.util.Arrays;

import dev.simdnorm.Moments;
import dev.simdnorm.Precision;

/**
 * The moments of one partition's records, in their order: records are copied into a batch of about 256 KiB (so the
 * statistics read it from cache), each full batch is reduced by {@link Moments#of} in double precision, and the
 * batches' moments are merged left to right. Where batches end depends only on the records' lengths, so a partition
 * computed twice, by any executor, gives the same bits. Not thread-safe: one per task (or per group of a task).
 *
 * <p>The batch starts small and grows to its capacity as records arrive, so that an aggregation with many groups does
 * not hold 256 KiB per group; a record longer than the capacity gets a batch of its own, dropped once reduced.
 *
 * <p>Non-finite data are malformed: statistics over them would be NaN or infinite for the whole channel. Rather than
 * test every value, a batch's moments are tested (in double, finite data give finite moments), and only a batch that
 * fails is searched for the record to name.
 */
final class MomentsAccumulator {

    /** Floats per batch: 256 KiB, so that a batch just copied is still in L2 when its statistics read it. */
    private static final int BATCH_FLOATS = 1 << 16;
    /** The first allocation of a batch, in floats. */
    private static final int INITIAL_FLOATS = 1 << 10;

    private final String source;
    private final int channels;
    private final int partition;
    /** Floats a batch holds before it is reduced: the batches' boundaries, fixed whatever is allocated. */
    private final int capacity;
    private float[] batch;
    private int filled;
    /** Where each record of the batch starts, and its index in the partition; for naming a non-finite one. */
    private int[] starts = new int[16];
    private long[] records = new long[16];
    private int batchRecords;
    private Moments total;

    MomentsAccumulator(String source, int channels, int partition) {
        this.source = source;
        this.channels = channels;
        this.partition = partition;
        this.capacity = Math.max(channels, BATCH_FLOATS / channels * channels);
        this.batch = new float[Math.min(capacity, Math.max(channels, INITIAL_FLOATS / channels * channels))];
    }

    /**
     * Checks a record's length and makes room for it: the caller then writes its {@code floats} values into
     * {@link #batch()} from the returned index.
     *
     * @param floats the record's length, ≥ 0
     * @param record the record's index in the partition, for messages
     * @return the index in {@link #batch()} of the record's first float
     * @throws MalformedTensorException if {@code floats} is not a multiple of C, or above what one array holds
     */
    int reserve(long floats, long record) {
        if (floats % channels != 0) {
            throw new MalformedTensorException(source, partition, record, floats + " floats, not a whole number of "
                    + "rows of " + channels + " channels");
        }
        if (floats > Integer.MAX_VALUE - 8) {
            throw new MalformedTensorException(source, partition, record, floats + " floats, more than one Java "
                    + "array holds");
        }
        int n = (int) floats;
        if (n == 0) {
            return filled;
        }
        if (filled + (long) n > capacity) {
            flush();
        }
        if (filled + n > batch.length) {
            // Grows within the capacity (filled + n ≤ capacity here unless the record alone exceeds it).
            int size = Math.max(filled + n, (int) Math.min(capacity, 2L * batch.length));
            batch = Arrays.copyOf(batch, size);
        }
        if (batchRecords == starts.length) {
            starts = Arrays.copyOf(starts, 2 * batchRecords);
            records = Arrays.copyOf(records, 2 * batchRecords);
        }
        int at = filled;
        starts[batchRecords] = at;
        records[batchRecords++] = record;
        filled += n;
        return at;
    }

    /** The batch the reserved records are written into; changes when it grows. */
    float[] batch() {
        return batch;
    }

    /** Reduces the records waiting in the batch into the total. */
    void flush() {
        if (filled == 0) {
            return;
        }
        Moments m = Moments.of(batch, 0, filled / channels, channels, Precision.DOUBLE);
        for (int c = 0; c < channels; c++) {
            if (!Double.isFinite(m.meanAsDouble(c)) || !Double.isFinite(m.varianceAsDouble(c))) {
                throw nonFinite();
            }
        }
        total = total == null ? m : total.merge(m);
        filled = 0;
        batchRecords = 0;
        if (batch.length > capacity) {
            batch = new float[capacity];
        }
    }

    /** The partition's moments, null if it held no values; flushes first. */
    Moments result() {
        flush();
        return total;
    }

    private MalformedTensorException nonFinite() {
        for (int r = 0; r < batchRecords; r++) {
            int end = r + 1 < batchRecords ? starts[r + 1] : filled;
            for (int i = starts[r]; i < end; i++) {
                if (!Float.isFinite(batch[i])) {
                    return new MalformedTensorException(source, partition, records[r], "value " + batch[i]
                            + " at index " + (i - starts[r]) + " (channel " + (i - starts[r]) % channels + ")");
                }
            }
        }
        // Unreachable: finite floats have finite moments in double. Said rather than assumed.
        return new MalformedTensorException(source, partition, records[0], "non-finite statistics from finite data");
    }
}
