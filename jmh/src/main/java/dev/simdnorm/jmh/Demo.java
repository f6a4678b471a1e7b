package dev.simdnorm.jmh;

import dev.simdnorm.BatchNorm;
import dev.simdnorm.KernelSelection;
import dev.simdnorm.Moments;

import java.util.Locale;

/**
 * The README's demo: trains a BatchNorm for a few steps on synthetic NHWC data, runs inference, and prints the active
 * kernels, the error against a double-precision oracle, and inference throughput next to System.arraycopy of the same
 * bytes (a rough, same-run ratio; the JMH benchmarks are the real measurement).
 */
public final class Demo {

    private Demo() {
    }

    public static void main(String[] args) {
        Shape shape = Shape.parse(args.length > 0 ? args[0] : "8x28x28x64");
        int rows = shape.rows();
        int c = shape.c();
        System.out.println("simdnorm demo, NHWC shape " + shape.n() + "x" + shape.h() + "x" + shape.w() + "x" + c
                + ", Java " + Runtime.version());
        System.out.println("kernels: " + KernelSelection.active());

        BatchNorm bn = BatchNorm.builder(c).build();
        float[] y = new float[shape.floats()];
        double worstTrain = 0;
        for (int step = 0; step < 5; step++) {
            float[] x = shape.data(step);
            Moments m = bn.train(x, 0, y, 0, rows);
            worstTrain = Math.max(worstTrain, maxTrainError(x, y, rows, c, bn.epsilon()));
            if (step == 0) {
                System.out.printf(Locale.ROOT, "step 0: channel 0 batch mean %.6f, variance %.6f%n", m.mean(0),
                        m.variance(0));
            }
        }
        float[] x = shape.data(99);
        bn.inference(x, 0, y, 0, rows);
        double worstInference = maxInferenceError(x, y, c, bn.runningMean(), bn.runningVariance(), bn.epsilon());
        System.out.printf(Locale.ROOT, "train y, max |error| vs double oracle:     %.2e%n", worstTrain);
        System.out.printf(Locale.ROOT, "inference y, max |error| vs double oracle: %.2e%n", worstInference);

        long started = System.nanoTime();
        KernelSelection.warmUp(java.time.Duration.ofSeconds(60));
        System.out.printf(Locale.ROOT, "kernels warm (every operation on the chosen kernels) after %.1f s more%n",
                (System.nanoTime() - started) / 1e9);
        long bytes = 2L * 4 * x.length; // read x, write y
        double inference = gbPerSecond(() -> bn.inference(x, 0, y, 0, rows), bytes);
        double copy = gbPerSecond(() -> System.arraycopy(x, 0, y, 0, x.length), bytes);
        System.out.printf(Locale.ROOT, "inference %.1f GB/s, System.arraycopy %.1f GB/s: ratio %.2f "
                + "(rough; see README for JMH numbers)%n", inference, copy, inference / copy);
    }

    static double maxTrainError(float[] x, float[] y, int rows, int c, float eps) {
        double worst = 0;
        for (int ch = 0; ch < c; ch++) {
            double s = 0;
            for (int r = 0; r < rows; r++) {
                s += x[r * c + ch];
            }
            double mean = s / rows;
            double ss = 0;
            for (int r = 0; r < rows; r++) {
                double d = x[r * c + ch] - mean;
                ss += d * d;
            }
            double inv = 1 / Math.sqrt(ss / rows + eps);
            for (int r = 0; r < rows; r++) {
                worst = Math.max(worst, Math.abs(y[r * c + ch] - (x[r * c + ch] - mean) * inv));
            }
        }
        return worst;
    }

    static double maxInferenceError(float[] x, float[] y, int c, float[] mean, float[] var, float eps) {
        double worst = 0;
        for (int i = 0; i < x.length; i++) {
            int ch = i % c;
            double expected = (x[i] - (double) mean[ch]) / Math.sqrt((double) var[ch] + eps);
            worst = Math.max(worst, Math.abs(y[i] - expected));
        }
        return worst;
    }

    /** Median of 15 timed batches of the operation, after a warm-up, in GB/s. */
    static double gbPerSecond(Runnable op, long bytes) {
        for (int i = 0; i < 200; i++) {
            op.run();
        }
        double[] rates = new double[15];
        for (int k = 0; k < rates.length; k++) {
            int reps = 20;
            long t0 = System.nanoTime();
            for (int i = 0; i < reps; i++) {
                op.run();
            }
            rates[k] = (double) bytes * reps / (System.nanoTime() - t0);
        }
        java.util.Arrays.sort(rates);
        return rates[rates.length / 2];
    }
}
