package dev.simdnorm.spark;

/**
 * A record whose tensor cannot be read as whole rows of C finite float32 values: an {@code array<float>} or binary
 * value whose length is not a multiple of C, a null element, or, for statistics, a NaN or infinite value. The message
 * names the column, the partition and the record's index within it (0-based, in the partition's order), so the
 * record can be found with {@code rdd.mapPartitionsWithIndex} or {@code spark_partition_id()}.
 *
 * <p>Thrown by the executor that met the record; the driver's call ({@link SparkMoments#of},
 * {@link SparkBatchNorm#recalibrate}) throws a new one with the same message, whose cause is Spark's
 * {@code SparkException} for the failed job. Queries that run lazily ({@link SparkBatchNorm#inference}, the
 * {@link MomentsAggregator}) fail with Spark's exception, this one in its causes.
 */
public final class MalformedTensorException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /** The partition of the record. */
    private final int partition;
    /** The record's index within its partition. */
    private final long record;

    MalformedTensorException(String source, int partition, long record, String what) {
        super(source + ", partition " + partition + ", record " + record + ": " + what);
        this.partition = partition;
        this.record = record;
    }

    private MalformedTensorException(MalformedTensorException found, Throwable job) {
        super(found.getMessage(), job);
        this.partition = found.partition;
        this.record = found.record;
    }

    /**
     * What a Spark job's failure becomes on the driver: a new MalformedTensorException with the executor's message
     * if one caused it (the job's exception as its cause), else the failure itself, rethrown unchecked.
     */
    static RuntimeException fromJob(Exception failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof MalformedTensorException found) {
                return new MalformedTensorException(found, failure);
            }
        }
        return MalformedTensorException.<RuntimeException>sneaky(failure);
    }

    /** Rethrows a checked SparkException as it is: the caller's {@code throw} is never reached. */
    @SuppressWarnings("unchecked")
    private static <T extends Throwable> RuntimeException sneaky(Throwable t) throws T {
        throw (T) t;
    }

    /**
     * Returns the index of the partition that holds the record.
     *
     * @return the index of the partition that holds the record
     */
    public int partition() {
        return partition;
    }

    /**
     * Returns the record's index within its partition, 0-based, in the partition's order.
     *
     * @return the record's index within its partition
     */
    public long record() {
        return record;
    }
}
