package dev.simdnorm.spark;

import java.util.List;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The tests' Spark: one local session at a time, shared by every test that asks for the same number of threads (a
 * JVM holds one SparkContext), so the suite starts Spark once for most tests and again only to change the threads.
 */
final class LocalSpark {

    /** The schema of the tests' datasets: an id, a label, the tensor as array<float> and as little-endian binary. */
    static final StructType SCHEMA = new StructType()
            .add("id", DataTypes.LongType, false)
            .add("label", DataTypes.IntegerType, false)
            .add("x", DataTypes.createArrayType(DataTypes.FloatType, false), true)
            .add("bytes", DataTypes.BinaryType, true);

    private static SparkSession session;
    private static int sessionThreads;

    private LocalSpark() {
    }

    /** A local session with {@code threads} executor threads. */
    static synchronized SparkSession session(int threads) {
        if (session != null && sessionThreads == threads) {
            return session;
        }
        if (session != null) {
            session.stop();
        }
        session = SparkSession.builder()
                .master("local[" + threads + "]")
                .appName("simdnorm-spark-tests")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "4")
                .getOrCreate();
        session.sparkContext().setLogLevel("ERROR");
        sessionThreads = threads;
        return session;
    }

    /** A dataset of the given rows (of {@link #SCHEMA}) in exactly {@code partitions} partitions, in order. */
    static Dataset<Row> dataset(SparkSession spark, List<Row> rows, int partitions) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        return spark.createDataFrame(jsc.parallelize(rows, partitions), SCHEMA);
    }

    /** A row of {@link #SCHEMA}; the binary column holds the same floats, little endian. */
    static Row row(long id, int label, float[] x) {
        return RowFactory.create(id, label, x, x == null ? null : Tensors.littleEndian(x));
    }
}
