package dev.simdnorm.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

import dev.simdnorm.Activation;
import dev.simdnorm.BatchNorm;
import dev.simdnorm.Convention;
import dev.simdnorm.Moments;
import dev.simdnorm.Precision;

/** {@link SparkBatchNorm}: recalibration against Moments.of on the collected data, inference against the layer's. */
class SparkBatchNormTest {

    private static final int C = 3;

    @Test
    void recalibrationMatchesMomentsOfTheCollectedData() {
        SparkSession spark = LocalSpark.session(2);
        List<Row> rows = Tensors.records(31, 200, 16, C, 1e4, 1);
        Dataset<Row> data = LocalSpark.dataset(spark, rows, 5);
        Moments local = Moments.of(concatenated(rows), 0, (int) Tensors.exact(rows, C)[2][0], C, Precision.DOUBLE);
        for (Convention convention : Convention.values()) {
            BatchNorm layer = BatchNorm.builder(C).convention(convention).gamma(new float[] {1, 2, 3})
                    .activation(Activation.RELU).build();
            layer.setBatchesTracked(7);
            BatchNorm recalibrated = SparkBatchNorm.recalibrate(layer, data, "x");
            // One dataset, two partitionings of its sums (5 partitions against one array): the double moments agree
            // to about 1e-12 relatively, far below a float's half ulp (3e-8), so the floats are equal unless a value
            // sits within 1e-12 of a rounding boundary, which these data do not.
            BatchNorm expected = layer.withRunningStatistics(local);
            assertArrayEquals(expected.runningMean(), recalibrated.runningMean(), convention.toString());
            assertArrayEquals(expected.runningVariance(), recalibrated.runningVariance(), convention.toString());
            assertArrayEquals(layer.gamma(), recalibrated.gamma());
            assertEquals(7, recalibrated.batchesTracked());
            assertEquals(convention, recalibrated.convention());
            assertArrayEquals(new float[] {0, 0, 0}, layer.runningMean(), "the layer itself is unchanged");
        }
    }

    @Test
    void inferenceGivesTheLayersBitsOnBothColumnTypes() {
        SparkSession spark = LocalSpark.session(2);
        List<Row> rows = new ArrayList<>(Tensors.records(32, 60, C, 3, 2));
        rows.set(5, LocalSpark.row(5, 2, null));
        rows.set(6, LocalSpark.row(6, 0, new float[0]));
        Dataset<Row> data = LocalSpark.dataset(spark, rows, 4);
        BatchNorm layer = BatchNorm.builder(C).convention(Convention.PYTORCH).activation(Activation.RELU)
                .gamma(new float[] {0.5f, -1, 2}).beta(new float[] {0.1f, 0.2f, -0.3f})
                .runningMean(new float[] {3, 6, 9}).runningVariance(new float[] {1.5f, 2, 4}).build();
        List<Row> out = SparkBatchNorm.inference(data, "x", "y", layer).orderBy("id").collectAsList();
        List<Row> outBytes = SparkBatchNorm.inference(data, "bytes", "bytes", layer).orderBy("id").collectAsList();
        assertEquals(rows.size(), out.size());
        for (int i = 0; i < rows.size(); i++) {
            float[] x = (float[]) rows.get(i).get(2);
            Row r = out.get(i);
            assertEquals(rows.get(i).getLong(0), r.getLong(0));
            if (x == null) {
                assertNull(r.get(4));
                assertNull(outBytes.get(i).get(3));
                continue;
            }
            float[] expected = new float[x.length];
            if (x.length > 0) {
                layer.inference(x, 0, expected, 0, x.length / C);
            }
            List<Float> y = r.getList(4);
            float[] actual = new float[y.size()];
            for (int j = 0; j < actual.length; j++) {
                actual[j] = y.get(j);
            }
            assertArrayEquals(expected, actual, "record " + i);
            assertArrayEquals(Tensors.littleEndian(expected), (byte[]) outBytes.get(i).get(3), "binary " + i);
            assertEquals(r.getList(2), outBytes.get(i).getList(2), "the other columns pass through");
        }
    }

    @Test
    void inferenceChecksItsArguments() {
        SparkSession spark = LocalSpark.session(2);
        List<Row> rows = new ArrayList<>(Tensors.records(33, 10, C, 3, 2));
        Dataset<Row> data = LocalSpark.dataset(spark, rows, 2);
        BatchNorm layer = BatchNorm.builder(C).build();
        assertThrows(IllegalArgumentException.class, () -> SparkBatchNorm.inference(data, "x", "bytes", layer));
        assertThrows(IllegalArgumentException.class, () -> SparkBatchNorm.inference(data, "label", "y", layer));
        assertThrows(NullPointerException.class, () -> SparkBatchNorm.inference(data, "x", "y", null));
        // Names as Spark compares them, ignoring case by default: "X" is x, "BYTES" exists already, "X" as out
        // replaces x (it was "no column X", and a second column differing from one only in case).
        assertEquals(SparkBatchNorm.inference(data, "x", "y", layer).orderBy("id").collectAsList(),
                SparkBatchNorm.inference(data, "X", "y", layer).orderBy("id").collectAsList());
        assertThrows(IllegalArgumentException.class, () -> SparkBatchNorm.inference(data, "x", "BYTES", layer));
        assertEquals(data.schema(), SparkBatchNorm.inference(data, "x", "X", layer).schema());
        // Two columns of one name (as after a join): ambiguous, not the first of them, for the input and for out.
        Dataset<Row> twice = data.select(data.col("id"), data.col("x"), data.col("x").as("x"));
        IllegalArgumentException ambiguous = assertThrows(IllegalArgumentException.class,
                () -> SparkBatchNorm.inference(twice, "x", "y", layer));
        assertTrue(ambiguous.getMessage().contains("ambiguous"), ambiguous.getMessage());
        Dataset<Row> twiceY = data.select(data.col("x"), data.col("id").as("y"), data.col("id").as("y"));
        assertThrows(IllegalArgumentException.class, () -> SparkBatchNorm.inference(twiceY, "x", "y", layer));
        rows.set(7, LocalSpark.row(7, 1, new float[] {1, 2, 3, 4, 5}));
        Dataset<Row> bad = LocalSpark.dataset(spark, rows, 2);
        Exception e = assertThrows(Exception.class,
                () -> SparkBatchNorm.inference(bad, "x", "y", layer).collectAsList());
        MalformedTensorException cause = MomentsAggregatorTest.findCause(e);
        assertEquals(1, cause.partition());
        assertEquals(2, cause.record());
    }

    private static float[] concatenated(List<Row> rows) {
        ByteBuffer all = ByteBuffer.allocate(rows.stream().mapToInt(r -> ((float[]) r.get(2)).length * 4).sum())
                .order(ByteOrder.nativeOrder());
        for (Row r : rows) {
            for (float v : (float[]) r.get(2)) {
                all.putFloat(v);
            }
        }
        float[] x = new float[all.capacity() / 4];
        all.flip().asFloatBuffer().get(x);
        return x;
    }
}
