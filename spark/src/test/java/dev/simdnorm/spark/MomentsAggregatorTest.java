package dev.simdnorm.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

import dev.simdnorm.Moments;

/** {@link MomentsAggregator} from SQL and DataFrames, grouped, against {@link SparkMoments} on each group. */
class MomentsAggregatorTest {

    private static final int C = 3;

    @Test
    void groupedFromSqlGivesSparkMomentsBitsPerGroup() {
        SparkSession spark = LocalSpark.session(2);
        Dataset<Row> data = LocalSpark.dataset(spark, Tensors.records(21, 300, C, 1e4, 1), 6);
        data.createOrReplaceTempView("images");
        spark.udf().register("channel_moments", MomentsAggregator.ofArrays(C).toUdaf());
        spark.udf().register("channel_moments_le", MomentsAggregator.ofLittleEndianFloats(C).toUdaf());
        List<Row> groups = spark.sql("SELECT label, channel_moments(x) AS s, channel_moments_le(bytes) AS b "
                + "FROM images GROUP BY label ORDER BY label").collectAsList();
        assertEquals(3, groups.size());
        for (Row g : groups) {
            int label = g.getInt(0);
            // A group's records keep their partitions and order under a filter: each partition's accumulator sees
            // the same records as SparkMoments' would, so the same batches, the same tree, the same bits.
            Moments expected = SparkMoments.of(data.filter("label = " + label), "x", C);
            Row s = g.getStruct(1);
            assertArrayEquals(expected.toBytes(), (byte[]) s.getAs("moments"), "label " + label);
            assertEquals(expected.count(), s.<Long>getAs("count"));
            List<Double> mean = s.getList(s.fieldIndex("mean"));
            List<Double> variance = s.getList(s.fieldIndex("variance"));
            for (int c = 0; c < C; c++) {
                assertEquals(expected.meanAsDouble(c), mean.get(c));
                assertEquals(expected.varianceAsDouble(c), variance.get(c));
            }
            assertArrayEquals(expected.toBytes(), (byte[]) g.getStruct(2).getAs("moments"), "binary, " + label);
        }
    }

    /**
     * Spark casts a user-defined aggregate's argument to its input type without a word: the premise, shown with the
     * unchecked UDAF (an array<double> column aggregated as floats, a string's bytes read as floats, no error); then
     * {@code apply(data, column)}, which checks the column's type and refuses both.
     */
    @Test
    void applyRefusesTheColumnsSparkWouldCast() {
        SparkSession spark = LocalSpark.session(2);
        Dataset<Row> data = LocalSpark.dataset(spark, Tensors.records(24, 30, C, 1e4, 1), 3);
        long values = SparkMoments.of(data, "x", C).count();
        // "abcd" three times: 12 bytes, one row of three finite floats (about 1.7e22) a record.
        Dataset<Row> other = data.withColumn("d", data.col("x").cast("array<double>"))
                .withColumn("s", functions.lit("abcdabcdabcd"));
        Row doubles = other.agg(MomentsAggregator.ofArrays(C).toUdaf().apply(other.col("d"))).first();
        assertEquals(values, doubles.getStruct(0).<Long>getAs("count"), "the doubles, cast to float");
        Row text = other.agg(MomentsAggregator.ofLittleEndianFloats(C).toUdaf().apply(other.col("s"))).first();
        assertEquals(30L, text.getStruct(0).<Long>getAs("count"), "the string's bytes, read as floats");

        refused("array<float> or binary", () -> MomentsAggregator.ofArrays(C).apply(other, "d"));
        refused("array<float> or binary", () -> MomentsAggregator.ofLittleEndianFloats(C).apply(other, "s"));
        refused("ofLittleEndianFloats(3)", () -> MomentsAggregator.ofArrays(C).apply(other, "bytes"));
        refused("ofArrays(3)", () -> MomentsAggregator.ofLittleEndianFloats(C).apply(other, "x"));
        refused("no column", () -> MomentsAggregator.ofArrays(C).apply(other, "missing"));
        assertThrows(NullPointerException.class, () -> MomentsAggregator.ofArrays(C).apply(null, "x"));
        assertThrows(NullPointerException.class, () -> MomentsAggregator.ofArrays(C).apply(other, null));

        // Where the type is right: the UDAF on that column, the name found as Spark finds it (without case).
        for (String name : new String[] {"x", "X"}) {
            Row checked = data.groupBy("label").agg(MomentsAggregator.ofArrays(C).apply(data, name).as("s"))
                    .filter("label = 1").first();
            Moments expected = SparkMoments.of(data.filter("label = 1"), "x", C);
            assertArrayEquals(expected.toBytes(), (byte[]) checked.getStruct(1).getAs("moments"), name);
        }
        Row binary = data.agg(MomentsAggregator.ofLittleEndianFloats(C).apply(data, "bytes")).first();
        assertArrayEquals(SparkMoments.of(data, "x", C).toBytes(), (byte[]) binary.getStruct(0).getAs("moments"));
    }

    private static void refused(String part, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }

    @Test
    void sameBitsInAnyTaskOrder() {
        SparkSession spark = LocalSpark.session(4);
        Dataset<Row> data = SparkMomentsTest.shuffledTaskOrder(
                LocalSpark.dataset(spark, Tensors.records(22, 400, C, 1e4, 1), 9));
        byte[] expected = SparkMoments.of(data.filter("label = 1"), "x", C).toBytes();
        List<List<Integer>> orders = new ArrayList<>();
        for (int run = 0; run < 3; run++) {
            SparkMomentsTest.resetFinished(); // another test's session may have noted the same attempt ids
            Row r = data.groupBy("label").agg(MomentsAggregator.ofArrays(C).toUdaf().apply(data.col("x")).as("s"))
                    .filter("label = 1").first();
            orders.add(List.copyOf(SparkMomentsTest.FINISHED));
            assertArrayEquals(expected, (byte[]) r.getStruct(1).getAs("moments"), "run " + run);
        }
        // The partial aggregations' tasks finished out of partition order in some run: the bits above do not depend
        // on that order (which order Spark's shuffle then hands the buffers to the final merge in is Spark's own).
        List<Integer> inOrder = List.of(0, 1, 2, 3, 4, 5, 6, 7, 8);
        assertTrue(orders.stream().anyMatch(o -> o.size() == 9 && !o.equals(inOrder)),
                "tasks finished in partition order in every run: " + orders);
    }

    @Test
    void nullsSkippedEmptyGroupIsNullMalformedFails() {
        SparkSession spark = LocalSpark.session(2);
        List<Row> rows = new ArrayList<>(Tensors.records(23, 12, C, 5, 1));
        rows.set(0, LocalSpark.row(0, 0, null));
        rows.set(3, LocalSpark.row(3, 0, null));
        rows.set(6, LocalSpark.row(6, 0, null));
        rows.set(9, LocalSpark.row(9, 0, null));
        Dataset<Row> data = LocalSpark.dataset(spark, rows, 3);
        Row empty = data.groupBy("label").agg(MomentsAggregator.ofArrays(C).toUdaf().apply(data.col("x")))
                .filter("label = 0").first();
        assertEquals(0L, empty.getStruct(1).<Long>getAs("count"), "a group of nulls only has no values");
        assertNull(empty.getStruct(1).getAs("moments"));
        Row one = data.groupBy("label").agg(MomentsAggregator.ofArrays(C).toUdaf().apply(data.col("x")))
                .filter("label = 1").first();
        assertEquals(SparkMoments.of(data.filter("label = 1"), "x", C).count(), one.getStruct(1).<Long>getAs("count"));

        rows.set(4, LocalSpark.row(4, 1, new float[] {1, 2}));
        Dataset<Row> bad = LocalSpark.dataset(spark, rows, 3);
        Exception e = assertThrows(Exception.class, () -> bad.groupBy("label")
                .agg(MomentsAggregator.ofArrays(C).toUdaf().apply(bad.col("x"))).collectAsList());
        MalformedTensorException cause = findCause(e);
        assertEquals(1, cause.partition());
        assertTrue(cause.getMessage().contains("2 floats"), cause.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MomentsAggregator.ofArrays(0));
    }

    @Test
    void sortBasedFallbackIsRepeatable() {
        // A fallback threshold of 1 sends every task with two groups into sort-based aggregation: results stay
        // within the double mode's accuracy of SparkMoments' on the group, and repeat bit for bit.
        SparkSession spark = LocalSpark.session(2);
        Dataset<Row> data = LocalSpark.dataset(spark, Tensors.records(24, 60, C, 1e4, 1), 2);
        spark.conf().set("spark.sql.objectHashAggregate.sortBased.fallbackThreshold", "1");
        try {
            byte[] first = null;
            for (int run = 0; run < 2; run++) {
                Row r = data.groupBy("label").agg(MomentsAggregator.ofArrays(C).toUdaf().apply(data.col("x")))
                        .filter("label = 2").first();
                byte[] bits = r.getStruct(1).getAs("moments");
                if (first == null) {
                    first = bits;
                }
                assertArrayEquals(first, bits, "run " + run);
            }
            Moments expected = SparkMoments.of(data.filter("label = 2"), "x", C);
            Moments actual = Moments.fromBytes(first);
            assertEquals(expected.count(), actual.count());
            for (int c = 0; c < C; c++) {
                // Both within 1e-12 of the exact moments (SparkMomentsTest.RELATIVE): within 2e-12 of each other.
                assertEquals(expected.varianceAsDouble(c), actual.varianceAsDouble(c),
                        2e-12 * expected.varianceAsDouble(c), "variance " + c);
            }
        } finally {
            spark.conf().unset("spark.sql.objectHashAggregate.sortBased.fallbackThreshold");
        }
    }

    @Test
    void nullElementsAreNeverZeros() {
        SparkSession spark = LocalSpark.session(2);
        StructType schema = new StructType().add("x", DataTypes.createArrayType(DataTypes.FloatType, true));
        Dataset<Row> data = spark.createDataFrame(List.of(RowFactory.create((Object) new Float[] {1f, 2f, 3f}),
                RowFactory.create((Object) null), RowFactory.create((Object) new Float[] {1f, null, 3f})), schema)
                .coalesce(1);
        Exception e = assertThrows(Exception.class,
                () -> data.agg(MomentsAggregator.ofArrays(C).toUdaf().apply(data.col("x"))).collectAsList());
        MalformedTensorException cause = findCause(e);
        assertEquals(2, cause.record(), "the null record counts, as in SparkMoments");
        assertTrue(cause.getMessage().contains("a null element at index 1"), cause.getMessage());
    }

    @Test
    void aMalformedRecordAfterTheSortBasedFallbackIsCountedInItsNewBuffer() {
        // The documented limit of the record index (MomentsAggregator's Javadoc): with a fallback threshold of 1,
        // Spark leaves hash aggregation after the first record and gives the group's later records a new buffer,
        // whose count starts at 0; so the malformed third record of the group is record 1 there, where hash
        // aggregation (as nullElementsAreNeverZeros) counts it 2.
        SparkSession spark = LocalSpark.session(2);
        StructType schema = new StructType().add("label", DataTypes.IntegerType)
                .add("x", DataTypes.createArrayType(DataTypes.FloatType, true));
        Dataset<Row> data = spark.createDataFrame(List.of(RowFactory.create(0, new Float[] {1f, 2f, 3f}),
                RowFactory.create(0, new Float[] {4f, 5f, 6f}), RowFactory.create(0, new Float[] {1f, 2f})), schema)
                .coalesce(1);
        spark.conf().set("spark.sql.objectHashAggregate.sortBased.fallbackThreshold", "1");
        try {
            Exception e = assertThrows(Exception.class, () -> data.groupBy("label")
                    .agg(MomentsAggregator.ofArrays(C).toUdaf().apply(data.col("x"))).collectAsList());
            assertEquals(1, findCause(e).record(), "counted from the fallback's new buffer");
        } finally {
            spark.conf().unset("spark.sql.objectHashAggregate.sortBased.fallbackThreshold");
        }
    }

    @Test
    void statisticsBeanRoundTrips() {
        Moments m = Moments.ofSums(5, new double[] {1.5, -2}, new double[] {0.25, 3});
        ChannelStatistics s = ChannelStatistics.of(m);
        assertArrayEquals(m.toBytes(), s.toMoments().toBytes());
        assertEquals(5, s.getCount());
        assertArrayEquals(new double[] {0.05, 0.6}, s.getVariance());
    }

    static MalformedTensorException findCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof MalformedTensorException m) {
                return m;
            }
        }
        throw new AssertionError("no MalformedTensorException among the causes of " + e, e);
    }
}
