package dev.simdnorm.spark;

import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.apache.spark.sql.Row;

/** The tests' data and their exact moments. */
final class Tensors {

    private Tensors() {
    }

    static byte[] littleEndian(float[] x) {
        ByteBuffer b = ByteBuffer.allocate(x.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : x) {
            b.putFloat(v);
        }
        return b.array();
    }

    /**
     * {@code records} rows of {@link LocalSpark#SCHEMA}: record i holds 1 to 8 rows of C channels, channel
     * c uniform in {@code mean·(1 + c/10) ± spread} (standard deviation spread/√3), rounded to float (so every value is dyadic, and the exact
     * moments are finite sums of them). Label i mod 3.
     */
    static List<Row> records(long seed, int records, int channels, double mean, double spread) {
        return records(seed, records, 8, channels, mean, spread);
    }

    /** As {@link #records(long, int, int, double, double)}, with 1 to {@code maxRows} rows per record. */
    static List<Row> records(long seed, int records, int maxRows, int channels, double mean, double spread) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Row> rows = new ArrayList<>(records);
        for (int i = 0; i < records; i++) {
            int n = 1 + random.nextInt(maxRows);
            float[] x = new float[n * channels];
            for (int j = 0; j < x.length; j++) {
                x[j] = (float) (mean * (1 + 0.1 * (j % channels)) + spread * (2 * random.nextDouble() - 1));
            }
            rows.add(LocalSpark.row(i, i % 3, x));
        }
        return rows;
    }

    /**
     * The exact mean and biased variance of each channel over the rows' {@code x} (nulls skipped), in BigDecimal:
     * floats are exact decimals, so the sums are exact and only the final quotients round, at 40 digits.
     * Returns {mean[], variance[]} as doubles rounded once, and the count in [2][0].
     */
    static double[][] exact(List<Row> rows, int channels) {
        BigDecimal[] sum = new BigDecimal[channels];
        BigDecimal[] squares = new BigDecimal[channels];
        java.util.Arrays.fill(sum, BigDecimal.ZERO);
        java.util.Arrays.fill(squares, BigDecimal.ZERO);
        long values = 0;
        for (Row r : rows) {
            float[] x = (float[]) r.get(2);
            if (x == null) {
                continue;
            }
            for (int j = 0; j < x.length; j++) {
                BigDecimal v = new BigDecimal(x[j]);
                sum[j % channels] = sum[j % channels].add(v);
                squares[j % channels] = squares[j % channels].add(v.multiply(v));
            }
            values += x.length;
        }
        long n = values / channels;
        MathContext mc = new MathContext(40);
        BigDecimal count = BigDecimal.valueOf(n);
        double[] mean = new double[channels];
        double[] variance = new double[channels];
        for (int c = 0; c < channels; c++) {
            BigDecimal m = sum[c].divide(count, mc);
            // Σx² − (Σx)²/n, exact but for the one division: the sums are exact.
            BigDecimal m2 = squares[c].subtract(sum[c].multiply(sum[c]).divide(count, mc));
            mean[c] = m.doubleValue();
            variance[c] = m2.divide(count, mc).doubleValue();
        }
        return new double[][] {mean, variance, {n}};
    }
}
