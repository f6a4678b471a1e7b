package dev.simdnorm.spark;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;

import dev.simdnorm.Moments;
import dev.simdnorm.Precision;

/**
 * Per-channel moments of a Dataset column of NHWC float32 tensors, computed where the data are and merged exactly:
 * the dataset statistics of an input transform, of feature standardization, or of a BatchNorm layer's recalibration
 * ({@link SparkBatchNorm#recalibrate}).
 *
 * <p><b>The column</b> is {@code array<float>}, or {@code binary} holding little-endian float32 (as image datasets
 * are often stored in Parquet). Each record holds a whole tensor: any number of rows of C channels, channels
 * innermost, so a 32×32×3 image is 3,072 floats and 1,024 rows of 3 channels.
 *
 * <p><b>Precision and order.</b> Each partition reduces its records in order, in batches of about 256 KiB, with
 * {@link Precision#DOUBLE} (deviations summed in double: a batch's variance within 1.2e-13 relative of the exact
 * one, its mean within 7e-14·(|μ| + σ)); the partitions' moments come back to the driver in partition order and are
 * merged there in a fixed balanced tree (Chan, Golub and LeVeque's pairwise formula). So the result depends only on
 * the partitions and the order of the records in each: the same bits whatever the number of executors or threads, the
 * order in which tasks finish, or retries. Those are fixed for a cached Dataset, for one made from an RDD with its
 * partitions given ({@code parallelize(rows, n)}), and for files read with fixed split settings
 * ({@code spark.sql.files.maxPartitionBytes} and {@code spark.sql.files.minPartitionNum}: by default Spark splits
 * files by the cluster's cores). A Dataset made from a local collection is split by the default parallelism (the
 * cluster's cores), and a filter on it splits it again, so its bits can differ on another cluster. After a shuffle
 * (a repartition, join or groupBy) the order of the records in a partition follows the order the shuffle's blocks
 * arrived in, and the last bits may change from run to run; cache the shuffled Dataset, or sort within partitions,
 * to fix it.
 *
 * <p><b>Accuracy of the merges.</b> Each merge of two partials adds about 2⁻⁵²·(|μ|/σ)/√n to the variance's relative
 * error, n being the values per channel of the smaller partial: the partials' means are doubles, rounded at
 * 2⁻⁵³·|μ|. With batches of 2¹⁶/C rows that is about 1e-14 per merge for |μ|/σ ≈ 1e4 (2.1e-14 measured on 20,000
 * images, docs/spark.md), below the 1.2e-13 of {@link Precision#DOUBLE}; partitions of a few rows of data far from
 * zero can reach 1e-11.
 *
 * <p><b>Malformed records.</b> A null value is skipped, as SQL's aggregates skip nulls; {@link Moments#count()} says
 * how many values each channel had. A value whose length is not a multiple of C, an array with a null element, or a
 * NaN or infinite float fails the job with a {@link MalformedTensorException} naming the column, the partition and
 * the record's index within it, as the job that read the column partitioned it (the same as the Dataset's own
 * partitions unless its plan ends in a shuffle that adaptive execution coalesces). Spark retries a failed task
 * ({@code spark.task.maxFailures}, 4 by default) before it fails the job; each retry meets the same record. Statistics
 * are never computed over part of the data silently. Other failures of the job propagate as Spark reports them
 * (its {@code SparkException}, as {@code Dataset.collect} does).
 *
 * <p><b>Resources.</b> One pass over the data; each task holds a batch of at most 256 KiB (or its largest record) and
 * returns 17 + 16·C bytes, so the driver receives partitions·(17 + 16·C) bytes, within
 * {@code spark.driver.maxResultSize} unless C and the partitions are both in the tens of thousands. It reads Spark's
 * internal rows, so it needs a classic {@code SparkSession}, not a Spark Connect client.
 *
 * <p>Thread-safe: it holds no state.
 */
public final class SparkMoments {

    private SparkMoments() {
    }

    /**
     * The per-channel moments of every value of {@code column}.
     *
     * @param data     the dataset; it is read once (cache it first if it is read again)
     * @param column   the name of an {@code array<float>} or little-endian float32 {@code binary} column, compared as
     *                 Spark compares names (ignoring case unless {@code spark.sql.caseSensitive} is set)
     * @param channels C, at least 1
     * @return the moments over all the non-null records, in double
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if there is no such column, if it has another type, if {@code channels} is not
     *                                  in [1, 134,217,726] (what Moments.toBytes holds), if the column holds no values (empty, or only nulls), or if
     *                                  {@code data} belongs to a Spark Connect session
     * @throws MalformedTensorException for a malformed record (its cause is Spark's exception for the failed job)
     */
    public static Moments of(Dataset<Row> data, String column, int channels) {
        if (data == null) {
            throw new NullPointerException("data must not be null");
        }
        if (!(data.sparkSession() instanceof org.apache.spark.sql.classic.SparkSession)) {
            throw new IllegalArgumentException("SparkMoments needs a classic SparkSession, not a Spark Connect client");
        }
        TensorColumn tensors = TensorColumn.of(data.schema(), column, channels,
                TensorColumn.caseSensitive(data.sparkSession())).at(0);
        JavaRDD<InternalRow> rows = data.select(data.col(quoted(tensors.name))).queryExecution().toRdd().toJavaRDD();
        // collect() returns the partitions' results in partition order, whatever order the tasks finished in.
        List<byte[]> partials;
        try {
            partials = rows.mapPartitionsWithIndex((partition, records) -> partition(tensors, partition, records),
                    false).collect();
        } catch (Exception e) {
            throw MalformedTensorException.fromJob(e);
        }
        List<Moments> moments = new ArrayList<>(partials.size());
        for (byte[] bytes : partials) {
            moments.add(Moments.fromBytes(bytes));
        }
        Moments total = MergeOrder.tree(moments);
        if (total == null) {
            throw new IllegalArgumentException("column \"" + column + "\" holds no values: the dataset is empty or "
                    + "every record is null or empty");
        }
        return total;
    }

    /** One partition's moments in their binary form, or nothing when it held no values. */
    private static Iterator<byte[]> partition(TensorColumn tensors, int partition, Iterator<InternalRow> records) {
        MomentsAccumulator accumulator = new MomentsAccumulator(tensors.source(), tensors.channels, partition);
        long record = 0;
        while (records.hasNext()) {
            InternalRow row = records.next();
            int floats = tensors.length(row, partition, record);
            if (floats > 0) {
                int at = accumulator.reserve(floats, record);
                tensors.read(row, accumulator.batch(), at, partition, record);
            }
            record++;
        }
        Moments m = accumulator.result();
        return m == null ? Collections.emptyIterator() : List.of(m.toBytes()).iterator();
    }

    /** A column name as Spark's parser reads it verbatim: in backquotes, a backquote doubled. */
    static String quoted(String column) {
        return "`" + column.replace("`", "``") + "`";
    }
}
