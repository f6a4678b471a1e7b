package dev.simdnorm.spark;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Supplier;

import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.StandardScalerModel;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.stat.Summarizer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.StructType;

import dev.simdnorm.KernelSelection;
import dev.simdnorm.Moments;

/**
 * Dataset statistics on Spark, one cached Dataset of NHWC images through: {@link SparkMoments}; MLlib's
 * {@code Summarizer} (mean, variance) and {@code StandardScaler.fit}, fed the images as 3-value vectors, exploded from
 * the same cached Dataset (what a user of MLlib must do) and, for Summarizer, also from a cached Dataset of vectors
 * (its best case); and a job that only reads the column (copies every record's floats out of Spark's rows, the least
 * any consumer does): the floor. Median wall time of each, and each one's relative error against the exact moments.
 *
 * <p>Data: {@code records} images of 32×32×3, channel means 1e4, 1.1e4 and 9e3, standard deviation 1 (rounded to
 * float, every value in the binade [8192, 16384), so that x·2¹⁰ is an integer and the exact moments come from integer
 * sums). simdnorm's kernels are warmed up first ({@code KernelSelection.warmUp}), and each job runs once before the
 * timed runs.
 *
 * <p>Run: {@code ./mvnw -q -f spark/pom.xml test-compile exec:exec@bench -Dbench.args="local[2] 20000 7 out.md"}
 * (arguments: master, records, repetitions, a file to append the table to). One JVM per master.
 */
public final class SparkStatisticsBenchmark {

    private static final int C = 3;
    private static final int ROWS = 32 * 32;
    private static final double[] MEANS = {1e4, 1.1e4, 9e3};
    private static final double SCALE = 1024;

    private SparkStatisticsBenchmark() {
    }

    public static void main(String[] args) throws IOException {
        String master = args.length > 0 ? args[0] : "local[2]";
        int records = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        int repetitions = args.length > 2 ? Integer.parseInt(args[2]) : 7;
        Path out = args.length > 3 ? Path.of(args[3]) : null;

        SparkSession spark = SparkSession.builder().master(master).appName("simdnorm-spark-benchmark")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
        spark.sparkContext().setLogLevel("ERROR");
        int partitions = spark.sparkContext().defaultParallelism() * 2;

        Dataset<Row> images = spark.range(0, records, 1, partitions)
                .map((MapFunction<Long, float[]>) SparkStatisticsBenchmark::image, FloatArrayEncoder.encoder())
                .toDF("x").cache();
        images.count();
        Dataset<Row> vectors = explode(images).cache();
        vectors.count();
        double[][] exact = exact(images);
        // Steady state, as a service that warms up before taking traffic: every operation on the vector kernels.
        boolean warm = KernelSelection.warmUp(java.time.Duration.ofMinutes(2));

        List<String> rows = new ArrayList<>();
        rows.add(String.format(Locale.ROOT, "| %s, %d images (%d partitions) | median s | vs floor | mean error "
                + "| variance error |", master, records, partitions));
        rows.add("|---|---|---|---|---|");
        double[] simd = new double[2 * C];
        // The floor and SparkMoments alternate, run by run, so that both medians see the same noise of a shared
        // machine; their ratio is the number that matters.
        double[][] paired = alternating(repetitions, () -> readOnly(images), () -> {
            Moments m = SparkMoments.of(images, "x", C);
            for (int c = 0; c < C; c++) {
                simd[c] = m.meanAsDouble(c);
                simd[C + c] = m.varianceAsDouble(c);
            }
            return 0L;
        });
        double floor = paired[0][repetitions / 2];
        double simdTime = paired[1][repetitions / 2];
        rows.add(row("read-only job (the floor)", floor, floor, Double.NaN, Double.NaN));
        rows.add(row("`SparkMoments.of`", simdTime, floor, error(simd, exact[0], 0), error(simd, exact[1], C)));
        double[] summary = new double[2 * C];
        double summarizerTime = median(repetitions, () -> summarize(explode(images), summary));
        rows.add(row("`Summarizer` (mean, variance), exploding the images", summarizerTime, floor,
                error(summary, exact[0], 0), error(summary, exact[2], C)));
        double[] cachedSummary = new double[2 * C];
        double cachedTime = median(repetitions, () -> summarize(vectors, cachedSummary));
        rows.add(row("`Summarizer`, from cached vectors", cachedTime, floor, error(cachedSummary, exact[0], 0),
                error(cachedSummary, exact[2], C)));
        double[] scaler = new double[2 * C];
        double scalerTime = median(repetitions, () -> {
            StandardScalerModel model = new StandardScaler().setInputCol("v").setWithMean(true).fit(explode(images));
            for (int c = 0; c < C; c++) {
                scaler[c] = model.mean().apply(c);
                scaler[C + c] = model.std().apply(c) * model.std().apply(c);
            }
            return 0L;
        });
        rows.add(row("`StandardScaler.fit`, exploding the images", scalerTime, floor, error(scaler, exact[0], 0),
                error(scaler, exact[2], C)));
        rows.add(String.format(Locale.ROOT, "| SparkMoments: %.1f× faster than Summarizer (exploding), %.1f× "
                + "(cached vectors), %.2f× the floor | | | | |", summarizerTime / simdTime, cachedTime / simdTime,
                simdTime / floor));
        rows.add("\nsimdnorm kernels: " + KernelSelection.active() + ", warmed up before timing: " + warm + "; "
                + Runtime.version() + ", " + Runtime.getRuntime().availableProcessors() + " processors");
        String table = String.join("\n", rows) + "\n";
        System.out.println(table);
        if (out != null) {
            Files.writeString(out, table + "\n", java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
        }
        spark.stop();
    }

    /** Image {@code id}: N(mean_c, 1) per channel, rounded to float, kept in the binade [8192, 16384). */
    static float[] image(long id) {
        SplittableRandom random = new SplittableRandom(id * 0x9E3779B97F4A7C15L + 1);
        float[] x = new float[ROWS * C];
        for (int i = 0; i < x.length; i++) {
            double g;
            do {
                g = gaussian(random);
            } while (Math.abs(g) > 6);
            x[i] = (float) (MEANS[i % C] + g);
        }
        return x;
    }

    private static double gaussian(SplittableRandom random) {
        double u = random.nextDouble();
        double v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
    }

    /** The images as 3-value vectors, one per pixel, as MLlib's statistics take them. */
    private static Dataset<Row> explode(Dataset<Row> images) {
        StructType schema = new StructType().add("v", SQLDataTypes.VectorType(), false);
        return images.flatMap((FlatMapFunction<Row, Row>) r -> {
            List<Float> x = r.getList(0);
            List<Row> pixels = new ArrayList<>(x.size() / C);
            for (int i = 0; i < x.size(); i += C) {
                pixels.add(RowFactory.create(Vectors.dense(x.get(i), x.get(i + 1), x.get(i + 2))));
            }
            return pixels.iterator();
        }, Encoders.row(schema));
    }

    private static long summarize(Dataset<Row> vectors, double[] into) {
        Row r = vectors.select(Summarizer.metrics("mean", "variance").summary(vectors.col("v")).as("s"))
                .select("s.mean", "s.variance").first();
        Vector mean = r.getAs(0);
        Vector variance = r.getAs(1);
        for (int c = 0; c < C; c++) {
            into[c] = mean.apply(c);
            into[C + c] = variance.apply(c);
        }
        return 0L;
    }

    /** Copies every record's floats out of Spark's rows, as SparkMoments does, and does nothing else with them. */
    private static long readOnly(Dataset<Row> images) {
        TensorColumn column = TensorColumn.of(images.schema(), "x", C, true);
        return images.queryExecution().toRdd().toJavaRDD().mapPartitions((Iterator<InternalRow> it) -> {
            float[] buffer = new float[ROWS * C];
            long floats = 0;
            int bits = 0;
            while (it.hasNext()) {
                InternalRow row = it.next();
                int n = column.length(row, 0, 0);
                column.read(row, buffer, 0, 0, 0);
                floats += n;
                bits ^= Float.floatToRawIntBits(buffer[n - 1]);
            }
            return Collections.singletonList(floats + bits).iterator();
        }).reduce(Long::sum);
    }

    /**
     * Exact moments from integer sums: every x·2¹⁰ is an integer k; with k₀ the channel's center·2¹⁰, Σ(k − k₀) and
     * Σ(k − k₀)² fit a long. Returns {mean[], biased variance[], sample variance[]}.
     */
    private static double[][] exact(Dataset<Row> images) {
        List<long[]> parts = images.javaRDD().mapPartitions((Iterator<Row> it) -> {
            long[] s = new long[2 * C + 1];
            while (it.hasNext()) {
                List<Float> x = it.next().getList(0);
                for (int i = 0; i < x.size(); i++) {
                    float v = x.get(i);
                    if (v < 8192 || v >= 16384) {
                        throw new IllegalStateException("value " + v + " outside the binade [8192, 16384)");
                    }
                    long d = (long) (v * SCALE) - (long) (MEANS[i % C] * SCALE);
                    s[i % C] += d;
                    s[C + i % C] += d * d;
                }
                s[2 * C] += x.size() / C;
            }
            return List.of(s).iterator();
        }).collect();
        long[] total = new long[2 * C + 1];
        for (long[] s : parts) {
            for (int i = 0; i < total.length; i++) {
                total[i] += s[i];
            }
        }
        MathContext mc = new MathContext(40);
        BigDecimal n = BigDecimal.valueOf(total[2 * C]);
        BigDecimal scale = BigDecimal.valueOf(SCALE);
        double[][] exact = new double[3][C];
        for (int c = 0; c < C; c++) {
            BigDecimal sum = BigDecimal.valueOf(total[c]);
            BigDecimal m2 = BigDecimal.valueOf(total[C + c]).subtract(sum.multiply(sum).divide(n, mc))
                    .divide(scale.multiply(scale), mc);
            exact[0][c] = BigDecimal.valueOf(MEANS[c]).add(sum.divide(n.multiply(scale), mc)).doubleValue();
            exact[1][c] = m2.divide(n, mc).doubleValue();
            exact[2][c] = m2.divide(n.subtract(BigDecimal.ONE), mc).doubleValue();
        }
        return exact;
    }

    /** The largest relative error of {@code values[from..from+C)} against {@code exact}. */
    private static double error(double[] values, double[] exact, int from) {
        double worst = 0;
        for (int c = 0; c < C; c++) {
            worst = Math.max(worst, Math.abs(values[from + c] - exact[c]) / Math.abs(exact[c]));
        }
        return worst;
    }

    /** Sorted run times of two jobs, run alternately after one warm-up run of each. */
    private static double[][] alternating(int repetitions, Supplier<Long> first, Supplier<Long> second) {
        first.get();
        second.get();
        double[][] seconds = new double[2][repetitions];
        for (int i = 0; i < repetitions; i++) {
            long start = System.nanoTime();
            first.get();
            long middle = System.nanoTime();
            second.get();
            seconds[0][i] = (middle - start) / 1e9;
            seconds[1][i] = (System.nanoTime() - middle) / 1e9;
        }
        Arrays.sort(seconds[0]);
        Arrays.sort(seconds[1]);
        return seconds;
    }

    private static double median(int repetitions, Supplier<Long> job) {
        job.get(); // warm-up: the first run also compiles the job's code
        double[] seconds = new double[repetitions];
        for (int i = 0; i < repetitions; i++) {
            long start = System.nanoTime();
            job.get();
            seconds[i] = (System.nanoTime() - start) / 1e9;
        }
        Arrays.sort(seconds);
        return seconds[repetitions / 2];
    }

    private static String row(String name, double seconds, double floor, double meanError, double varianceError) {
        return String.format(Locale.ROOT, "| %s | %.3f | %.2f× | %s | %s |", name, seconds, seconds / floor,
                Double.isNaN(meanError) ? "" : String.format(Locale.ROOT, "%.1e", meanError),
                Double.isNaN(varianceError) ? "" : String.format(Locale.ROOT, "%.1e", varianceError));
    }
}
