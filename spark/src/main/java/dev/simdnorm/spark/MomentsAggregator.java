package dev.simdnorm.spark;

import java.io.Serial;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.catalyst.JavaTypeInference;
import org.apache.spark.sql.catalyst.encoders.ExpressionEncoder;
import org.apache.spark.sql.expressions.Aggregator;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;

import dev.simdnorm.Moments;

/**
 * {@link SparkMoments}' statistics as a Spark {@link Aggregator}, for grouped statistics (per class label, per
 * source) from DataFrames and SQL:
 *
 * <pre>{@code
 * spark.udf().register("channel_moments", MomentsAggregator.ofArrays(3).toUdaf());
 * spark.sql("SELECT label, channel_moments(image) AS stats FROM images GROUP BY label");
 * df.groupBy("label").agg(MomentsAggregator.ofArrays(3).apply(df, "image"));   // the column's type checked first
 * }</pre>
 *
 * <p><b>The column's type.</b> Spark casts a user-defined aggregate's argument to its input type without a word
 * (its {@code ScalaAggregator} takes implicit casts): given an {@code array<double>} (MLlib's {@code vector_to_array},
 * say), {@code array<int>} or {@code array<decimal>} column, {@link #ofArrays} receives the values rounded to float
 * (and a double beyond float's range as ±Inf, which fails as a non-finite value the data do not hold); given a
 * {@code string}, {@link #ofLittleEndianFloats} reads its UTF-8 bytes as floats. {@link #apply(Dataset, String)}
 * checks the column, as {@link SparkMoments#of} does, and rejects those; from SQL, cast the argument yourself, or
 * make sure it is {@code array<float>} or {@code binary}.
 *
 * <p>The result is a {@link ChannelStatistics} struct ({@code count}, {@code mean}, {@code variance},
 * {@code moments}); for a group with no values (only nulls), a count of 0 and null arrays. Null inputs are skipped,
 * as SQL's aggregates do; a malformed value (a length not a multiple of C, a null element, NaN or ±Inf) fails the
 * query with a {@link MalformedTensorException} naming the input partition and the record's index among that group's
 * records in the partition (not among all the partition's records; under Spark's sort-based fallback, below, among
 * the group's records that reached the buffer in use, which restarts at 0 after the fallback).
 *
 * <p><b>Determinism.</b> The buffer keeps one partial per input partition and merges them in partition order at the
 * end, in the same tree as {@link SparkMoments}, so the order in which Spark merges buffers does not change the
 * result: for a given partitioning and order of records (see {@link SparkMoments} for when those are fixed), the
 * same bits; with Spark's hash aggregation, the same bits as {@link SparkMoments#of} on the group's records. When a
 * task meets more groups than {@code spark.sql.objectHashAggregate.sortBased.fallbackThreshold} (128 by default),
 * Spark falls back to sort-based aggregation, which can split a partition's group into partials merged in the order
 * Spark gives them: the result is then as accurate, and repeatable for the same plan and data, but its last bits may
 * differ from {@link SparkMoments}'. So does any plan that splits a partition's group over several buffers, such as a
 * query with a {@code DISTINCT} aggregate beside this one (Spark groups the first step by the distinct column too),
 * whose partials of one partition meet in hash and shuffle order: then the last bits may also change from run to
 * run.
 *
 * <p>Immutable and serializable; one instance may be registered and used by many queries at once.
 *
 * @param <IN> the input type: {@code Float[]} for {@code array<float>}, {@code byte[]} for little-endian
 *             float32 {@code binary}
 */
public final class MomentsAggregator<IN> extends Aggregator<IN, MomentsBuffer, ChannelStatistics> {

    @Serial
    private static final long serialVersionUID = 1L;

    /** C. */
    private final int channels;
    /** How Spark hands the input column to {@link #reduce}. */
    private final Encoder<IN> inputEncoder;
    /** Whether the input is {@code binary} (little-endian float32) rather than {@code array<float>}. */
    private final boolean binary;

    /**
     * {@code array<float>} as {@code Float[]}: Spark's encoder of primitive {@code float[]} copies the array's raw
     * slots, where a null element reads as 0; boxed elements keep the nulls, to be rejected.
     */
    private static final Encoder<Float[]> BOXED_FLOATS =
            ExpressionEncoder.apply(JavaTypeInference.encoderFor(Float[].class));

    private MomentsAggregator(int channels, Encoder<IN> inputEncoder, boolean binary) {
        this.channels = TensorColumn.checkChannels(channels);
        this.inputEncoder = inputEncoder;
        this.binary = binary;
    }

    /**
     * An aggregator over {@code array<float>} values of C channels. Spark hands each array over as boxed floats, so
     * that a null element is seen (and rejected) rather than read as 0; for speed on large datasets, prefer
     * {@link SparkMoments#of}, or this aggregator over little-endian binary values.
     *
     * @param channels C, at least 1
     * @return the aggregator
     * @throws IllegalArgumentException if {@code channels} is not in [1, 134,217,726] (what Moments.toBytes holds)
     */
    public static MomentsAggregator<Float[]> ofArrays(int channels) {
        return new MomentsAggregator<>(channels, BOXED_FLOATS, false);
    }

    /**
     * An aggregator over {@code binary} values of little-endian float32, C channels.
     *
     * @param channels C, at least 1
     * @return the aggregator
     * @throws IllegalArgumentException if {@code channels} is not in [1, 134,217,726] (what Moments.toBytes holds)
     */
    public static MomentsAggregator<byte[]> ofLittleEndianFloats(int channels) {
        return new MomentsAggregator<>(channels, Encoders.BINARY(), true);
    }

    /**
     * This aggregator as a function of one column, for {@code spark.udf().register(name, ...)} or for
     * {@code df.groupBy(...).agg(udaf.apply(col("image")))}.
     *
     * @return the user-defined aggregate function
     */
    public UserDefinedFunction toUdaf() {
        return functions.udaf(this, inputEncoder);
    }

    /**
     * This aggregator over the column {@code column} of {@code data}, for {@code data.groupBy(...).agg(...)}, its type
     * checked first: {@code array<float>} for {@link #ofArrays}, {@code binary} for {@link #ofLittleEndianFloats}. The
     * name is found as Spark finds it ({@code spark.sql.caseSensitive}), and the column taken by that name.
     *
     * @param data   the Dataset whose column it is
     * @param column the column's name
     * @return the aggregate column, as {@code toUdaf().apply(data.col(column))} where the type is right
     * @throws NullPointerException     if {@code data} or {@code column} is null
     * @throws IllegalArgumentException if there is no such column, if its name is ambiguous, or if its type is not
     *                                  this aggregator's input type (Spark would cast it: the class comment)
     */
    public Column apply(Dataset<?> data, String column) {
        if (data == null) {
            throw new NullPointerException("data must not be null");
        }
        TensorColumn tensors = TensorColumn.of(data.schema(), column, channels,
                TensorColumn.caseSensitive(data.sparkSession()));
        if (tensors.binary != binary) {
            throw new IllegalArgumentException(tensors.source() + " is " + (tensors.binary ? "binary" : "array<float>")
                    + ": aggregate it with MomentsAggregator." + (tensors.binary ? "ofLittleEndianFloats" : "ofArrays")
                    + "(" + channels + ")");
        }
        return toUdaf().apply(data.col(SparkMoments.quoted(tensors.name)));
    }

    /**
     * Returns the number of channels C.
     *
     * @return the number of channels C
     */
    public int channels() {
        return channels;
    }

    @Override
    public MomentsBuffer zero() {
        return new MomentsBuffer(channels);
    }

    @Override
    public MomentsBuffer reduce(MomentsBuffer buffer, IN tensor) {
        buffer.add(tensor);
        return buffer;
    }

    @Override
    public MomentsBuffer merge(MomentsBuffer left, MomentsBuffer right) {
        return left.merge(right);
    }

    @Override
    public ChannelStatistics finish(MomentsBuffer buffer) {
        Moments m = buffer.result();
        // Spark's encoders cannot return a null struct: no values is a count of 0 with null arrays.
        return m == null ? new ChannelStatistics() : ChannelStatistics.of(m);
    }

    @Override
    public Encoder<MomentsBuffer> bufferEncoder() {
        return Encoders.javaSerialization(MomentsBuffer.class);
    }

    @Override
    public Encoder<ChannelStatistics> outputEncoder() {
        return Encoders.bean(ChannelStatistics.class);
    }
}
