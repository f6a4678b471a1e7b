package dev.simdnorm.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

import dev.simdnorm.Moments;
import dev.simdnorm.Precision;

/** {@link SparkMoments} in local mode against exact moments, across threads, task orders and partitionings. */
class SparkMomentsTest {

    private static final int C = 3;

    /**
     * The double mode's bound: biased variance within 1e-12 relative of the exact moments, mean within
     * 1e-12·(|μ| + σ) (core's Precision.DOUBLE contract, 1.2e-13 and 7e-14 for one call, DoublePrecisionTest).
     * Merging two partials adds about 2u·(|μ|/σ)/√n relatively to the variance (u = 2⁻⁵³, n the values of the
     * smaller partial: the means' rounding, u·|μ| each, enters the term δ²·nA·nB/n through δ ≈ σ/√n). The tests'
     * data have |μ| ≤ 1.2e4 and σ = 1/√3 (uniform ±1), |μ|/σ ≤ 2.1e4; with partitions of about 1,000 rows and a tree
     * of depth 3 that is 3·2·1.1e-16·2.1e4/30 ≈ 4.6e-13, inside the bound.
     */
    private static final double RELATIVE = 1e-12;

    /**
     * The same analysis for partitions of one record, down to one row (n = 1) and a tree of depth 6:
     * 6·2·1.1e-16·2.1e4 ≈ 2.8e-11; 1e-10 leaves a margin. The double means, not the kernels, set this limit.
     */
    private static final double RELATIVE_TINY_PARTITIONS = 1e-10;

    @Test
    void exactOnDataFarFromZero() {
        SparkSession spark = LocalSpark.session(2);
        for (double[] data : new double[][] {{1e4, 1}, {0, 1}, {-3, 1e-3}}) {
            List<Row> rows = Tensors.records(11, 300, 48, C, data[0], data[1]);
            Moments m = SparkMoments.of(LocalSpark.dataset(spark, rows, 7), "x", C);
            double[][] exact = Tensors.exact(rows, C);
            assertEquals((long) exact[2][0], m.count());
            for (int c = 0; c < C; c++) {
                assertMean(exact[0][c], exact[1][c], m.meanAsDouble(c),
                        "mean " + c + " at " + Arrays.toString(data));
                assertRelative(exact[1][c], m.varianceAsDouble(c), "variance " + c + " at " + Arrays.toString(data));
            }
        }
    }

    @Test
    void binaryColumnGivesTheArraysBits() {
        SparkSession spark = LocalSpark.session(2);
        Dataset<Row> data = LocalSpark.dataset(spark, Tensors.records(12, 200, C, 1e4, 1), 5);
        assertArrayEquals(SparkMoments.of(data, "x", C).toBytes(), SparkMoments.of(data, "bytes", C).toBytes());
        // Column names as Spark compares them, ignoring case by default.
        assertArrayEquals(SparkMoments.of(data, "x", C).toBytes(), SparkMoments.of(data, "BYTES", C).toBytes());
    }

    @Test
    void sameBitsForOneTwoAndFourThreadsAndAnyTaskOrder() {
        List<Row> rows = Tensors.records(13, 400, C, 1e4, 1);
        byte[] reference = null;
        List<List<Integer>> orders = new ArrayList<>();
        for (int threads : new int[] {1, 2, 4}) {
            SparkSession spark = LocalSpark.session(threads);
            for (int run = 0; run < 2; run++) {
                FINISHED.clear();
                NOTED.clear(); // attempt ids start again in each session's context
                byte[] bits = SparkMoments.of(shuffledTaskOrder(LocalSpark.dataset(spark, rows, 9)), "x", C)
                        .toBytes();
                if (reference == null) {
                    reference = bits;
                }
                assertArrayEquals(reference, bits, threads + " threads, run " + run);
                if (threads > 1) {
                    orders.add(List.copyOf(FINISHED));
                }
            }
        }
        // The comparison above means something only if the tasks did finish in other orders than the partitions'.
        List<Integer> inOrder = List.of(0, 1, 2, 3, 4, 5, 6, 7, 8);
        assertTrue(orders.stream().anyMatch(o -> o.size() == 9 && !o.equals(inOrder)),
                "tasks finished in partition order in every run with threads: " + orders);
    }

    /** The partitions whose tasks ran {@link #shuffledTaskOrder}'s column, in the order the tasks finished. */
    static final java.util.Queue<Integer> FINISHED = new java.util.concurrent.ConcurrentLinkedQueue<>();

    @Test
    void mergesPartitionsInOrderInAFixedTree() {
        // The merge tree of the per-partition moments, recomputed here from Moments.of on each partition's records:
        // a different order or tree (a left fold, say) changes the last bits on these data.
        SparkSession spark = LocalSpark.session(2);
        List<Row> rows = Tensors.records(14, 60, C, 1e4, 1);
        int partitions = 6;
        Dataset<Row> data = LocalSpark.dataset(spark, rows, partitions);
        List<Moments> parts = new ArrayList<>();
        for (List<Row> part : data.javaRDD().glom().collect()) {
            int floats = part.stream().mapToInt(r -> ((List<?>) r.getList(2)).size()).sum();
            float[] x = new float[floats];
            int at = 0;
            for (Row r : part) {
                for (Object v : r.getList(2)) {
                    x[at++] = (Float) v;
                }
            }
            parts.add(Moments.of(x, 0, floats / C, C, Precision.DOUBLE));
        }
        Moments expected = parts.get(0).merge(parts.get(1).merge(parts.get(2)))
                .merge(parts.get(3).merge(parts.get(4).merge(parts.get(5))));
        assertArrayEquals(expected.toBytes(), SparkMoments.of(data, "x", C).toBytes());
        Moments leftFold = parts.get(0);
        for (int p = 1; p < partitions; p++) {
            leftFold = leftFold.merge(parts.get(p));
        }
        assertFalse(Arrays.equals(expected.toBytes(), leftFold.toBytes()),
                "a left fold gives other bits on these data, so the comparison above can tell the orders apart");
    }

    @Test
    void emptyPartitionsAndAPartitionPerRecord() {
        SparkSession spark = LocalSpark.session(2);
        List<Row> rows = Tensors.records(15, 12, C, 1e4, 1);
        double[][] exact = Tensors.exact(rows, C);
        for (int partitions : new int[] {12, 40}) {
            Moments m = SparkMoments.of(LocalSpark.dataset(spark, rows, partitions), "x", C);
            assertEquals((long) exact[2][0], m.count(), partitions + " partitions");
            for (int c = 0; c < C; c++) {
                assertMean(exact[0][c], exact[1][c], m.meanAsDouble(c), "mean, " + partitions + " partitions");
                assertRelative(exact[1][c], m.varianceAsDouble(c), RELATIVE_TINY_PARTITIONS,
                        "variance, " + partitions + " partitions");
            }
        }
    }

    @Test
    void nullsAreSkippedAndCounted() {
        SparkSession spark = LocalSpark.session(2);
        List<Row> rows = new ArrayList<>(Tensors.records(16, 30, C, 5, 1));
        rows.set(3, LocalSpark.row(3, 0, null));
        rows.set(17, LocalSpark.row(17, 2, null));
        double[][] exact = Tensors.exact(rows, C);
        Moments m = SparkMoments.of(LocalSpark.dataset(spark, rows, 4), "x", C);
        assertEquals((long) exact[2][0], m.count());
        assertRelative(exact[1][0], m.varianceAsDouble(0), "variance without the null records");
    }

    @Test
    void malformedRecordsFailWithTheirIdentity() {
        SparkSession spark = LocalSpark.session(2);
        List<Row> rows = new ArrayList<>(Tensors.records(17, 20, C, 5, 1));
        // 20 records in 2 partitions: record 13 is the fourth of partition 1.
        rows.set(13, LocalSpark.row(13, 0, new float[] {1, 2, 3, 4}));
        MalformedTensorException e = assertThrows(MalformedTensorException.class,
                () -> SparkMoments.of(LocalSpark.dataset(spark, rows, 2), "x", C));
        assertEquals(1, e.partition());
        assertEquals(3, e.record());
        assertTrue(e.getMessage().contains("4 floats"), e.getMessage());

        MalformedTensorException four = assertThrows(MalformedTensorException.class,
                () -> SparkMoments.of(LocalSpark.dataset(spark, rows, 2), "bytes", C));
        assertEquals(3, four.record());

        List<Row> odd = new ArrayList<>(Tensors.records(17, 20, C, 5, 1));
        odd.set(12, RowFactory.create(12L, 0, new float[] {1, 2, 3}, new byte[10]));
        MalformedTensorException bytes = assertThrows(MalformedTensorException.class,
                () -> SparkMoments.of(LocalSpark.dataset(spark, odd, 2), "bytes", C));
        assertEquals(2, bytes.record());
        assertTrue(bytes.getMessage().contains("10 bytes"), bytes.getMessage());

        List<Row> nan = new ArrayList<>(Tensors.records(18, 20, C, 5, 1));
        float[] x = (float[]) nan.get(4).get(2);
        x[x.length - 1] = Float.NaN;
        nan.set(4, LocalSpark.row(4, 1, x));
        MalformedTensorException n = assertThrows(MalformedTensorException.class,
                () -> SparkMoments.of(LocalSpark.dataset(spark, nan, 2), "x", C));
        assertEquals(0, n.partition());
        assertEquals(4, n.record());
        assertTrue(n.getMessage().contains("NaN") && n.getMessage().contains("channel 2"), n.getMessage());
    }

    @Test
    void recordsAcrossBatchesAndLongerThanABatch() {
        // A batch holds 65,535 floats at C = 3: records of 60,000 floats take a batch each, one of 240,000 floats a
        // batch of its own; the partitions of 4 records hold about 10⁵ rows, so the merges stay inside RELATIVE.
        SparkSession spark = LocalSpark.session(2);
        List<Row> rows = new ArrayList<>();
        java.util.SplittableRandom random = new java.util.SplittableRandom(20);
        for (int i = 0; i < 8; i++) {
            float[] x = new float[i == 5 ? 240_000 : 60_000];
            for (int j = 0; j < x.length; j++) {
                x[j] = (float) (1e4 * (1 + 0.1 * (j % C)) + 2 * random.nextDouble() - 1);
            }
            rows.add(LocalSpark.row(i, 0, x));
        }
        double[][] exact = Tensors.exact(rows, C);
        Dataset<Row> data = LocalSpark.dataset(spark, rows, 2);
        Moments m = SparkMoments.of(data, "x", C);
        assertEquals((long) exact[2][0], m.count());
        for (int c = 0; c < C; c++) {
            assertMean(exact[0][c], exact[1][c], m.meanAsDouble(c), "mean " + c);
            assertRelative(exact[1][c], m.varianceAsDouble(c), "variance " + c);
        }
        assertArrayEquals(m.toBytes(), SparkMoments.of(data, "bytes", C).toBytes(), "the binary column");

        float[] nan = ((float[]) rows.get(6).get(2)).clone();
        nan[59_999] = Float.POSITIVE_INFINITY;
        rows.set(6, LocalSpark.row(6, 0, nan));
        MalformedTensorException e = assertThrows(MalformedTensorException.class,
                () -> SparkMoments.of(LocalSpark.dataset(spark, rows, 2), "x", C));
        assertEquals(1, e.partition());
        assertEquals(2, e.record(), "the third batch of partition 1, after the batch of the long record");
        assertTrue(e.getMessage().contains("Infinity at index 59999 (channel 2)"), e.getMessage());
    }

    @Test
    void nullElementsFail() {
        SparkSession spark = LocalSpark.session(2);
        StructType schema = new StructType().add("x", DataTypes.createArrayType(DataTypes.FloatType, true));
        List<Row> rows = List.of(RowFactory.create((Object) new Float[] {1f, 2f, 3f}),
                RowFactory.create((Object) new Float[] {1f, null, 3f}));
        Dataset<Row> data = spark.createDataFrame(rows, schema).coalesce(1);
        MalformedTensorException e = assertThrows(MalformedTensorException.class,
                () -> SparkMoments.of(data, "x", C));
        assertEquals(1, e.record());
        assertTrue(e.getMessage().contains("null element at index 1"), e.getMessage());
    }

    @Test
    void badArgumentsAreNamed() {
        SparkSession spark = LocalSpark.session(2);
        Dataset<Row> data = LocalSpark.dataset(spark, Tensors.records(19, 4, C, 5, 1), 2);
        assertThrows(IllegalArgumentException.class, () -> SparkMoments.of(data, "missing", C));
        IllegalArgumentException type = assertThrows(IllegalArgumentException.class,
                () -> SparkMoments.of(data, "label", C));
        assertTrue(type.getMessage().contains("array<float> or binary"), type.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SparkMoments.of(data, "x", 0));
        assertThrows(NullPointerException.class, () -> SparkMoments.of(null, "x", C));
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> SparkMoments.of(data.filter("id < 0"), "x", C));
        assertTrue(empty.getMessage().contains("no values"), empty.getMessage());
    }

    /**
     * Columns {@code x} and {@code X}: without case (Spark's default) the name {@code x} matches both, and Spark's own
     * resolution calls it ambiguous; so must the check, not take the exact match and leave Spark to throw its own
     * exception later (or, in {@code SparkBatchNorm}, quietly take one of them).
     */
    @Test
    void aNameOfColumnsDifferingInCaseIsAmbiguous() {
        SparkSession spark = LocalSpark.session(2);
        Dataset<Row> data = LocalSpark.dataset(spark, Tensors.records(26, 4, C, 5, 1), 2);
        Dataset<Row> both = data.select(data.col("x"), data.col("x").as("X"));
        assertThrows(org.apache.spark.sql.AnalysisException.class, () -> both.col("x"), "Spark's own resolution");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SparkMoments.of(both, "x", C));
        assertTrue(e.getMessage().contains("ambiguous"), e.getMessage());
    }

    /**
     * The dataset with each partition's first record delayed by a random 0–40 ms, so that tasks finish in a random
     * order. The delay sits in the tensor column's own expression, so the projection to that column keeps it. Each
     * task adds its partition to {@link #FINISHED} as it completes (local mode: one JVM).
     */
    /** The tasks that note their finish into {@link #FINISHED}, by attempt id. */
    private static final java.util.Set<Long> NOTED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** Forgets the finished partitions and the noted tasks: attempt ids start again in each session's context. */
    static void resetFinished() {
        FINISHED.clear();
        NOTED.clear();
    }

    static Dataset<Row> shuffledTaskOrder(Dataset<Row> data) {
        UDF1<Long, Boolean> delay = id -> {
            org.apache.spark.TaskContext task = org.apache.spark.TaskContext.get();
            if (task != null && NOTED.add(task.taskAttemptId())) { // one listener a task
                task.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) done ->
                        FINISHED.add(done.partitionId()));
            }
            if (id % 7 == 0) {
                Thread.sleep(java.util.concurrent.ThreadLocalRandom.current().nextInt(40));
            }
            return true;
        };
        return data.withColumn("x", functions.when(
                functions.udf(delay, DataTypes.BooleanType).asNondeterministic().apply(data.col("id")),
                data.col("x")));
    }

    /**
     * The mean's bound is absolute, on the scale of the data: within RELATIVE·(|μ| + σ) (Precision.DOUBLE's form), not
     * relative to a mean that may lie near zero.
     */
    private static void assertMean(double exactMean, double exactVariance, double actual, String what) {
        double scale = Math.abs(exactMean) + Math.sqrt(exactVariance);
        double error = Math.abs(actual - exactMean) / scale;
        assertTrue(error <= RELATIVE, what + ": " + actual + " against exact " + exactMean + ", error "
                + error + "·(|μ| + σ)");
    }

    private static void assertRelative(double exact, double actual, String what) {
        assertRelative(exact, actual, RELATIVE, what);
    }

    private static void assertRelative(double exact, double actual, double bound, String what) {
        double error = Math.abs(actual - exact) / Math.abs(exact);
        assertTrue(error <= bound, what + ": " + actual + " against exact " + exact + ", relative error " + error);
    }
}
