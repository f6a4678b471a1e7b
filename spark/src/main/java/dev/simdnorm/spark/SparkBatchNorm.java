package dev.simdnorm.spark;

import java.io.Serial;
import java.io.Serializable;
import java.lang.foreign.MemorySegment;
import java.util.Iterator;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.JoinedRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import dev.simdnorm.Activation;
import dev.simdnorm.BatchNorm;
import dev.simdnorm.BatchNormParameters;
import dev.simdnorm.ChannelAffine;
import dev.simdnorm.Moments;

/**
 * A {@link BatchNorm} layer over a Dataset: recalibration of its running statistics from a whole dataset, and batch
 * inference over a column of NHWC tensors ({@code array<float>}, or little-endian float32 {@code binary}, as in
 * {@link SparkMoments}).
 *
 * <p>Inference broadcasts the layer's parameters once per call; each task folds them into the inference map (γ, β,
 * running statistics and ε as one {@link ChannelAffine}, with the activation) and applies it with the same kernels as
 * {@link BatchNorm#inference}, so every output is the bits the layer gives on one machine. A folded layer
 * ({@link dev.simdnorm.FoldedLayer}) has no inference of its own to run here: folding moves the normalization into
 * the weights and bias of the engine's convolution, which is where it then runs.
 *
 * <p>Inference runs on Spark's internal rows (as Spark's own file formats do), so it needs a classic
 * {@link SparkSession}, not a Spark Connect client. Thread-safe: it holds no state.
 */
public final class SparkBatchNorm {

    private SparkBatchNorm() {
    }

    /**
     * A copy of {@code layer} whose running statistics are the population statistics of {@code column}, in the
     * layer's convention ({@link BatchNorm#withRunningStatistics}): for recalibrating a layer after pruning,
     * quantization or fine-tuning. The statistics are {@link SparkMoments#of}'s, in double, deterministic for a given
     * partitioning; {@code layer} does not change.
     *
     * @param layer       the layer
     * @param activations the dataset of the layer's inputs
     * @param column      an {@code array<float>} or little-endian float32 {@code binary} column of NHWC tensors with
     *                    the layer's channels
     * @return the recalibrated copy
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException as {@link SparkMoments#of} and {@link BatchNorm#withRunningStatistics} do
     * @throws MalformedTensorException for a malformed record
     */
    public static BatchNorm recalibrate(BatchNorm layer, Dataset<Row> activations, String column) {
        if (layer == null) {
            throw new NullPointerException("layer must not be null");
        }
        Moments population = SparkMoments.of(activations, column, layer.channels());
        return layer.withRunningStatistics(population);
    }

    /**
     * Batch inference: {@code data} with a column {@code out} that holds {@code layer}'s inference output for the
     * tensor in column {@code in}, of the same type ({@code array<float>} or little-endian float32 {@code binary});
     * the layer's state as it is now is broadcast once. A null input gives a null output. The normalization runs
     * when the result is read, so a malformed record (a length not a multiple of C, a null element) fails the query
     * that reads it, with a {@link MalformedTensorException} among its causes; NaN and ±Inf propagate per IEEE into
     * that value's output, as in {@link BatchNorm#inference}. The result is built on {@code data}'s executed plan:
     * with adaptive execution on, the shuffles of {@code data}'s plan run when this is called, and filters or
     * projections applied to the result are not pushed below it (apply them to {@code data} first).
     *
     * @param data  the dataset
     * @param in    the input column (names are compared as Spark compares them: ignoring case unless
     *              {@code spark.sql.caseSensitive} is set)
     * @param out   the output column's name: a new column, or {@code in} to replace it
     * @param layer the layer
     * @return the dataset with the output column
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if {@code in} is not such a column, if {@code out} names another existing
     *                                  column, or if the layer's running statistics are not finite
     */
    public static Dataset<Row> inference(Dataset<Row> data, String in, String out, BatchNorm layer) {
        if (data == null || in == null || out == null || layer == null) {
            throw new NullPointerException("data, in, out and layer must not be null");
        }
        LayerMap layerMap = new LayerMap(layer);
        ChannelAffine map = layerMap.map();
        StructType schema = data.schema();
        boolean caseSensitive = TensorColumn.caseSensitive(data.sparkSession());
        TensorColumn input = TensorColumn.of(schema, in, map.channels(), caseSensitive);
        int existing = TensorColumn.fieldIndex(schema, out, caseSensitive);
        boolean replace = existing == input.ordinal;
        if (!replace && existing >= 0) {
            throw new IllegalArgumentException("column \"" + out + "\" exists already; pass in as out to replace the "
                    + "input");
        }
        StructType outSchema = replace ? schema
                : schema.add(out, input.binary ? DataTypes.BinaryType
                        : DataTypes.createArrayType(DataTypes.FloatType, false), true);
        if (!(data.sparkSession() instanceof org.apache.spark.sql.classic.SparkSession session)) {
            throw new IllegalArgumentException("inference needs a classic SparkSession, not a Spark Connect client");
        }
        Broadcast<LayerMap> broadcast = JavaSparkContext.fromSparkContext(session.sparkContext())
                .broadcast(layerMap);
        DataType[] types = new DataType[schema.size()];
        for (int i = 0; i < types.length; i++) {
            types[i] = schema.fields()[i].dataType();
        }
        JavaRDD<InternalRow> rows = data.queryExecution().toRdd().toJavaRDD().mapPartitionsWithIndex(
                (partition, records) -> apply(input, replace ? types : null, broadcast.value().map(), partition,
                        records), true);
        return session.internalCreateDataFrame(rows.rdd(), outSchema, false);
    }

    /**
     * The rows with the output appended, or in place of the input when {@code replacedTypes} (the input's column
     * types) is given.
     */
    private static Iterator<InternalRow> apply(TensorColumn input, DataType[] replacedTypes, ChannelAffine map,
                                               int partition, Iterator<InternalRow> records) {
        int channels = input.channels;
        return new Iterator<>() {
            private long record;
            private float[] x = new float[0];

            @Override
            public boolean hasNext() {
                return records.hasNext();
            }

            @Override
            public InternalRow next() {
                InternalRow row = records.next().copy();
                long index = record++;
                int floats = input.length(row, partition, index);
                Object result = null;
                if (floats >= 0) {
                    if (x.length < floats) {
                        x = new float[floats];
                    }
                    input.read(row, x, 0, partition, index);
                    float[] y = new float[floats];
                    if (floats > 0) {
                        map.apply(x, 0, y, 0, floats / channels);
                    }
                    if (input.binary) {
                        byte[] bytes = new byte[floats * Float.BYTES];
                        MemorySegment.copy(y, 0, MemorySegment.ofArray(bytes), TensorColumn.LITTLE_ENDIAN_FLOAT, 0, floats);
                        result = bytes;
                    } else {
                        result = UnsafeArrayData.fromPrimitiveArray(y);
                    }
                }
                if (replacedTypes != null) {
                    // Spark's rows cannot grow a variable-length value in place: a generic row over the copy's values.
                    Object[] values = new Object[replacedTypes.length];
                    for (int i = 0; i < values.length; i++) {
                        values[i] = i == input.ordinal ? result
                                : row.isNullAt(i) ? null : row.get(i, replacedTypes[i]);
                    }
                    return new GenericInternalRow(values);
                }
                return new JoinedRow(row, new GenericInternalRow(new Object[] {result}));
            }
        };
    }

    /**
     * What inference needs of a layer, to broadcast (the layer is not serializable): its running statistics, γ, β, ε
     * and activation, folded on each executor by the same function as the layer's own inference map, so the same bits.
     *
     * @param mean       running mean
     * @param variance   running variance
     * @param gamma      γ
     * @param beta       β
     * @param epsilon    ε
     * @param activation the fused activation
     */
    private record LayerMap(float[] mean, float[] variance, float[] gamma, float[] beta, float epsilon,
                            Activation activation) implements Serializable {

        @Serial
        private static final long serialVersionUID = 1L;

        LayerMap(BatchNorm layer) {
            this(layer.parameters(), layer.epsilon(), layer.activation());
        }

        private LayerMap(BatchNormParameters p, float epsilon, Activation activation) {
            this(p.runningMean(), p.runningVariance(), p.gamma(), p.beta(), epsilon, activation);
        }

        /**
         * The map; on the driver first, so that a layer whose running statistics are not finite (left by training on
         * non-finite data) fails the call rather than every task.
         */
        ChannelAffine map() {
            return ChannelAffine.normalizing(mean, variance, gamma, beta, epsilon).withActivation(activation);
        }
    }
}
