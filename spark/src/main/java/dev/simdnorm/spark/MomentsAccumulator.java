package dev.simdnorm.spark;

import dev.simdnorm.Moments;
import dev.simdnorm.Precision;

/**
 * The moments of one partition's records, in their order: records are copied into a batch of about 256 KiB (so the
 * statistics read it from cache), each full batch is reduced by {@link Moments#of} in double precision, and the
 * batches' moments are merged left to right. The result depends only on the records and their order, so a partition
 * computed twice, by any executor, gives the same bits. Not thread-safe: one per task.
 *
 * <p>Non-finite data are malformed: statistics over them would be NaN or infinite for the whole channel. Rather than
 * test every value, a batch's moments are tested (in double, finite data give finite moments), and only a batch that
 * fails is searched for the record to name.
 */
final class MomentsAccumulator {

    /** Floats per batch: 256 KiB, so that a batch just copied is still in L2 when its statistics read it. */
    private static final int BATCH_FLOATS = 1 << 16;

    private final String source;
    private final int channels;
    private final int partition;
    private float[] batch;
    private int filled;
    /** Where each record of the batch starts, and its index in the partition; for naming a non-finite one. */
    private int[] starts;
    private long[] records;
    private int batchRecords;
    private Moments total;

    MomentsAccumulator(String source, int channels, int partition) {
        this.source = source;
        this.channels = channels;
        this.partition = partition;
        this.batch = new float[Math.max(channels, BATCH_FLOATS / channels * channels)];
        this.starts = new int[batch.length / channels];
        this.records = new long[starts.length];
    }

    /**
     * Checks a record's length and makes room for it: the caller then writes its {@code floats} values into
     * {@link #batch()} from the returned index.
     *
     * @param floats the record's length, ≥ 0
     * @param record the record's index in the partition, for messages
     * @return the index in {@link #batch()} of the record's first float
     * @throws MalformedTensorException if {@code floats} is not a multiple of C
     */
    int reserve(long floats, long record) {
        if (floats % channels != 0 || floats > Integer.MAX_VALUE - 8) {
            throw new MalformedTensorException(source, partition, record, floats + " floats, not a whole number of "
                    + "rows of " + channels + " channels");
        }
        if (filled + floats > batch.length) {
            flush();
            if (floats > batch.length) {
                // A record larger than a batch gets a batch of its own size, kept for the records after it.
                batch = new float[(int) floats];
                starts = new int[batch.length / channels];
                records = new long[starts.length];
            }
        }
        int at = filled;
        if (floats > 0) {
            starts[batchRecords] = at;
            records[batchRecords++] = record;
            filled += (int) floats;
        }
        return at;
    }

    /** The batch the reserved records are written into; changes when a record outgrows it. */
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
